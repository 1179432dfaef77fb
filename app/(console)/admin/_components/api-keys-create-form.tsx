"use client";

import { useActionState, useState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { TenantField } from "@/components/ui/tenant-field";
import { createApiKeyAction } from "../keys-actions";

export function ApiKeysCreateForm({ tenants }: { tenants: string[] }) {
  const [state, action, pending] = useActionState(createApiKeyAction, null);
  const [copied, setCopied] = useState(false);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  return (
    <>
      <form
        key={JSON.stringify(v ?? null)}
        action={(form) => {
          setCopied(false);
          action(form);
        }}
        className="card"
        aria-label="Create an ingest key"
      >
        <div className="form-grid">
          <TenantField tenants={tenants} value={v?.tenant} errors={fe} />
          <label>
            Source (the agent platform sending events)
            <input
              name="source"
              required
              placeholder="billing-agent"
              defaultValue={v?.source}
              aria-invalid={Boolean(fe?.source)}
              aria-describedby="key-source-error"
            />
            <FieldError name="source" id="key-source-error" errors={fe} />
          </label>
          <div>
            <button type="submit" className="primary" disabled={pending}>
              {pending ? "Creating…" : "Create key"}
            </button>
          </div>
        </div>
        <p role="status" aria-live="polite" className={state?.ok ? "ok" : "error"}>
          {state && !state.ok ? state.error : null}
        </p>
      </form>
      {state?.ok ? (
        <div className="notice" role="alert" data-testid="new-api-key">
          <p>
            Key for <strong>{state.data.source}</strong> in <strong>{state.data.tenant}</strong>. Copy it now:
            it is not shown again.
          </p>
          <p>
            <code className="mono">{state.data.key}</code>{" "}
            <button
              type="button"
              onClick={() => navigator.clipboard.writeText(state.data.key).then(() => setCopied(true))}
            >
              {copied ? "Copied" : "Copy"}
            </button>
          </p>
        </div>
      ) : null}
    </>
  );
}
