import { z } from "zod";
import { type TextKind, textProblem } from "./text-rules.js";

/** An event's outcome (the console's event_outcome enum; a unit test keeps the two equal). */
export const OUTCOMES = ["allowed", "denied", "error"] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** How a capability came to be (the console's capability_kind enum). */
export const CAPABILITY_KINDS = ["minted", "attenuated", "escalation"] as const;

// The v1 event of DESIGN.md ("The event as sent to POST /api/v1/events"). JSON names are fixed.
// Optional fields accept null as "absent". Unknown fields are rejected at every level we define.

export const LIMITS = {
  maxBodyBytes: 1024 * 1024,
  maxEvents: 1000,
  /** Nesting of the whole request body (envelope, event, meta). */
  maxJsonDepth: 32,
  maxMetaBytes: 8 * 1024,
  maxMetaDepth: 8,
  maxSummaryBytes: 16 * 1024,
  maxReasonLength: 2000,
  maxFields: 100,
  /**
   * How far ahead of the server clock an event's ts may be: clock skew between the sender and
   * the console. Further ahead is refused (a far-future ts would sort above every real event).
   */
  maxFutureSkewMs: 5 * 60_000,
  /**
   * An event received this long after its ts is "late" (a buffered batch, a replay, an import).
   * Any past ts is accepted; the explorer marks late events (received_at − ts, computed on read).
   */
  lateAfterMs: 10 * 60_000,
} as const;

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const SHA256 = /^sha256:[0-9a-f]{64}$/;
const HMAC = /^hmac-sha256:[0-9a-f]{64}$/;

function checked(kind: TextKind, max: number, min = 1) {
  return z
    .string()
    .min(min, { error: min === 1 ? "must not be empty" : `must be at least ${min} characters` })
    .max(max, { error: `must be at most ${max} characters` })
    .superRefine((value, ctx) => {
      const problem = textProblem(value, kind);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}
const ident = (max: number) => checked("identifier", max);
const opt = <T extends z.ZodType>(schema: T) => schema.nullish();

/** UUIDv7 (stored lower-case) or ULID (stored upper-case), so one id never has two spellings. */
export const eventIdSchema = z
  .string()
  .max(36)
  .refine((v) => UUID_V7.test(v) || ULID.test(v), { error: "must be a UUIDv7 or a ULID" })
  .transform((v) => (v.length === 26 ? v.toUpperCase() : v.toLowerCase()));

const timestamp = z
  .string()
  .max(40)
  .pipe(z.iso.datetime({ offset: true, error: "must be an ISO-8601 timestamp with a zone (Z or ±hh:mm)" }))
  .transform((v) => new Date(v))
  .refine((d) => d.getUTCFullYear() >= 1970 && d.getUTCFullYear() <= 9999, {
    error: "must be between 1970 and 9999",
  });

/** A bounded JSON object: serialized size, nesting depth, and the text rules on every key and string. */
export function boundedJson(args: { maxBytes: number; maxDepth: number }) {
  return z
    .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
      error: "must be a JSON object",
    })
    .superRefine((value, ctx) => {
      const bytes = Buffer.byteLength(JSON.stringify(value));
      if (bytes > args.maxBytes) {
        ctx.addIssue({
          code: "custom",
          message: `must be at most ${args.maxBytes} bytes as JSON (got ${bytes})`,
        });
        return;
      }
      const walk = (v: unknown, depth: number, at: (string | number)[]): boolean => {
        if (depth > args.maxDepth) {
          ctx.addIssue({
            code: "custom",
            message: `must be nested at most ${args.maxDepth} levels`,
            path: at,
          });
          return false;
        }
        if (typeof v === "string") {
          const problem = textProblem(v, "text");
          if (problem) ctx.addIssue({ code: "custom", message: problem, path: at });
          return !problem;
        }
        if (typeof v === "number" && !Number.isFinite(v)) {
          ctx.addIssue({ code: "custom", message: "numbers must be finite", path: at });
          return false;
        }
        if (Array.isArray(v)) return v.every((x, i) => walk(x, depth + 1, [...at, i]));
        if (v && typeof v === "object") {
          for (const [k, x] of Object.entries(v)) {
            const problem =
              k.length > 128 ? "keys must be at most 128 characters" : textProblem(k, "identifier");
            if (problem) {
              ctx.addIssue({ code: "custom", message: `key: ${problem}`, path: [...at, k] });
              return false;
            }
            if (!walk(x, depth + 1, [...at, k])) return false;
          }
        }
        return true;
      };
      walk(value, 1, []);
    });
}

export const capabilitySchema = z.strictObject({
  id: ident(256),
  hash: z.string().regex(SHA256, { error: "must be sha256:<64 lower-case hex>" }),
  parentId: opt(ident(256)),
  rootId: opt(ident(256)),
  depth: opt(z.number().int().min(0).max(1000)),
  issuer: opt(ident(128)),
  kind: opt(z.enum(CAPABILITY_KINDS)),
  issuedAt: opt(timestamp),
  expiresAt: opt(timestamp),
  summary: opt(boundedJson({ maxBytes: LIMITS.maxSummaryBytes, maxDepth: LIMITS.maxMetaDepth })),
});

export const eventSchema = z
  .strictObject({
    id: eventIdSchema,
    ts: timestamp,
    tenant: ident(64),
    type: z
      .string()
      .max(64, { error: "must be at most 64 characters" })
      .regex(TYPE, { error: "must be dotted lower-case words, e.g. tool.call" })
      .refine((t) => !t.startsWith("console."), {
        error: "console.* events are written by the console itself",
      }),
    // "[erased]" is what the console shows for an erased person: no event may claim it.
    principal: opt(ident(256).refine((v) => v !== "[erased]", { error: "[erased] is reserved" })),
    agent: opt(ident(256)),
    session: opt(ident(128)),
    request: opt(ident(128)),
    traceId: opt(ident(64)),
    spanId: opt(ident(64)),
    tool: opt(ident(128)),
    action: opt(ident(64)),
    resource: opt(z.strictObject({ type: ident(64), id: opt(ident(256)) })),
    fields: opt(z.array(ident(128)).max(LIMITS.maxFields, { error: `at most ${LIMITS.maxFields} fields` })),
    outcome: z.enum(OUTCOMES, { error: `must be one of ${OUTCOMES.join(", ")}` }),
    reason: opt(checked("text", LIMITS.maxReasonLength)),
    capability: opt(capabilitySchema),
    inputDigest: opt(
      z.string().regex(HMAC, { error: "must be hmac-sha256:<64 lower-case hex> (never raw input)" }),
    ),
    latencyMs: opt(z.number().int().min(0).max(2_147_483_647)),
    cost: opt(z.number().finite().min(0).max(1e12)),
    meta: opt(boundedJson({ maxBytes: LIMITS.maxMetaBytes, maxDepth: LIMITS.maxMetaDepth })),
  })
  .superRefine((e, ctx) => {
    if (!e.capability && (e.type === "tool.call" || e.type.startsWith("capability."))) {
      ctx.addIssue({ code: "custom", message: `is required for ${e.type} events`, path: ["capability"] });
    }
  });

/** An event as the console stores it (ids normalised, timestamps as Dates). */
export type IngestEvent = z.output<typeof eventSchema>;
export type IngestCapability = z.output<typeof capabilitySchema>;
/** An event as a platform sends it (the JSON of POST /api/v1/events). */
export type EventV1 = z.input<typeof eventSchema>;
export type EventCapabilityV1 = z.input<typeof capabilitySchema>;
