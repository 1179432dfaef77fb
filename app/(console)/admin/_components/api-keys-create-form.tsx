"use client";

import { useActionState, useState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { createApiKeyAction } from "../keys-actions";

export function ApiKeysCreateForm({ tenants }: { tenants: string[] }) {
  const [state, action, pending] = useActionState(createApiKeyAction, null);
  const [copied, setCopied] = useState(false);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  const err = (name: string) => <FieldError name={name} errors={fe} />;
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
          <label>
            Tenant
            <select name="tenant" defaultValue={v?.tenant || tenants[0]} aria-invalid={Boolean(fe?.tenant)}>
              {tenants.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            {err("tenant")}
          </label>
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
            {err("source")}
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
