"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { FieldError } from "@/components/ui/field-error";
import type { EscalationTargetMatch } from "@/lib/data/escalation-targets";
import { type IssueEscalationState, issueEscalationAction } from "../actions";
import { ReauthDialog } from "./reauth-dialog";
import { TargetCombobox } from "./target-combobox";
import { TokenOnce } from "./token-once";

type Field = "tool" | "resourceType" | "resourceId" | "action" | "argDigest";
const OPERATION: { name: Field; label: string; placeholder?: string; required?: boolean }[] = [
  { name: "tool", label: "Tool", placeholder: "crm.update_order", required: true },
  { name: "resourceType", label: "Resource type", placeholder: "Order", required: true },
  { name: "resourceId", label: "Resource id", placeholder: "o_381", required: true },
  { name: "action", label: "Action", placeholder: "write", required: true },
  { name: "argDigest", label: "Argument digest (optional)", placeholder: "hmac-sha256:…" },
];

export interface IssuePrefill {
  tenant?: string;
  principal?: string;
  session?: string;
  agent?: string;
  tool?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  argDigest?: string;
  fromEvent?: string;
}

type Values = Record<
  "tenant" | "principal" | "session" | "agent" | Field | "ttlSeconds" | "delivery" | "reason",
  string
> & { multiUse: boolean };

function initial(tenants: readonly string[], p: IssuePrefill): Values {
  return {
    tenant: p.tenant && tenants.includes(p.tenant) ? p.tenant : (tenants[0] ?? ""),
    principal: p.principal ?? "",
    session: p.session ?? "",
    agent: p.agent ?? "",
    tool: p.tool ?? "",
    resourceType: p.resourceType ?? "",
    resourceId: p.resourceId ?? "",
    action: p.action ?? "",
    argDigest: p.argDigest ?? "",
    ttlSeconds: "60",
    delivery: "console",
    reason: "",
    multiUse: false,
  };
}

/**
 * The issue form. Every field is held here (not in the DOM), so nothing typed is lost when the
 * server refuses, when the admin confirms their password in place, or when the page's tables
 * refresh live. A prefill (from a denied call's "Request escalation…") is only a suggestion: the
 * server action validates every field as for a typed one.
 */
export function IssueEscalationForm({
  tenants,
  prefill = {},
}: {
  tenants: readonly string[];
  prefill?: IssuePrefill;
}) {
  const [state, action, pending] = useActionState<IssueEscalationState | null, FormData>(
    issueEscalationAction,
    null,
  );
  const [values, setValues] = useState<Values>(() => initial(tenants, prefill));
  const set = (patch: Partial<Values>) => setValues((v) => ({ ...v, ...patch }));
  const formRef = useRef<HTMLFormElement>(null);
  const reasonRef = useRef<HTMLInputElement>(null);
  const [reauth, setReauth] = useState(false);
  const prefilled = Boolean(prefill.tool || prefill.principal);
  const foreignTenant = Boolean(prefill.tenant && !tenants.includes(prefill.tenant));

  useEffect(() => {
    // Arrived from a denied call: the operation is filled, the admin writes why.
    if (prefilled) reasonRef.current?.focus();
  }, [prefilled]);
  useEffect(() => {
    if (state && !state.ok && state.reauth) setReauth(true);
    if (state?.ok) setValues((v) => ({ ...v, reason: "" }));
  }, [state]);

  const fe = state && !state.ok && !state.reauth ? state.fieldErrors : undefined;
  const err = (name: string) => <FieldError name={name} errors={fe} />;
  const pickSession = (m: EscalationTargetMatch) =>
    m.kind === "session"
      ? set({ tenant: m.tenant, session: m.session, principal: m.principal, agent: m.agent ?? "" })
      : set({ tenant: m.tenant, principal: m.principal });

  return (
    <>
      {prefill.fromEvent && (
        <p className="esc-from" data-testid="escalation-from">
          From denied call{" "}
          <a className="mono" href={`/events/${encodeURIComponent(prefill.fromEvent)}`}>
            {prefill.fromEvent}
          </a>
          : the operation below is exactly the one it attempted. Check it, then say why it should be allowed.
        </p>
      )}
      {foreignTenant && (
        <p className="notice" role="status">
          The link names a tenant outside your scope; pick one of yours below.
        </p>
      )}
      <form ref={formRef} action={action} className="card" aria-label="Issue an escalation">
        <div className="form-grid">
          <label>
            Tenant
            <select
              name="tenant"
              value={values.tenant}
              onChange={(e) => set({ tenant: e.target.value })}
              aria-invalid={Boolean(fe?.tenant)}
              aria-describedby="tenant-error"
            >
              {tenants.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            {err("tenant")}
          </label>
          <TargetCombobox
            kind="principal"
            name="principal"
            label="Principal"
            placeholder="alice@acme.example"
            required
            value={values.principal}
            tenant={values.tenant}
            onChange={(principal) => set({ principal })}
            onPick={pickSession}
            invalid={Boolean(fe?.principal)}
            describedBy="principal-error"
          />
          <TargetCombobox
            kind="session"
            name="session"
            label="Session"
            placeholder="type a principal, session or agent"
            value={values.session}
            tenant={values.tenant}
            onChange={(session) => set({ session })}
            onPick={pickSession}
            invalid={Boolean(fe?.session)}
            describedBy="session-error"
          />
          <label>
            Agent (when no session)
            <input
              name="agent"
              placeholder="alice-assistant"
              value={values.agent}
              onChange={(e) => set({ agent: e.target.value })}
              aria-invalid={Boolean(fe?.agent)}
              aria-describedby="agent-error"
            />
            {err("agent")}
          </label>
          {OPERATION.map((f) => (
            <label key={f.name}>
              {f.label}
              <input
                name={f.name}
                placeholder={f.placeholder}
                required={f.required}
                value={values[f.name]}
                onChange={(e) => set({ [f.name]: e.target.value })}
                className={f.name === "argDigest" ? "mono" : undefined}
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
              value={values.ttlSeconds}
              onChange={(e) => set({ ttlSeconds: e.target.value })}
              aria-invalid={Boolean(fe?.ttlSeconds)}
              aria-describedby="ttlSeconds-error"
            />
            {err("ttlSeconds")}
          </label>
          <label>
            Delivery
            <select
              name="delivery"
              value={values.delivery}
              onChange={(e) => set({ delivery: e.target.value })}
            >
              <option value="console">shown to me once</option>
              <option value="platform">picked up by the platform</option>
            </select>
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              name="multiUse"
              checked={values.multiUse}
              onChange={(e) => set({ multiUse: e.target.checked })}
            />{" "}
            Allow more than one use
          </label>
          <label className="wide">
            Reason
            <input
              ref={reasonRef}
              name="reason"
              required
              placeholder="why this operation should be allowed, once"
              value={values.reason}
              onChange={(e) => set({ reason: e.target.value })}
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
          <p role="status" className={state.reauth ? "muted" : "error"}>
            {state.reauth ? "Confirm your password to issue: the form is kept." : state.error}
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
      <ReauthDialog
        open={reauth}
        onCancel={() => setReauth(false)}
        onConfirmed={() => {
          setReauth(false);
          formRef.current?.requestSubmit();
        }}
      />
    </>
  );
}
