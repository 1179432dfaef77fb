import "server-only";
import type { Db } from "@/db/client";
import type { Authority } from "@/lib/auth/authority";
import { type EscalationListRow, listEscalations, PENDING_MAX_AGE_MS } from "./escalations";

// Where an escalation belongs on the Escalations page right now, and the compact state the page
// polls (app/api/escalations/state) to notice a pick-up, a use, an expiry or a revocation without
// a reload (issue 12, point 4). The page and the feed classify with the same function, so the
// page's rendered state and the feed agree until something really changed.

/** active: usable now. pending: waits for a second admin. ended: expired, used up, revoked, rejected, lapsed. */
export type EscalationPhase = "active" | "pending" | "ended";

type Classified = Pick<
  EscalationListRow,
  "status" | "expiresAt" | "requestedAt" | "singleUse" | "useCount" | "revokedAt"
>;

export function escalationPhase(e: Classified, nowMs: number): EscalationPhase {
  if (e.status === "pending")
    return nowMs - e.requestedAt.getTime() < PENDING_MAX_AGE_MS ? "pending" : "ended";
  if (e.status !== "active" || e.revokedAt) return "ended";
  if (!e.expiresAt || e.expiresAt.getTime() <= nowMs) return "ended";
  if (e.singleUse && e.useCount > 0) return "ended";
  return "active";
}

/** Why an ended grant ended, in the words of the History badge. */
export function endedAs(e: Classified & Pick<EscalationListRow, "status">): string {
  if (e.status === "active") return e.singleUse && e.useCount > 0 ? "used" : "expired";
  if (e.status === "pending") return "lapsed";
  return e.status;
}

export interface EscalationState {
  id: string;
  tenant: string;
  phase: EscalationPhase;
  status: string;
  useCount: number;
  /** Use attempts recorded (allowed and refused). */
  attempts: number;
  delivered: boolean;
  expiresAt: string | null;
}

export interface EscalationStateFeed {
  now: string;
  /** Changes exactly when something the page shows changes: the page refreshes on a new one. */
  signature: string;
  escalations: EscalationState[];
}

export function stateOf(e: EscalationListRow, nowMs: number): EscalationState {
  return {
    id: e.id,
    tenant: e.tenant,
    phase: escalationPhase(e, nowMs),
    status: e.status,
    useCount: e.useCount,
    attempts: e.uses.length,
    delivered: e.deliveredAt !== null,
    expiresAt: e.expiresAt?.toISOString() ?? null,
  };
}

export function signatureOf(states: readonly EscalationState[]): string {
  return states
    .map(
      (s) => `${s.tenant}/${s.id}:${s.phase}:${s.status}:${s.useCount}:${s.attempts}:${s.delivered ? 1 : 0}`,
    )
    .join("|");
}

/** The states of the escalations in view (the same rows the page lists), for the live feed. */
export async function getEscalationStates(
  db: Db,
  authority: Authority,
  opts: { nowMs?: number; rows?: EscalationListRow[] } = {},
): Promise<EscalationStateFeed> {
  const rows = opts.rows ?? (await listEscalations(db, authority));
  const nowMs = opts.nowMs ?? Date.now();
  const escalations = rows.map((r) => stateOf(r, nowMs));
  return { now: new Date(nowMs).toISOString(), signature: signatureOf(escalations), escalations };
}
