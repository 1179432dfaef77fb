// Where "act from where you look" leads: one builder per destination, so every page that offers
// "Request escalation…" or "Revoke…" links the same way and the destination reads one contract.
// The destination pages pre-fill their forms from these parameters; nothing is done on arrival:
// the admin still reads the blast radius / the form and confirms.

export type RevokeTarget =
  | { kind: "session"; tenant: string; session: string }
  | { kind: "principal"; tenant: string; principal: string }
  | { kind: "capability"; tenant: string; capabilityId: string };

/** /revocations?kind=…&tenant=…&(session|principal|capability)=… — opens the blast-radius preview. */
export function revokeHref(t: RevokeTarget): string {
  const p = new URLSearchParams({ kind: t.kind, tenant: t.tenant });
  if (t.kind === "session") p.set("session", t.session);
  else if (t.kind === "principal") p.set("principal", t.principal);
  else p.set("capability", t.capabilityId);
  return `/revocations?${p.toString()}#revoke`;
}

/** The exact operation a denied call attempted, as the escalation form's fields name it. */
export interface EscalationPrefill {
  tenant: string;
  principal: string;
  session?: string | null;
  agent?: string | null;
  tool: string;
  resourceType?: string | null;
  resourceId?: string | null;
  action?: string | null;
  argDigest?: string | null;
  /** The denied event it came from, so the grant's reason can cite it. */
  fromEvent?: string | null;
}

const PREFILL_KEYS = [
  "tenant",
  "principal",
  "session",
  "agent",
  "tool",
  "resourceType",
  "resourceId",
  "action",
  "argDigest",
  "fromEvent",
] as const;

/** /escalations?… — opens the issue form filled with exactly this operation. */
export function escalateHref(e: EscalationPrefill): string {
  const p = new URLSearchParams();
  for (const k of PREFILL_KEYS) {
    const v = e[k];
    if (v) p.set(k, v);
  }
  return `/escalations?${p.toString()}#issue`;
}

/** Reads the prefill back from a page's searchParams (unknown keys ignored, values cut at 512). */
export function readEscalationPrefill(
  sp: Record<string, string | string[] | undefined>,
): Partial<Record<(typeof PREFILL_KEYS)[number], string>> {
  const out: Partial<Record<(typeof PREFILL_KEYS)[number], string>> = {};
  for (const k of PREFILL_KEYS) {
    const v = sp[k];
    const s = Array.isArray(v) ? v[0] : v;
    if (s) out[k] = s.slice(0, 512);
  }
  return out;
}
