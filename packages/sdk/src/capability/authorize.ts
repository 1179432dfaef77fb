import type { Biscuit, Fact, Policy } from "@biscuit-auth/biscuit-wasm";
import { ALLOW_POLICY } from "./datalog.js";
import { CapabilityError, fromBiscuitError } from "./errors.js";
import { DEFAULT_RUN_LIMITS, type RunLimits, wasmLimits } from "./token.js";
import type { Operation } from "./types.js";
import { biscuitSync, currentGeneration } from "./wasm-loader.js";

/**
 * The hot path. Parsing datalog text costs more than evaluating it (~40 us against ~25 us)
 * (and, under wee_alloc, leaked wasm memory on every call); so the policy and the
 * fact shapes are parsed once and reused: addPolicy/addFact copy them, Fact.set rebinds the
 * parameters in place.
 */
interface Templates {
  policy: Policy;
  op: Fact;
  now: Fact;
  use: Fact;
  tool: Fact;
  argDigest: Fact;
}

let templates: (Templates & { generation: number }) | undefined;

function getTemplates(): Templates {
  if (!templates || templates.generation !== currentGeneration()) {
    const bw = biscuitSync();
    templates = {
      generation: currentGeneration(),
      policy: bw.Policy.fromString(ALLOW_POLICY),
      op: bw.Fact.fromString("op({r}, {a}, {id}, {f})"),
      now: bw.Fact.fromString("now({n})"),
      use: bw.Fact.fromString("use({k}, {n})"),
      tool: bw.Fact.fromString("tool({t})"),
      argDigest: bw.Fact.fromString("arg_digest({d})"),
    };
  }
  return templates;
}

interface AuthorizeInput {
  biscuit: Biscuit;
  op: Operation;
  nowMs: number;
  limits?: RunLimits;
}

/**
 * The biscuit must belong to the current generation (Capability.live() sees to that).
 * Returns the matching policy index; throws CapabilityError (code "denied" with the raw detail).
 *
 * The run limit's time budget is wall-clock time, measured inside wasm. On a busy machine the
 * thread can be descheduled long enough to hit it with a cheap token: that was the one
 * "operation denied" (code run_limit, "Timeout") in a 200k-operation stress run on two busy
 * cores, an authorization of ~80 us that took 121 ms. A token that really needs the time burns
 * CPU for it, so a timeout after which this process used less than half the budget in CPU time
 * is retried once, with the same limits; a real runaway still fails, at most ~1.5 budgets later.
 */
export function authorizeOperation(input: AuthorizeInput): number {
  const limits = input.limits ?? DEFAULT_RUN_LIMITS;
  const cpuBefore = process.cpuUsage();
  try {
    return authorizeOnce(input, limits);
  } catch (error) {
    if (!isTimeout(error)) throw error;
    const cpu = process.cpuUsage(cpuBefore);
    if (cpu.user + cpu.system >= limits.maxTimeMicros / 2) throw error;
    return authorizeOnce(input, limits);
  }
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof CapabilityError &&
    error.code === "run_limit" &&
    (error.detail as { RunLimit?: unknown } | undefined)?.RunLimit === "Timeout"
  );
}

function authorizeOnce(input: AuthorizeInput, limits: RunLimits): number {
  const bw = biscuitSync();
  const t = getTemplates();
  const builder = new bw.AuthorizerBuilder();
  let authorizer: ReturnType<typeof builder.buildAuthenticated> | undefined;
  try {
    builder.addPolicy(t.policy);
    t.op.set("r", input.op.resource);
    t.op.set("a", input.op.action);
    t.op.set("id", input.op.id ?? "");
    t.op.set("f", { set: input.op.fields ?? [] });
    builder.addFact(t.op);
    t.now.set("n", input.nowMs);
    builder.addFact(t.now);
    for (const [key, n] of Object.entries(input.op.use ?? {})) {
      t.use.set("k", key);
      t.use.set("n", n);
      builder.addFact(t.use);
    }
    // Only the operation's own: a narrowed block's tool or digest check fails without them.
    if (input.op.tool !== undefined) {
      t.tool.set("t", input.op.tool);
      builder.addFact(t.tool);
    }
    if (input.op.argDigest !== undefined) {
      t.argDigest.set("d", input.op.argDigest);
      builder.addFact(t.argDigest);
    }
    authorizer = builder.buildAuthenticated(input.biscuit);
    return authorizer.authorizeWithLimits(wasmLimits(limits));
  } catch (raw) {
    throw fromBiscuitError(raw);
  } finally {
    if (authorizer) authorizer.free();
    else if ((builder as unknown as { __wbg_ptr: number }).__wbg_ptr) builder.free();
  }
}
