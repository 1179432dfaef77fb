"use client";

import { useActionState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { setTenantPolicyAction } from "../tenant-actions";

export interface TenantPolicyView {
  tenant: string;
  name: string;
  twoPersonEscalations: boolean;
  escalationMaxTtlSeconds: number;
}

/** One tenant's escalation policy: the two-person rule and the server-enforced TTL cap. */
export function TenantPolicyForm({ policy }: { policy: TenantPolicyView }) {
  const [state, action, pending] = useActionState(setTenantPolicyAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  const id = `policy-${policy.tenant}`;
  return (
    <form
      key={JSON.stringify(v ?? null)}
      action={action}
      className="card"
      aria-label={`Escalation policy of ${policy.tenant}`}
    >
      <input type="hidden" name="tenant" value={policy.tenant} />
      <div className="form-grid">
        <strong>
          {policy.name} <span className="muted mono">({policy.tenant})</span>
        </strong>
        <label style={{ flexDirection: "row", alignItems: "center", fontWeight: 400 }}>
          <input
            type="checkbox"
            name="twoPersonEscalations"
            defaultChecked={v ? v.twoPersonEscalations === "on" : policy.twoPersonEscalations}
          />{" "}
          Two-person rule: an escalation waits for a second admin's approval
        </label>
        <label>
          Maximum TTL (seconds)
          <input
            name="escalationMaxTtlSeconds"
            type="number"
            min={1}
            max={3600}
            required
            defaultValue={v?.escalationMaxTtlSeconds ?? policy.escalationMaxTtlSeconds}
            aria-invalid={Boolean(fe?.escalationMaxTtlSeconds)}
            aria-describedby={`${id}-ttl-error`}
          />
          <FieldError name="escalationMaxTtlSeconds" errors={fe} id={`${id}-ttl-error`} />
        </label>
        <div>
          <button type="submit" disabled={pending} aria-describedby={`${id}-status`}>
            {pending ? "Saving…" : "Save policy"}
          </button>
        </div>
      </div>
      <p id={`${id}-status`} role="status" aria-live="polite" className={state?.ok ? "ok" : "error"}>
        {state?.ok
          ? `Saved: two-person rule ${state.data.twoPersonEscalations ? "on" : "off"}, at most ${state.data.max} s.`
          : state?.error}
      </p>
    </form>
  );
}
