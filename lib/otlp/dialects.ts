// What agent frameworks' spans mean, in the console's terms. Four dialects are read:
//
// - OpenTelemetry GenAI semantic conventions: `gen_ai.operation.name` = `execute_tool`
//   (`gen_ai.tool.name`, `gen_ai.tool.call.id`), `invoke_agent`, and `apply_guardrail` with a
//   decision (`gen_ai.security.decision.type` or `gen_ai.guardrail.action`).
// - MCP: `mcp.method.name` = `tools/call` (span name "tools/call <tool>"), `mcp.session.id`.
// - Vercel AI SDK: the `ai.toolCall` span (`ai.toolCall.name`, `ai.toolCall.id`,
//   `ai.telemetry.metadata.*`).
// - OpenInference (Arize Phoenix, LangChain/LangGraph and OpenAI Agents instrumentations):
//   `openinference.span.kind` = `TOOL` | `AGENT` | `GUARDRAIL`, `tool.name`, `session.id`.
//
// Capability lineage travels in the console's own namespace, never `gen_ai.*`:
// `capcon.capability.id`, `capcon.capability.parent_id`, `capcon.capability.hash`,
// `capcon.decision` (allowed | denied | error) and `capcon.decision.reason`. A tool span
// without `capcon.capability.id` is an uncovered call. Who the call was for comes from
// `user.id` (or the older `enduser.id`, or the Vercel AI SDK's `ai.telemetry.metadata.userId`),
// on the span or its resource.
import type { Attrs, AttrValue, OtlpSpan } from "./types";
import { SPAN_KIND } from "./types";

export type Dialect = "genai" | "mcp" | "vercel-ai" | "openinference";
export type ObservedType = "tool.call" | "agent.invoked" | "guardrail.checked";

export interface ObservedEvent {
  type: ObservedType;
  dialect: Dialect;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  ts: Date;
  latencyMs: number;
  principal: string | null;
  agent: string | null;
  session: string | null;
  /** The trace is the request. */
  request: string;
  tool: string | null;
  toolCallId: string | null;
  outcome: "allowed" | "denied" | "error";
  reason: string | null;
  capability: { id: string; parentId: string | null; hash: string | null } | null;
  /** Bounded facts kept for the investigator: span name, scope, service. */
  meta: Record<string, string>;
}

export const CAPCON = {
  capabilityId: "capcon.capability.id",
  parentId: "capcon.capability.parent_id",
  hash: "capcon.capability.hash",
  decision: "capcon.decision",
  reason: "capcon.decision.reason",
} as const;

const USER_ATTRS = ["user.id", "enduser.id", "ai.telemetry.metadata.userId"];
const SESSION_ATTRS = [
  "gen_ai.conversation.id",
  "mcp.session.id",
  "session.id",
  "ai.telemetry.metadata.sessionId",
];
const AGENT_ATTRS = ["gen_ai.agent.id", "gen_ai.agent.name", "agent.name", "ai.telemetry.functionId"];

function str(v: AttrValue | undefined, max = 256): string | null {
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v !== "string" || v.trim() === "") return null;
  return v.length > max ? v.slice(0, max) : v;
}

function pick(span: OtlpSpan, names: string[], max?: number): string | null {
  for (const n of names) {
    const v = str(span.attributes[n], max) ?? str(span.resource[n], max);
    if (v) return v;
  }
  return null;
}

function classify(span: OtlpSpan): { dialect: Dialect; type: ObservedType } | null {
  const a: Attrs = span.attributes;
  if (a["mcp.method.name"] === "tools/call") return { dialect: "mcp", type: "tool.call" };
  const op = a["gen_ai.operation.name"];
  if (op === "execute_tool") return { dialect: "genai", type: "tool.call" };
  if (op === "invoke_agent") return { dialect: "genai", type: "agent.invoked" };
  if (op === "apply_guardrail") return { dialect: "genai", type: "guardrail.checked" };
  if (span.name === "ai.toolCall" || a["ai.operationId"] === "ai.toolCall" || "ai.toolCall.name" in a)
    return { dialect: "vercel-ai", type: "tool.call" };
  const oi = a["openinference.span.kind"];
  if (oi === "TOOL") return { dialect: "openinference", type: "tool.call" };
  if (oi === "AGENT") return { dialect: "openinference", type: "agent.invoked" };
  if (oi === "GUARDRAIL") return { dialect: "openinference", type: "guardrail.checked" };
  return null;
}

function toolName(span: OtlpSpan, dialect: Dialect): string | null {
  const a = span.attributes;
  const named =
    str(a["gen_ai.tool.name"], 128) ??
    str(a["ai.toolCall.name"], 128) ??
    str(a["tool.name"], 128) ??
    str(a["tool_call.function.name"], 128);
  if (named) return named;
  // MCP spans are named "tools/call <tool>".
  if (dialect === "mcp" && span.name.startsWith("tools/call "))
    return span.name.slice(11, 139).trim() || null;
  return null;
}

const DENY = new Set(["deny", "denied", "block", "blocked", "reject", "rejected"]);

function outcomeOf(
  span: OtlpSpan,
  type: ObservedType,
): { outcome: ObservedEvent["outcome"]; reason: string | null } {
  const a = span.attributes;
  const declared = str(a[CAPCON.decision], 16);
  const reason =
    str(a[CAPCON.reason], 2000) ?? (span.status.message ? span.status.message.slice(0, 2000) : null);
  if (declared === "denied" || declared === "error" || declared === "allowed")
    return { outcome: declared, reason };
  if (type === "guardrail.checked") {
    const verdict =
      str(a["gen_ai.security.decision.type"], 32) ??
      str(a["gen_ai.guardrail.action"], 32) ??
      str(a["guardrail.decision"], 32);
    if (verdict && DENY.has(verdict.toLowerCase()))
      return {
        outcome: "denied",
        reason: str(a["gen_ai.security.decision.reason"], 2000) ?? reason ?? `guardrail: ${verdict}`,
      };
  }
  if (span.status.code === 2 || str(a["error.type"], 128))
    return { outcome: "error", reason: reason ?? str(a["error.type"], 128) };
  return { outcome: "allowed", reason: null };
}

function toEvent(span: OtlpSpan, kind: { dialect: Dialect; type: ObservedType }): ObservedEvent {
  const a = span.attributes;
  const capId = str(a[CAPCON.capabilityId], 256);
  const { outcome, reason } = outcomeOf(span, kind.type);
  const startMs = Number(span.startNs / 1_000_000n);
  const durNs = span.endNs > span.startNs ? span.endNs - span.startNs : 0n;
  const meta: Record<string, string> = { spanName: span.name.slice(0, 256) };
  if (span.scope.name) meta.scope = span.scope.name.slice(0, 256);
  const service = str(span.resource["service.name"], 128);
  if (service) meta.service = service;
  if (span.kind === SPAN_KIND.server) meta.spanKind = "server";
  else if (span.kind === SPAN_KIND.client) meta.spanKind = "client";
  return {
    type: kind.type,
    dialect: kind.dialect,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    ts: new Date(startMs),
    latencyMs: Number(durNs / 1_000_000n),
    principal: pick(span, USER_ATTRS),
    agent: pick(span, AGENT_ATTRS) ?? service,
    session: pick(span, SESSION_ATTRS, 128),
    request: span.traceId,
    tool: kind.type === "tool.call" ? toolName(span, kind.dialect) : null,
    toolCallId:
      str(a["gen_ai.tool.call.id"], 128) ?? str(a["ai.toolCall.id"], 128) ?? str(a["tool_call.id"], 128),
    outcome,
    reason,
    capability: capId
      ? { id: capId, parentId: str(a[CAPCON.parentId], 256), hash: str(a[CAPCON.hash], 80) }
      : null,
    meta,
  };
}

export interface MappedSpans {
  events: ObservedEvent[];
  /** Spans of no dialect the console reads (model calls, HTTP, …): accepted, not stored. */
  ignored: number;
}

/**
 * Maps a request's spans to observed events. One tool call is often traced twice, by the agent
 * framework (`execute_tool`) and by the MCP client under it; a tool span whose parent in the same
 * request is a tool span of the same tool is folded into that parent (its capability attributes
 * kept if the parent has none), so a call counts once.
 */
export function mapSpans(spans: OtlpSpan[]): MappedSpans {
  const mapped = new Map<string, ObservedEvent>();
  let ignored = 0;
  for (const span of spans) {
    const kind = classify(span);
    if (!kind) {
      ignored++;
      continue;
    }
    mapped.set(`${span.traceId}/${span.spanId}`, toEvent(span, kind));
  }
  // The outermost tool span of a same-tool chain stands for the call.
  const outermost = (event: ObservedEvent): ObservedEvent => {
    let top = event;
    for (let hops = 0; hops < 64 && top.parentSpanId; hops++) {
      const parent = mapped.get(`${top.traceId}/${top.parentSpanId}`);
      if (parent?.type !== "tool.call" || parent.tool !== event.tool) break;
      top = parent;
    }
    return top;
  };
  const folded: string[] = [];
  for (const [key, event] of mapped) {
    if (event.type !== "tool.call") continue;
    const top = outermost(event);
    if (top === event) continue;
    if (!top.capability && event.capability) top.capability = event.capability;
    if (top.outcome === "allowed" && event.outcome !== "allowed") {
      top.outcome = event.outcome;
      top.reason = event.reason;
    }
    folded.push(key);
  }
  for (const key of folded) mapped.delete(key);
  return { events: [...mapped.values()], ignored };
}
