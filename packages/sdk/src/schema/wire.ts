import { z } from "zod";
import type { CapabilitySummary } from "../capability/types.js";
import { eventSchema, LIMITS } from "./event.js";

// Every message of the console's platform API (/api/v1/*), defined once: the console's route
// handlers and this SDK's clients both use these schemas and the types inferred from them.

/** A name in an escalation's operation (tool, resource type and id, action). */
const NAME = /^[A-Za-z0-9_.:@/+-]{1,200}$/;
const ARG_DIGEST = /^hmac-sha256:[0-9a-f]{64}$/;
/** No control characters (C0, DEL, C1): what a resource id may hold besides a name's alphabet. */
export function isPrintable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

// ---- errors ------------------------------------------------------------------------------

/** One invalid item of a batch: its index, the dotted field inside it, and why. */
export const itemErrorSchema = z.object({
  index: z.number().int().min(0),
  field: z.string(),
  message: z.string(),
});
export type ItemError = z.output<typeof itemErrorSchema>;

/** Every 4xx/5xx answer of /api/v1/*: a message, the field it is about, item errors for batches. */
export const apiErrorSchema = z.object({
  error: z.string(),
  field: z.string().optional(),
  details: z.array(itemErrorSchema).optional(),
});
export type ApiError = z.output<typeof apiErrorSchema>;

// ---- POST /api/v1/events -----------------------------------------------------------------

/** The batch ingest request: up to LIMITS.maxEvents v1 events. */
export const ingestRequestSchema = z.strictObject({
  events: z.array(eventSchema).max(LIMITS.maxEvents, { error: `at most ${LIMITS.maxEvents} events` }),
});
/** What a platform sends. */
export type IngestRequest = z.input<typeof ingestRequestSchema>;

export const ingestItemStatusSchema = z.enum(["created", "duplicate", "conflict"]);
export type IngestItemStatus = z.output<typeof ingestItemStatusSchema>;

/** The 200 answer, sent after COMMIT: per event, stored now, stored before, or a different event with that id. */
export const ingestResponseSchema = z.object({
  accepted: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  conflicts: z.number().int().min(0),
  results: z.array(z.object({ id: z.string(), status: ingestItemStatusSchema })),
});
export type IngestResponse = z.output<typeof ingestResponseSchema>;

// ---- GET /api/v1/keys --------------------------------------------------------------------

export const publishedKeySchema = z.object({
  kid: z.string(),
  alg: z.literal("ed25519"),
  /** "ed25519/<64 hex>" */
  publicKey: z.string(),
  status: z.enum(["active", "retired"]),
  /** A retired key verifies until then (its grace period); verifiers refuse it after. */
  verifiesUntil: z.string().optional(),
});
export type PublishedKey = z.output<typeof publishedKeySchema>;

export const keysResponseSchema = z.object({ keys: z.array(publishedKeySchema) });
export type KeysResponse = z.output<typeof keysResponseSchema>;

// ---- GET /api/v1/revocations?since=CURSOR --------------------------------------------------

export const revocationFeedEntrySchema = z.object({
  cursor: z.number().int(),
  kind: z.enum(["session", "capability", "principal", "escalation"]),
  target: z.string(),
  /** Every capability id the revocation cuts (a capability entry lists its descendants). */
  revokedIds: z.array(z.string()),
  reason: z.string(),
  at: z.string(),
});
export type RevocationFeedEntry = z.output<typeof revocationFeedEntrySchema>;

/** One page of the feed: entries after `since`, the cursor to ask from next, the tenant's head. */
export const revocationFeedPageSchema = z.object({
  revocations: z.array(revocationFeedEntrySchema),
  next: z.number().int(),
  /** The tenant's highest cursor; consoles from before per-tenant cursors do not send it. */
  head: z.number().int().optional(),
});
export type RevocationFeedPage = z.output<typeof revocationFeedPageSchema>;

// ---- GET /api/v1/escalations?session=S and POST /api/v1/escalations/{id}/use ------------------

export const escalationOperationSchema = z.strictObject({
  tool: z.string().regex(NAME),
  resourceType: z.string().regex(NAME),
  // Wider than a name: a gateway's resources are file paths (issue 14). Printable, at most 1000;
  // the token names it through capabilityResourceId.
  resourceId: z.string().min(1).max(1000).refine(isPrintable, { error: "No control characters." }),
  action: z.string().regex(NAME),
  argDigest: z.string().regex(ARG_DIGEST).optional(),
});
export type EscalationOperation = z.output<typeof escalationOperationSchema>;

/** One grant as the console hands it out, exactly once: the token is not kept anywhere else. */
export const pickedUpEscalationSchema = z.object({
  id: z.string(),
  token: z.string(),
  capabilityId: z.string(),
  principal: z.string(),
  session: z.string().nullable(),
  agent: z.string().nullable(),
  operation: escalationOperationSchema,
  singleUse: z.boolean(),
  issuedAt: z.string(),
  expiresAt: z.string(),
});
export type PickedUpEscalation = z.output<typeof pickedUpEscalationSchema>;

export const escalationPickupResponseSchema = z.object({ escalations: z.array(pickedUpEscalationSchema) });
export type EscalationPickupResponse = z.output<typeof escalationPickupResponseSchema>;

/** The body of POST /api/v1/escalations/{id}/use. */
export const escalationUseRequestSchema = z.strictObject({
  token: z.string({ error: "token is required" }).min(1, { error: "token is required" }).max(100_000),
  operation: escalationOperationSchema,
});
export type EscalationUseRequest = z.output<typeof escalationUseRequestSchema>;

export const escalationDenialCodes = [
  "unknown",
  "token_mismatch",
  "operation_mismatch",
  "not_active",
  "used",
  "expired",
  "revoked",
] as const;

/** The console's answer to a use: act only when `allowed`. */
export const escalationUseDecisionSchema = z.discriminatedUnion("allowed", [
  z.object({
    allowed: z.literal(true),
    escalationId: z.string(),
    useCount: z.number().int(),
    expiresAt: z.string(),
  }),
  z.object({ allowed: z.literal(false), code: z.enum(escalationDenialCodes), reason: z.string() }),
]);
export type EscalationUseDecision = z.output<typeof escalationUseDecisionSchema>;

// ---- POST /api/v1/introspect -------------------------------------------------------------

export const introspectRequestSchema = z.object({ token: z.string().min(1) });
export type IntrospectRequest = z.output<typeof introspectRequestSchema>;

/**
 * RFC 7662-style answer. `active: false` with a `reason` (and the token's description when it
 * parsed); `active: true` with the description, escalation use counts, and the capability summary.
 */
export const introspectResponseSchema = z.object({
  active: z.boolean(),
  reason: z.string().optional(),
  kind: z.enum(["minted", "attenuated", "escalation"]).optional(),
  sub: z.string().optional(),
  tenant: z.string().optional(),
  session: z.string().optional(),
  agent: z.string().optional(),
  iat: z.number().optional(),
  exp: z.number().optional(),
  expires_at: z.string().optional(),
  cap_id: z.string().optional(),
  token_hash: z.string().optional(),
  escalation_id: z.string().optional(),
  single_use: z.boolean().optional(),
  uses: z.number().optional(),
  /** The capability's summary (principal, tenants, rights, budget, chain...). */
  summary: z
    .custom<CapabilitySummary>((v) => typeof v === "object" && v !== null && !Array.isArray(v))
    .optional(),
});
export type IntrospectResponse = z.output<typeof introspectResponseSchema>;
