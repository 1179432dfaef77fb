"use client";

import { useActionState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { TenantField } from "@/components/ui/tenant-field";
import { addIssuerKeyAction } from "../tenant-actions";

export function AddIssuerKeyForm({ tenants }: { tenants: string[] }) {
  const [state, action, pending] = useActionState(addIssuerKeyAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  return (
    <form key={JSON.stringify(v ?? null)} action={action} className="card" aria-label="Add an issuer key">
      <div className="form-grid">
        <TenantField tenants={tenants} value={v?.tenant} errors={fe} />
        <label>
          Key id (kid)
          <input
            name="kid"
            required
            placeholder="acme-2026-12"
            defaultValue={v?.kid}
            aria-invalid={Boolean(fe?.kid)}
            aria-describedby="kid-error"
          />
          <FieldError name="kid" errors={fe} />
        </label>
        <label className="span-2">
          Public key
          <input
            name="publicKey"
            required
            className="mono"
            placeholder="ed25519/…64 hex digits"
            defaultValue={v?.publicKey}
            aria-invalid={Boolean(fe?.publicKey)}
            aria-describedby="publicKey-error"
          />
          <FieldError name="publicKey" errors={fe} />
        </label>
        <div>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Adding…" : "Add key"}
          </button>
        </div>
      </div>
      <p role="status" aria-live="polite" className={state?.ok ? "ok" : "error"}>
        {state?.ok ? `Added ${state.data.kid} to ${state.data.tenant}.` : state?.error}
      </p>
    </form>
  );
}
