import { CapabilityError } from "./errors.js";
import type { Budget, NarrowSpec, NormalizedNarrowing, Operation, Right, Scope } from "./types.js";

/**
 * Names that go into datalog are restricted to a plain alphabet: no quotes or braces can
 * reach the block source we parse back, and "*" (our "any" marker) can never be a real name.
 */
const NAME = /^[A-Za-z0-9_.:@/+-]{1,200}$/;

export function assertName(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new CapabilityError("invalid_argument", `${what} must match [A-Za-z0-9_.:@/+-]{1,200}`);
  }
}

function names(values: readonly string[] | undefined, what: string): string[] | undefined {
  if (values === undefined) return undefined;
  if (!Array.isArray(values) || values.length === 0) {
    throw new CapabilityError("invalid_argument", `${what} must be a non-empty list`);
  }
  for (const v of values) assertName(v, what);
  return [...new Set(values)];
}

export function assertBudget(budget: Budget | undefined): void {
  for (const [key, value] of Object.entries(budget ?? {})) {
    assertName(key, "budget key");
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new CapabilityError("invalid_argument", `budget ${key} must be a non-negative integer`);
    }
  }
}

export function normalizeRight(right: Right): Right {
  assertName(right.resource, "resource");
  const actions = names(right.actions, "actions") as string[];
  if (!actions) throw new CapabilityError("invalid_argument", "a right needs actions");
  const out: Right = { resource: right.resource, actions };
  const ids = names(right.ids, "ids");
  const fields = names(right.fields, "fields");
  if (ids) out.ids = ids;
  if (fields) out.fields = fields;
  return out;
}

function normalizeScope(scope: Scope): Scope {
  const out: Scope = {};
  const resources = names(scope.resources, "resources");
  const actions = names(scope.actions, "actions");
  const ids = names(scope.ids, "ids");
  const fields = names(scope.fields, "fields");
  if (resources) out.resources = resources;
  if (actions) out.actions = actions;
  if (ids) out.ids = ids;
  if (fields) out.fields = fields;
  return out;
}

function one(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : [value];
}

export function normalizeNarrowing(spec: NarrowSpec, nowMs: number): NormalizedNarrowing {
  const shorthand: Scope = {
    resources: spec.resources ?? one(spec.resource),
    actions: spec.actions ?? one(spec.action),
    ids: spec.ids ?? one(spec.id),
    fields: spec.fields,
  };
  const hasShorthand = Object.values(shorthand).some((v) => v !== undefined);
  if (hasShorthand && spec.scopes) {
    throw new CapabilityError("invalid_argument", "use either scopes or the shorthand fields, not both");
  }
  const scopes = (spec.scopes ?? (hasShorthand ? [shorthand] : [])).map(normalizeScope);
  const out: NormalizedNarrowing = { scopes: scopes.filter((s) => Object.keys(s).length > 0) };
  if (spec.scopes && out.scopes.length !== spec.scopes.length) {
    throw new CapabilityError("invalid_argument", "an empty scope would allow everything");
  }
  const expiries = [spec.expiresAt, spec.ttlMs === undefined ? undefined : nowMs + spec.ttlMs];
  for (const e of expiries) {
    if (e !== undefined && !Number.isSafeInteger(e)) {
      throw new CapabilityError("invalid_argument", "expiry must be an integer number of ms");
    }
  }
  const defined = expiries.filter((e): e is number => e !== undefined);
  if (defined.length > 0) out.expiresAt = Math.min(...defined);
  if (spec.budget) {
    assertBudget(spec.budget);
    out.budget = { ...spec.budget };
  }
  if (spec.tool !== undefined) {
    assertName(spec.tool, "tool");
    out.tool = spec.tool;
  }
  if (spec.argDigest !== undefined) {
    assertName(spec.argDigest, "argDigest");
    out.argDigest = spec.argDigest;
  }
  return out;
}

export function normalizeOperation(op: Operation): Operation {
  assertName(op.resource, "resource");
  assertName(op.action, "action");
  if (op.id !== undefined) assertName(op.id, "id");
  for (const f of op.fields ?? []) assertName(f, "field");
  assertBudget(op.use);
  if (op.tool !== undefined) assertName(op.tool, "tool");
  if (op.argDigest !== undefined) assertName(op.argDigest, "argDigest");
  return op;
}
