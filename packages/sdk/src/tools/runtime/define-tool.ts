import type { z } from "zod";
import type { Capability, Clock, NarrowSpec, Operation } from "../../capability/index.js";
import {
  type AuditSink,
  eventCapability,
  inputDigest,
  newTraceId,
  type ToolCallEvent,
  uuidv7,
} from "./audit-event.js";

/**
 * A tool is a function of (input, capability). It declares the one operation it needs for a
 * given input; the wrapper authorizes that operation before running, records every call, and
 * hands sub-tools a capability narrowed to exactly what they declare. Tool code receives no
 * clock, env, session or database except what its factory was given and what `ctx` offers.
 */
export interface ToolDefinition<I, O> {
  name: string;
  input: z.ZodType<I>;
  needs(input: I): Operation;
  run(input: I, capability: Capability, ctx: ToolContext): Promise<O>;
}

export type Tool<I, O> = ToolDefinition<I, O> & { readonly kind: "tool" };

export type ToolResult<O> =
  | { ok: true; value: O; event: ToolCallEvent }
  | { ok: false; outcome: "denied" | "error"; reason: string; event: ToolCallEvent };

export interface CallOptions {
  /** A capability the caller derived itself (e.g. a sub-agent's); defaults to the caller's. */
  capability?: Capability;
  meta?: Record<string, unknown>;
}

export interface ToolContext {
  /** Time from the injected clock (tools must not read Date.now()). */
  now(): number;
  /** Calls a sub-tool with this tool's capability narrowed to what the sub-tool declares. */
  call<I2, O2>(tool: Tool<I2, O2>, input: unknown, options?: CallOptions): Promise<ToolResult<O2>>;
}

/** Everything a call needs from outside, passed explicitly by whoever starts the call. */
export interface ToolRuntime {
  clock: Clock;
  sink: AuditSink;
  /** HMAC key for inputDigest. */
  digestKey: Uint8Array | string;
  traceId?: string;
  meta?: Record<string, unknown>;
}

export function defineTool<I, O>(definition: ToolDefinition<I, O>): Tool<I, O> {
  return Object.freeze({ ...definition, kind: "tool" as const });
}

/** Exactly the declared operation as a narrowing (budget = declared use). */
export function narrowingFor(need: Operation): NarrowSpec {
  const spec: NarrowSpec = { resource: need.resource, action: need.action };
  if (need.id !== undefined) spec.id = need.id;
  if (need.fields?.length) spec.fields = need.fields;
  if (need.use && Object.keys(need.use).length > 0) spec.budget = need.use;
  return spec;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

interface Outcome {
  outcome: ToolCallEvent["outcome"];
  reason?: string;
  need?: Operation;
}

export async function invokeTool<I, O>(
  tool: Tool<I, O>,
  call: { input: unknown; capability: Capability; runtime: ToolRuntime; meta?: Record<string, unknown> },
): Promise<ToolResult<O>> {
  const { capability, runtime } = call;
  const traceId = runtime.traceId ?? newTraceId();
  const childRuntime: ToolRuntime = { ...runtime, traceId };
  const started = runtime.clock.now();

  const record = async (outcome: Outcome): Promise<ToolCallEvent> => {
    const ctx = capability.context;
    const event: ToolCallEvent = {
      id: uuidv7(runtime.clock.now()),
      ts: new Date(started).toISOString(),
      tenant: ctx?.tenant ?? "",
      type: "tool.call",
      principal: ctx?.principal ?? "",
      agent: ctx?.agent ?? "",
      session: ctx?.session ?? "",
      request: ctx?.request ?? "",
      traceId,
      tool: tool.name,
      outcome: outcome.outcome,
      capability: eventCapability(capability),
      inputDigest: inputDigest(call.input ?? null, runtime.digestKey),
      latencyMs: Math.max(0, runtime.clock.now() - started),
      meta: { ...runtime.meta, ...call.meta },
    };
    if (outcome.need) {
      event.action = outcome.need.action;
      event.resource = outcome.need.id
        ? { type: outcome.need.resource, id: outcome.need.id }
        : { type: outcome.need.resource };
      event.fields = outcome.need.fields ?? [];
    }
    if (outcome.reason) event.reason = outcome.reason;
    await runtime.sink.emit(event);
    return event;
  };

  const parsed = tool.input.safeParse(call.input);
  if (!parsed.success) {
    const reason = `invalid input: ${parsed.error.issues.map((i) => `${i.path.join(".") || "input"} ${i.message}`).join("; ")}`;
    return { ok: false, outcome: "error", reason, event: await record({ outcome: "error", reason }) };
  }
  let need: Operation;
  try {
    need = tool.needs(parsed.data);
  } catch (error) {
    const reason = `tool could not state its need: ${messageOf(error)}`;
    return { ok: false, outcome: "error", reason, event: await record({ outcome: "error", reason }) };
  }
  let decision: ReturnType<Capability["authorize"]>;
  try {
    decision = capability.authorize(need);
  } catch (error) {
    // An operation the token layer refuses to express (e.g. a name outside its alphabet).
    const reason = `tool need is invalid: ${messageOf(error)}`;
    return { ok: false, outcome: "error", reason, event: await record({ outcome: "error", reason }) };
  }
  if (!decision.allowed) {
    const event = await record({ outcome: "denied", reason: decision.reason, need });
    return { ok: false, outcome: "denied", reason: decision.reason, event };
  }

  const ctx: ToolContext = {
    now: () => runtime.clock.now(),
    call: (sub, subInput, options = {}) =>
      callSubTool({
        tool: sub,
        input: subInput,
        capability: options.capability ?? capability,
        runtime: childRuntime,
        meta: options.meta,
      }),
  };
  try {
    const value = await tool.run(parsed.data, capability, ctx);
    return { ok: true, value, event: await record({ outcome: "allowed", need }) };
  } catch (error) {
    const reason = messageOf(error);
    return { ok: false, outcome: "error", reason, event: await record({ outcome: "error", reason, need }) };
  }
}

async function callSubTool<I, O>(call: {
  tool: Tool<I, O>;
  input: unknown;
  capability: Capability;
  runtime: ToolRuntime;
  meta?: Record<string, unknown>;
}): Promise<ToolResult<O>> {
  const parsed = call.tool.input.safeParse(call.input);
  // Invalid input or an unstatable need: let invokeTool record it against the caller's capability.
  if (!parsed.success) return invokeTool(call.tool, call);
  let narrowed: Capability;
  try {
    narrowed = call.capability.narrowTo(narrowingFor(call.tool.needs(parsed.data)));
  } catch {
    return invokeTool(call.tool, call);
  }
  try {
    return await invokeTool(call.tool, { ...call, capability: narrowed });
  } finally {
    // Free the child token's wasm memory now; a tool that kept it can still use it (re-parses).
    narrowed.release();
  }
}
