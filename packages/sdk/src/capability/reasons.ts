import type { BlockInfo, CheckInfo } from "./block-reader.js";
import type { Operation, Scope } from "./types.js";

/**
 * Turns biscuit's failed-check report into sentences a person can act on, e.g.
 * "resource Order is not Customer#c_381 (check in block 2)".
 */

interface FailedCheck {
  Block?: { block_id: number; check_id: number; rule: string };
  Authorizer?: { check_id: number; rule: string };
}

function target(resource: string, id: string | undefined): string {
  return id ? `${resource}#${id}` : resource;
}

function explainScope(op: Operation, scope: Scope): string {
  const problems: string[] = [];
  const badResource = scope.resources !== undefined && !scope.resources.includes(op.resource);
  const badId = scope.ids !== undefined && (op.id === undefined || !scope.ids.includes(op.id));
  if (badResource || badId) {
    const allowed = `${scope.resources?.join("|") ?? op.resource}${scope.ids ? `#${scope.ids.join("|")}` : ""}`;
    problems.push(`resource ${target(op.resource, scope.ids ? op.id : undefined)} is not ${allowed}`);
  }
  if (scope.actions && !scope.actions.includes(op.action)) {
    problems.push(`action ${op.action} is not ${scope.actions.join(" or ")}`);
  }
  const extra = (op.fields ?? []).filter((f) => scope.fields && !scope.fields.includes(f));
  if (extra.length > 0) problems.push(`fields ${extra.join(", ")} are outside ${scope.fields?.join(", ")}`);
  return problems.join(", ") || "operation is outside the narrowed scope";
}

function explainCheck(op: Operation, check: CheckInfo | undefined, nowMs: number): string {
  switch (check?.kind) {
    case "scope":
      return check.scopes.map((scope) => explainScope(op, scope)).join(" nor ");
    case "expiry":
      return `capability expired at ${new Date(check.expiresAt).toISOString()} (now ${new Date(nowMs).toISOString()})`;
    case "budget":
      return `${check.key} ${op.use?.[check.key] ?? "?"} exceeds budget ${check.limit}`;
    case "tool":
      return op.tool === undefined
        ? `only tool ${check.tool} (the operation names no tool)`
        : `tool ${op.tool} is not ${check.tool}`;
    case "argDigest":
      return op.argDigest === undefined
        ? `only the arguments with digest ${check.digest} (the operation has no argument digest)`
        : `argument digest ${op.argDigest} is not ${check.digest}`;
    case "opaque":
      return `check failed: ${check.source}`;
    default:
      return "check failed";
  }
}

function describeOperation(op: Operation): string {
  const fields = op.fields?.length ? ` (fields ${op.fields.join(", ")})` : "";
  return `${op.action} on ${target(op.resource, op.id)}${fields}`;
}

export function explainDenial(input: {
  op: Operation;
  detail: unknown;
  blocks: () => readonly BlockInfo[];
  nowMs: number;
}): string {
  const logic = (
    input.detail as { FailedLogic?: Record<string, { checks?: FailedCheck[]; policy?: unknown }> }
  )?.FailedLogic;
  if (!logic) return "authorization failed";
  const reasons: string[] = [];
  const unauthorized = logic.Unauthorized;
  const noPolicy = logic.NoMatchingPolicy;
  for (const failed of (unauthorized ?? noPolicy)?.checks ?? []) {
    if (failed.Block) {
      const { block_id, check_id } = failed.Block;
      const check = input.blocks()[block_id]?.checks[check_id];
      reasons.push(`${explainCheck(input.op, check, input.nowMs)} (check in block ${block_id})`);
    } else if (failed.Authorizer) {
      reasons.push(`authorizer check failed: ${failed.Authorizer.rule}`);
    }
  }
  if (noPolicy) reasons.push(`no right grants ${describeOperation(input.op)}`);
  const deny = unauthorized?.policy as { Deny?: number } | undefined;
  if (deny && typeof deny === "object" && "Deny" in deny) reasons.push("a deny policy matched");
  if (logic.InvalidBlockRule) reasons.push("a block contains an invalid rule");
  return reasons.join("; ") || "authorization failed";
}
