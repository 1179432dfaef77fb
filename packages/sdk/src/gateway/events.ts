// Every gateway decision as an attested v1 event, with the capability (and so its lineage) that
// authorized or was refused, and meta.gateway saying who called what and what was decided.
import type { Capability, Clock } from "../capability/index.js";
import type { SenderEvent } from "../client/event-sender.js";
import { uuidv7 } from "../ids.js";
import type { GatewayOperation } from "../schema/gateway.js";
import { type EventCapability, eventCapability } from "../tools/index.js";
import { capabilityResourceId } from "./policy.js";

export type GatewayDecision = "minted" | "narrowed" | "listed" | "allowed" | "escalated" | "denied" | "error";

/** meta.gateway of every event the gateway sends, less the client (added per session). */
export interface GatewayDecisionMeta {
  upstream?: string;
  decision: GatewayDecision;
  /** Which check decided a refusal or an error (policy:no-rule, capability:denied, revoked, …). */
  check?: string;
  escalationRequest?: string;
  escalation?: string;
  rule?: string;
  listed?: number;
  hidden?: number;
  configVersion?: string;
}

export interface GatewayMeta extends GatewayDecisionMeta {
  /** The gateway client (console id) whose credential made the call. */
  client: string;
}

export interface EventContext {
  tenant: string;
  principal: string;
  agent: string;
  session: string;
  request: string;
  traceId: string;
}

const MAX_REASON = 2000;

// A capability's blocks never change, so neither does its part of an event. A narrowed capability
// is reused for the exact same call (same tool, resource, action and argument digest) within
// half its TTL, so those calls' events share one (they are only serialized); every other call
// narrows afresh and describes its own (its id, parent and chain give the lineage).
const described = new WeakMap<Capability, EventCapability>();
function describe(capability: Capability): EventCapability {
  let d = described.get(capability);
  if (!d) {
    d = eventCapability(capability);
    described.set(capability, d);
  }
  return d;
}

/** An event id that is also the idempotency key; `ts` is when the decision started. */
export function gatewayEvent(args: {
  ctx: EventContext;
  clock: Clock;
  startedMs: number;
  type: "tool.call" | "capability.minted" | "capability.attenuated";
  outcome: "allowed" | "denied" | "error";
  capability: Capability;
  gateway: GatewayMeta;
  tool?: string;
  operation?: GatewayOperation;
  reason?: string;
  latencyMs?: number;
}): SenderEvent {
  const { ctx } = args;
  const event: SenderEvent = {
    id: uuidv7(args.clock.now()),
    ts: new Date(args.startedMs).toISOString(),
    tenant: ctx.tenant,
    type: args.type,
    principal: ctx.principal,
    agent: ctx.agent,
    session: ctx.session,
    request: ctx.request,
    traceId: ctx.traceId,
    outcome: args.outcome,
    capability: describe(args.capability),
    meta: { gateway: args.gateway },
  };
  const tool = args.operation?.tool ?? args.tool;
  if (tool) event.tool = tool.slice(0, 128);
  if (args.operation) {
    const op = args.operation;
    event.action = op.action.slice(0, 64);
    // The event keeps ids up to 256 characters; a longer one is named by its hash, as in the token.
    const id = op.resourceId.length <= 256 ? op.resourceId : capabilityResourceId(op.resourceId);
    event.resource = { type: op.resourceType.slice(0, 64), id };
    event.inputDigest = op.argDigest;
  }
  if (args.reason) event.reason = args.reason.slice(0, MAX_REASON);
  if (args.latencyMs !== undefined) event.latencyMs = Math.max(0, Math.round(args.latencyMs));
  return event;
}
