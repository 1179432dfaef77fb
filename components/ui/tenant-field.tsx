import { FieldError } from "./field-error";

/**
 * The tenant a form acts on: a labelled select of the tenants in the signer's scope, the first
 * one chosen unless the form is shown again with its previous value, and the field's errors.
 */
export function TenantField({
  tenants,
  value,
  errors,
}: {
  tenants: readonly string[];
  value?: string;
  errors?: Record<string, string[]>;
}) {
  return (
    <label>
      Tenant
      <select
        name="tenant"
        defaultValue={value || tenants[0]}
        aria-invalid={Boolean(errors?.tenant)}
        aria-describedby="tenant-error"
      >
        {tenants.map((t) => (
          <option key={t}>{t}</option>
        ))}
      </select>
      <FieldError name="tenant" errors={errors} />
    </label>
  );
}
