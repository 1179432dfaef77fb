// The console's API for the MCP capability gateway (issue 14; docs/gateway.md): the config
// document the gateway polls (its tenant's clients and tool rules) and escalation requests.
import { z } from "zod";

const name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:@/+-]+$/, { error: "Use letters, digits and _ . : @ / + - only." });

/** Exposed tool names are `<upstream>.<tool>` (e.g. `fs.read_file`). Patterns: exact, or ending in `*` (prefix). */
export const gatewayToolPatternSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.\-/]+\*?$/, { error: "A tool name, or a prefix ending in *." });

/** A condition on one argument: `path` is a dotted path into the call's arguments ("path", "options.mode"). */
export const gatewayArgumentRuleSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
      error: "A dotted argument path, e.g. path or options.mode.",
    }),
  /** Glob on the argument's string value: `*` = any run without "/", `**` = any run, else literal. */
  match: z.string().min(1).max(500),
});

export const gatewaySubjectSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("any") }),
  z.strictObject({ kind: z.literal("agent"), value: name }),
  z.strictObject({ kind: z.literal("group"), value: name }),
  z.strictObject({ kind: z.literal("principal"), value: name }),
]);

/**
 * Allow rules only: a call is allowed when some rule's subject matches the client, its tool
 * pattern matches the exposed tool name, and every argument rule matches. Deny by default.
 */
export const gatewayRuleSchema = z.strictObject({
  id: z.uuid(),
  subject: gatewaySubjectSchema,
  tool: gatewayToolPatternSchema,
  arguments: z.array(gatewayArgumentRuleSchema).max(10),
  /** Free text shown in the console and in denial messages. */
  note: z.string().max(500).default(""),
});

export const gatewayClientSchema = z.strictObject({
  id: z.uuid(),
  name: z.string().max(200),
  principal: name,
  agent: name,
  groups: z.array(name).max(20),
  /** sha256 hex of the whole credential string `gwc_…` (never the credential). */
  credentialSha256: z.string().regex(/^[0-9a-f]{64}$/),
  revoked: z.boolean(),
});

export const gatewayConfigResponseSchema = z.object({
  tenant: z.string(),
  /** Changes whenever clients or rules change (the ETag is this value, quoted). */
  version: z.string(),
  clients: z.array(gatewayClientSchema),
  rules: z.array(gatewayRuleSchema),
});

export const gatewayOperationSchema = z.strictObject({
  /** The exposed tool name, e.g. "fs.write_file". */
  tool: name,
  /** From the gateway's tool declaration, e.g. "File"; "Tool" when none. */
  resourceType: name,
  /** The named resource, or the tool name when none. */
  resourceId: z.string().min(1).max(1000),
  /** e.g. "read", "write"; "call" when the tool declares none. */
  action: name,
  argDigest: z.string().regex(/^hmac-sha256:[0-9a-f]{64}$/, { error: "Expected hmac-sha256:<64 hex>." }),
});

export const gatewayEscalationRequestSchema = z.strictObject({
  client: z.uuid(),
  principal: name,
  agent: name,
  session: name,
  operation: gatewayOperationSchema,
  /** What was missing, in words, e.g. "no rule allows fs.write_file for agent support-bot". */
  missing: z.string().min(1).max(1000),
  /** The id of the denied tool.call event the gateway sent. */
  deniedEvent: z.string().min(1).max(200),
});

export const gatewayEscalationRequestStatusSchema = z.enum(["requested", "granted", "dismissed", "expired"]);

export const gatewayEscalationRequestResponseSchema = z.object({
  id: z.uuid(),
  status: gatewayEscalationRequestStatusSchema,
  /** The escalation issued when granted (then picked up with GET /api/v1/escalations?session=). */
  escalation: z.uuid().nullable(),
});

export type GatewayToolPattern = z.output<typeof gatewayToolPatternSchema>;
export type GatewayArgumentRule = z.output<typeof gatewayArgumentRuleSchema>;
export type GatewaySubject = z.output<typeof gatewaySubjectSchema>;
export type GatewayRule = z.output<typeof gatewayRuleSchema>;
export type GatewayClient = z.output<typeof gatewayClientSchema>;
export type GatewayConfigResponse = z.output<typeof gatewayConfigResponseSchema>;
export type GatewayOperation = z.output<typeof gatewayOperationSchema>;
export type GatewayEscalationRequest = z.output<typeof gatewayEscalationRequestSchema>;
export type GatewayEscalationRequestStatus = z.output<typeof gatewayEscalationRequestStatusSchema>;
export type GatewayEscalationRequestResponse = z.output<typeof gatewayEscalationRequestResponseSchema>;
