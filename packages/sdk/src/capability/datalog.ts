import type { Budget, NormalizedNarrowing, Operation, Right, Scope } from "./types.js";

/**
 * The datalog this library writes. Kept minimal on purpose: authorization cost grows with the
 * number of facts, rules and symbols, and verify+authorize has a budget of 2 raw Ed25519
 * verifications. One context fact, one fact per right, one check per concern.
 *
 * Block 0 (authority):
 *   cap(tenant, principal, agent, session, request, issuerKid, kind, issuedAtMs);
 *   right(resource, {actions}, {ids} | {"*"}, {fields} | {"*"});
 *   check if now($t), $t < expiresAtMs;             -- integer ms: exact boundary, see docs
 *   reject if use("rows", $n), $n > 100;            -- one per budget key ("check all" needs a match)
 * Attenuation blocks: checks only (scope, expiry, budget, tool, argument digest), never facts:
 *   check if tool("fs.read_file");                  -- only when narrowed to one tool
 *   check if arg_digest("hmac-sha256:…");           -- only when narrowed to one call's arguments
 * Authorizer: op(resource, action, id | "", {fields}); now(ms); use(key, n)...; tool(name) and
 * arg_digest(digest) when the operation has them (without them those checks fail: deny by
 * default); one allow policy.
 */

export const ANY = "*";

export interface Code {
  code: string;
  params: Record<string, unknown>;
}

class CodeWriter {
  readonly lines: string[] = [];
  readonly params: Record<string, unknown> = {};
  private next = 0;

  param(value: unknown): string {
    const name = `p${this.next++}`;
    this.params[name] = value;
    return `{${name}}`;
  }

  set(values: readonly string[]): string {
    return this.param({ set: [...values] });
  }

  done(): Code {
    return { code: this.lines.join("\n"), params: this.params };
  }
}

function writeExpiryAndBudget(
  w: CodeWriter,
  expiresAt: number | undefined,
  budget: Budget | undefined,
): void {
  if (expiresAt !== undefined) w.lines.push(`check if now($t), $t < ${w.param(expiresAt)};`);
  for (const [key, limit] of Object.entries(budget ?? {})) {
    w.lines.push(`reject if use(${w.param(key)}, $n), $n > ${w.param(limit)};`);
  }
}

export interface AuthorityInput {
  tenant: string;
  principal: string;
  agent: string;
  session: string;
  request: string;
  issuerKid: string;
  kind: "minted" | "escalation";
  issuedAt: number;
  expiresAt: number;
  rights: Right[];
  budget?: Budget;
}

export function authorityCode(input: AuthorityInput): Code {
  const w = new CodeWriter();
  const ctx = [
    input.tenant,
    input.principal,
    input.agent,
    input.session,
    input.request,
    input.issuerKid,
    input.kind,
  ];
  w.lines.push(`cap(${[...ctx.map((v) => w.param(v)), w.param(input.issuedAt)].join(", ")});`);
  for (const right of input.rights) {
    const ids = w.set(right.ids ?? [ANY]);
    const fields = w.set(right.fields ?? [ANY]);
    w.lines.push(`right(${w.param(right.resource)}, ${w.set(right.actions)}, ${ids}, ${fields});`);
  }
  writeExpiryAndBudget(w, input.expiresAt, input.budget);
  return w.done();
}

const SCOPE_VARS: Array<[keyof Scope, string]> = [
  ["resources", "$r"],
  ["actions", "$a"],
  ["ids", "$id"],
  ["fields", "$f"],
];

export const OP_ATOM = "op($r, $a, $id, $f)";

export function narrowingCode(narrowing: NormalizedNarrowing): Code {
  const w = new CodeWriter();
  if (narrowing.scopes.length > 0) {
    const alternatives = narrowing.scopes.map((scope) => {
      const parts = [OP_ATOM];
      for (const [key, variable] of SCOPE_VARS) {
        const values = scope[key];
        if (values) parts.push(`${w.set(values)}.contains(${variable})`);
      }
      return parts.join(", ");
    });
    w.lines.push(`check if ${alternatives.join(" or ")};`);
  }
  if (narrowing.tool !== undefined) w.lines.push(`check if tool(${w.param(narrowing.tool)});`);
  if (narrowing.argDigest !== undefined)
    w.lines.push(`check if arg_digest(${w.param(narrowing.argDigest)});`);
  writeExpiryAndBudget(w, narrowing.expiresAt, narrowing.budget);
  return w.done();
}

/** Without the trailing ";": Policy.fromString takes one policy, not a block of code. */
export const ALLOW_POLICY =
  'allow if op($r, $a, $id, $f), right($r, $as, $ids, $fs), $as.contains($a), $ids.contains("*") || $ids.contains($id), $fs.contains("*") || $fs.contains($f)';

/** The operation as authorizer code (the slow, text form; the hot path uses authorize.ts). */
export function operationCode(op: Operation, nowMs: number): Code {
  const w = new CodeWriter();
  const fields = w.set(op.fields ?? []);
  w.lines.push(`op(${w.param(op.resource)}, ${w.param(op.action)}, ${w.param(op.id ?? "")}, ${fields});`);
  w.lines.push(`now(${w.param(nowMs)});`);
  for (const [key, n] of Object.entries(op.use ?? {})) w.lines.push(`use(${w.param(key)}, ${w.param(n)});`);
  if (op.tool !== undefined) w.lines.push(`tool(${w.param(op.tool)});`);
  if (op.argDigest !== undefined) w.lines.push(`arg_digest(${w.param(op.argDigest)});`);
  w.lines.push(`${ALLOW_POLICY};`);
  return w.done();
}
