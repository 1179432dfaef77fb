// The agent platform's side of escalations: pick up the grants an admin issued for one of its
// sessions (GET /api/v1/escalations?session=S) and record each use before acting on it
// (POST /api/v1/escalations/{id}/use). Framework-free, no Biscuit code: the token is verified
// like any other with the platform verifier (the console's key is in GET /api/v1/keys).

import {
  type EscalationOperation,
  type EscalationUseDecision,
  escalationPickupResponseSchema,
  escalationUseDecisionSchema,
  type PickedUpEscalation,
} from "../schema/wire.js";
import { type ConsoleClientOptions, consoleRequest, parseBody } from "./console-client.js";

export type { EscalationOperation, EscalationUseDecision, PickedUpEscalation };

/** The console's URL and an API key of the platform's tenant. */
export type EscalationClientOptions = ConsoleClientOptions;

export class EscalationClientError extends Error {
  override name = "EscalationClientError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function errorOf(res: Response, what: string): Promise<EscalationClientError> {
  const body = (await res.json().catch(() => null)) as { error?: string } | null;
  return new EscalationClientError(`${what}: ${res.status} ${body?.error ?? res.statusText}`, res.status);
}

/**
 * The grants waiting for `session`. Each is returned once across all callers (the console
 * claims it as it mints the token), so keep what this returns: asking again gives nothing.
 */
export async function pickUpEscalations(
  o: EscalationClientOptions,
  session: string,
): Promise<PickedUpEscalation[]> {
  const res = await consoleRequest(o, `/api/v1/escalations?session=${encodeURIComponent(session)}`);
  if (!res.ok) throw await errorOf(res, "pick up escalations");
  return (await parseBody(res, escalationPickupResponseSchema, "pick up escalations")).escalations;
}

/**
 * Records one use of a grant with the console, before the operation runs. The answer decides:
 * act only when `allowed`. Refusals (expired, already used, revoked, wrong operation) come back
 * as a decision, not an error; an error means the console could not be asked (then do not act).
 */
export async function useEscalation(
  o: EscalationClientOptions,
  grant: Pick<PickedUpEscalation, "id" | "token">,
  operation: EscalationOperation,
): Promise<EscalationUseDecision> {
  const res = await consoleRequest(o, `/api/v1/escalations/${encodeURIComponent(grant.id)}/use`, {
    method: "POST",
    body: JSON.stringify({ token: grant.token, operation }),
  });
  const body = (await res.json().catch(() => null)) as { error?: string } | null;
  const decision = escalationUseDecisionSchema.safeParse(body);
  if (decision.success) return decision.data;
  throw new EscalationClientError(
    `use escalation: ${res.status} ${body?.error ?? res.statusText}`,
    res.status,
  );
}
