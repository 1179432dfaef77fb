import type { Biscuit, Fact, Policy } from "@biscuit-auth/biscuit-wasm";
import { ALLOW_POLICY } from "./datalog";
import { fromBiscuitError } from "./errors";
import { DEFAULT_RUN_LIMITS, type RunLimits, wasmLimits } from "./token";
import type { Operation } from "./types";
import { biscuitSync, currentGeneration } from "./wasm-loader";

/**
 * The hot path. Parsing datalog text costs more than evaluating it (~40 us against ~25 us)
 * and, with biscuit-wasm's allocator, leaks wasm memory on every call; so the policy and the
 * fact shapes are parsed once and reused: addPolicy/addFact copy them, Fact.set rebinds the
 * parameters in place.
 */
interface Templates {
  policy: Policy;
  op: Fact;
  now: Fact;
  use: Fact;
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
    };
  }
  return templates;
}

/**
 * The biscuit must belong to the current generation (Capability.live() sees to that).
 * Returns the matching policy index; throws CapabilityError (code "denied" with the raw detail). */
export function authorizeOperation(input: {
  biscuit: Biscuit;
  op: Operation;
  nowMs: number;
  limits?: RunLimits;
}): number {
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
    authorizer = builder.buildAuthenticated(input.biscuit);
    return authorizer.authorizeWithLimits(wasmLimits(input.limits ?? DEFAULT_RUN_LIMITS));
  } catch (raw) {
    throw fromBiscuitError(raw);
  } finally {
    if (authorizer) authorizer.free();
    else if ((builder as unknown as { __wbg_ptr: number }).__wbg_ptr) builder.free();
  }
}
