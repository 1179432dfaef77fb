"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import type { ActionResult } from "@/lib/actions/result";
import type { BlastRadius } from "@/lib/data/blast-radius";
import { plural } from "@/lib/format/time";
import {
  getBlastRadiusAction,
  revokeCapabilityAction,
  revokePrincipalAction,
  revokeSessionAction,
} from "../actions";

export type RevokeFormTarget =
  | { kind: "session"; tenant: string; session: string }
  | { kind: "principal"; tenant: string; principal: string }
  /** `tenants`: the admin's, offered when several (capability ids are unique per tenant only). */
  | { kind: "capability"; capabilityId?: string; tenants?: readonly string[] };

/** Reason first, then what the revocation cuts, then the confirmation: nothing is revoked unseen. */
export function RevokeForm({
  target,
  label,
  collapsed = false,
  initialRadius,
  autoFocusReason = false,
}: {
  target: RevokeFormTarget;
  label: string;
  /** Start as one button (long lists): the form opens on click. */
  collapsed?: boolean;
  /**
   * What it cuts, measured by the page (arriving from a "Revoke…" link): shown at once, and the
   * admin still writes the reason and confirms. Nothing is revoked on arrival.
   */
  initialRadius?: BlastRadius;
  autoFocusReason?: boolean;
}) {
  const [open, setOpen] = useState(!collapsed);
  const reasonInput = useRef<HTMLInputElement>(null);
  const [focusReason, setFocusReason] = useState(autoFocusReason);
  useEffect(() => {
    // Opened from its button: the keyboard goes on to the reason, where the user asked to be.
    if (focusReason) reasonInput.current?.focus();
  }, [focusReason]);
  const [reason, setReason] = useState("");
  const [capabilityId, setCapabilityId] = useState(
    target.kind === "capability" ? (target.capabilityId ?? "") : "",
  );
  const [tenant, setTenant] = useState("");
  const [radius, setRadius] = useState<BlastRadius | null>(initialRadius ?? null);
  const [result, setResult] = useState<ActionResult<unknown> | null>(null);
  const [pending, start] = useTransition();
  const resolved =
    target.kind === "capability"
      ? { kind: "capability" as const, capabilityId: capabilityId.trim(), ...(tenant ? { tenant } : {}) }
      : target;

  const measure = () =>
    start(async () => {
      setResult(null);
      const r = await getBlastRadiusAction(resolved);
      if (r.ok) setRadius(r.data);
      else setResult(r);
    });
  const confirm = () =>
    start(async () => {
      const r =
        resolved.kind === "session"
          ? await revokeSessionAction({ tenant: resolved.tenant, session: resolved.session, reason })
          : resolved.kind === "principal"
            ? await revokePrincipalAction({ tenant: resolved.tenant, principal: resolved.principal, reason })
            : await revokeCapabilityAction({
                capabilityId: resolved.capabilityId,
                reason,
                ...(tenant ? { tenant } : {}),
              });
      setResult(r);
      if (r.ok) setRadius(null);
    });

  const fe = result && !result.ok ? result.fieldErrors : undefined;
  if (!open)
    return (
      <button
        type="button"
        className="danger"
        onClick={() => {
          setOpen(true);
          setFocusReason(true);
        }}
      >
        {label}…
      </button>
    );
  return (
    <fieldset className="row-actions" aria-label={label}>
      {target.kind === "capability" && (
        <label>
          Capability id
          <input value={capabilityId} onChange={(e) => setCapabilityId(e.target.value)} className="mono" />
        </label>
      )}
      {target.kind === "capability" && (target.tenants?.length ?? 0) > 1 && (
        <label>
          Tenant
          <select
            value={tenant}
            onChange={(e) => setTenant(e.target.value)}
            aria-invalid={Boolean(fe?.tenant)}
          >
            <option value="">the one holding this id</option>
            {target.tenants?.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      )}
      <label>
        Reason
        <input
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          required
          ref={reasonInput}
          aria-invalid={Boolean(fe?.reason)}
        />
      </label>
      {!radius ? (
        <button type="button" disabled={pending || reason.trim() === ""} onClick={measure}>
          Show what it cuts
        </button>
      ) : (
        <span className="notice" data-testid="blast-radius">
          Cuts {plural(radius.liveCapabilities, "live capability", "live capabilities")},{" "}
          {plural(radius.sessions, "session")}, {plural(radius.escalations, "escalation")};{" "}
          {plural(radius.callsLastHour, "call")} in the last hour.{" "}
          <button
            type="button"
            className="danger"
            disabled={pending || reason.trim() === ""}
            title={reason.trim() === "" ? "Give a reason first" : undefined}
            onClick={confirm}
          >
            Confirm: {label.toLowerCase()}
          </button>{" "}
          <button type="button" onClick={() => setRadius(null)}>
            Cancel
          </button>
        </span>
      )}
      {result && (
        <span role="status" className={result.ok ? "ok" : "error"}>
          {result.ok ? "Revoked; verifiers see it on their next poll." : result.error}
        </span>
      )}
    </fieldset>
  );
}
