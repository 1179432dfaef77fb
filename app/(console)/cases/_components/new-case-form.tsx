"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect } from "react";
import { FieldError } from "@/components/ui/field-error";
import { TenantField } from "@/components/ui/tenant-field";
import { type CreateCaseState, createCaseAction } from "../actions";

/** "New case": a title in one of the signer's tenants; on success the new case's page opens. */
export function NewCaseForm({ tenants }: { tenants: readonly string[] }) {
  const router = useRouter();
  const [state, formAction, pending] = useActionState<CreateCaseState | null, FormData>(
    createCaseAction,
    null,
  );
  useEffect(() => {
    if (state?.ok) router.push(`/cases/${state.data.id}`);
  }, [state, router]);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const values = state && !state.ok ? state.values : undefined;
  return (
    <form action={formAction} className="card case-form" aria-labelledby="new-case-heading" noValidate>
      <h2 id="new-case-heading" style={{ marginTop: 0 }}>
        New case
      </h2>
      <div className="form-grid">
        {tenants.length > 1 ? <TenantField tenants={tenants} value={values?.tenant} errors={errors} /> : null}
        {tenants.length === 1 ? <input type="hidden" name="tenant" value={tenants[0]} /> : null}
        <label className="span-2">
          Title
          <input
            name="title"
            defaultValue={values?.title}
            maxLength={200}
            placeholder="e.g. Order writes by alice's assistant"
            aria-invalid={Boolean(errors?.title)}
            aria-describedby="title-error"
            required
          />
          <FieldError name="title" errors={errors} />
        </label>
        <div>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Opening…" : "Open case"}
          </button>
        </div>
      </div>
      {state && !state.ok ? (
        <p role="alert" className="error">
          {state.error}
        </p>
      ) : null}
    </form>
  );
}
