import { Capability } from "./capability.js";
import { authorityCode } from "./datalog.js";
import { CapabilityError, fromBiscuitError } from "./errors.js";
import { assertKid, parsePublicKeyBytes, privateKeyObject, rootKeyIdOf } from "./keys.js";
import { DEFAULT_RUN_LIMITS } from "./token.js";
import type { MintInput, Operation, Right } from "./types.js";
import { assertBudget, assertName, normalizeOperation, normalizeRight } from "./validate.js";
import { biscuitRuntime, loadBiscuit } from "./wasm-loader.js";

export const DEFAULT_ESCALATION_MAX_TTL_MS = 60_000;

/** Mints a root capability for one request. Only a holder of the issuer's private key can. */
export async function mintCapability(input: MintInput): Promise<Capability> {
  await loadBiscuit();
  const { bw, generation } = biscuitRuntime();
  assertKid(input.issuer.kid);
  const rootKey = parsePublicKeyBytes(input.issuer.publicKey);
  for (const [what, value] of Object.entries({
    tenant: input.tenant,
    principal: input.principal,
    agent: input.agent,
    session: input.session,
    request: input.request,
  })) {
    assertName(value, what);
  }
  if (!Number.isSafeInteger(input.ttlMs) || input.ttlMs <= 0) {
    throw new CapabilityError("invalid_argument", "ttlMs must be a positive integer");
  }
  if (!Array.isArray(input.rights) || input.rights.length === 0) {
    throw new CapabilityError("invalid_argument", "a capability needs at least one right");
  }
  assertBudget(input.budget);
  const issuedAt = input.clock.now();
  const { code, params } = authorityCode({
    tenant: input.tenant,
    principal: input.principal,
    agent: input.agent,
    session: input.session,
    request: input.request,
    issuerKid: input.issuer.kid,
    kind: input.kind ?? "minted",
    issuedAt,
    expiresAt: issuedAt + input.ttlMs,
    rights: input.rights.map(normalizeRight),
    budget: input.budget,
  });
  const builder = bw.Biscuit.builder();
  const privateKey = privateKeyObject(bw, input.issuer.privateKey);
  try {
    builder.addCodeWithParameters(code, params, {});
    builder.setRootKeyId(rootKeyIdOf(input.issuer.kid));
    const biscuit = builder.build(privateKey);
    return new Capability({
      biscuit,
      generation,
      rootKey,
      bytes: biscuit.toBytes(),
      clock: input.clock,
      limits: input.limits ?? DEFAULT_RUN_LIMITS,
      revocations: input.revocations,
    });
  } catch (raw) {
    throw fromBiscuitError(raw);
  } finally {
    if ((privateKey as unknown as { __wbg_ptr: number }).__wbg_ptr) privateKey.free();
  }
}

export interface EscalationInput extends Omit<MintInput, "rights" | "budget" | "kind" | "ttlMs"> {
  /** The one operation this escalation grants. */
  operation: Operation;
  ttlMs: number;
  maxTtlMs?: number;
}

/** A short-lived capability for exactly one operation, minted with the console's own key. */
export async function mintEscalation(input: EscalationInput): Promise<Capability> {
  const op = normalizeOperation(input.operation);
  const max = input.maxTtlMs ?? DEFAULT_ESCALATION_MAX_TTL_MS;
  if (input.ttlMs > max)
    throw new CapabilityError("invalid_argument", `escalation ttl is capped at ${max} ms`);
  const right: Right = { resource: op.resource, actions: [op.action] };
  if (op.id !== undefined) right.ids = [op.id];
  if (op.fields?.length) right.fields = op.fields;
  return mintCapability({ ...input, rights: [right], budget: op.use, kind: "escalation" });
}
