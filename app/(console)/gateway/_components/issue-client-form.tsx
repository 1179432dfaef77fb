"use client";

import { useActionState, useState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { TenantField } from "@/components/ui/tenant-field";
import { issueGatewayClientAction } from "../actions";

/** Issues a credential; it is shown once, here, with a copy button, and never again. */
export function IssueClientForm({ tenants }: { tenants: string[] }) {
  const [state, action, pending] = useActionState(issueGatewayClientAction, null);
  const [copied, setCopied] = useState(false);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  const issued = state?.ok && dismissed !== state.data.id ? state.data : null;
  const field = (name: "name" | "principal" | "agent" | "groups", label: string, placeholder: string) => (
    <label>
      {label}
      <input
        name={name}
        required={name !== "groups"}
        placeholder={placeholder}
        defaultValue={v?.[name]}
        aria-invalid={Boolean(fe?.[name])}
        aria-describedby={`gw-client-${name}-error`}
      />
      <FieldError name={name} id={`gw-client-${name}-error`} errors={fe} />
    </label>
  );
  return (
    <>
      <form
        key={JSON.stringify(v ?? null)}
        action={(form) => {
          setCopied(false);
          action(form);
        }}
        className="card"
        aria-label="Issue a gateway client"
      >
        <div className="form-grid">
          <TenantField tenants={tenants} value={v?.tenant} errors={fe} />
          {field("name", "Name", "support bot, laptop 12")}
          {field("principal", "Principal", "alice@acme.example")}
          {field("agent", "Agent", "support-bot")}
          {field("groups", "Groups (optional)", "support, readers")}
          <div>
            <button type="submit" className="primary" disabled={pending}>
              {pending ? "Issuing…" : "Issue credential"}
            </button>
          </div>
        </div>
        <p role="status" aria-live="polite" className="error">
          {state && !state.ok ? state.error : null}
        </p>
      </form>
      {issued ? (
        <div
          className="notice"
          role="alert"
          data-testid="new-gateway-credential"
          style={{ margin: "12px 0" }}
        >
          <p>
            Credential for <strong>{issued.name}</strong> in <strong>{issued.tenant}</strong>. Copy it now: it
            is not shown again. The agent sends it as <code>Authorization: Bearer …</code> to the gateway.
          </p>
          <p className="row-actions" style={{ alignItems: "center" }}>
            <code className="mono" data-testid="gateway-credential" style={{ overflowWrap: "anywhere" }}>
              {issued.credential}
            </code>
            <button
              type="button"
              onClick={() => navigator.clipboard.writeText(issued.credential).then(() => setCopied(true))}
            >
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" onClick={() => setDismissed(issued.id)}>
              Done
            </button>
          </p>
        </div>
      ) : null}
    </>
  );
}
