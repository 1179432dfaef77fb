"use client";

import { useActionState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { TenantField } from "@/components/ui/tenant-field";
import { issueEscalationAction } from "../actions";
import { TokenOnce } from "./token-once";

const FIELDS: { name: string; label: string; placeholder?: string; required?: boolean }[] = [
  { name: "principal", label: "Principal", placeholder: "alice@acme.example", required: true },
  { name: "session", label: "Session", placeholder: "sess_7Hq2" },
  { name: "agent", label: "Agent (when no session)", placeholder: "alice-assistant" },
  { name: "tool", label: "Tool", placeholder: "crm.update_order", required: true },
  { name: "resourceType", label: "Resource type", placeholder: "Order", required: true },
  { name: "resourceId", label: "Resource id", placeholder: "o_381", required: true },
  { name: "action", label: "Action", placeholder: "write", required: true },
  { name: "argDigest", label: "Argument digest (optional)", placeholder: "hmac-sha256:…" },
];

export function IssueEscalationForm({ tenants }: { tenants: string[] }) {
  const [state, action, pending] = useActionState(issueEscalationAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  const err = (name: string) => <FieldError name={name} errors={fe} />;
  return (
    <form key={JSON.stringify(v ?? null)} action={action} className="card" aria-label="Issue an escalation">
      <div className="form-grid">
        <TenantField tenants={tenants} value={v?.tenant} errors={fe} />
        {FIELDS.map((f) => (
          <label key={f.name}>
            {f.label}
            <input
              name={f.name}
              placeholder={f.placeholder}
              required={f.required}
              defaultValue={v?.[f.name]}
              aria-invalid={Boolean(fe?.[f.name])}
              aria-describedby={`${f.name}-error`}
            />
            {err(f.name)}
          </label>
        ))}
        <label>
          TTL (seconds)
          <input
            name="ttlSeconds"
            type="number"
            min={1}
            defaultValue={v?.ttlSeconds || 60}
            aria-invalid={Boolean(fe?.ttlSeconds)}
          />
          {err("ttlSeconds")}
        </label>
        <label>
          Delivery
          <select name="delivery" defaultValue={v?.delivery || "console"}>
            <option value="console">shown to me once</option>
            <option value="platform">picked up by the platform</option>
          </select>
        </label>
        <label style={{ flexDirection: "row", alignItems: "center", fontWeight: 400 }}>
          <input type="checkbox" name="multiUse" /> Allow more than one use
        </label>
        <label>
          Reason
          <input
            name="reason"
            required
            defaultValue={v?.reason}
            aria-invalid={Boolean(fe?.reason)}
            aria-describedby="reason-error"
          />
          {err("reason")}
        </label>
        <div>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Issuing…" : "Issue escalation"}
          </button>
        </div>
      </div>
      {state && !state.ok && (
        <p role="status" className="error">
          {state.error}
        </p>
      )}
      {state?.ok &&
        (state.data.token ? (
          <TokenOnce token={state.data.token} expiresAt={state.data.expiresAt} />
        ) : (
          <p role="status" className="ok">
            {state.data.status === "pending"
              ? "Requested: a second admin has to approve it before any token exists."
              : "Issued: the platform picks the token up for the session."}
          </p>
        ))}
    </form>
  );
}
