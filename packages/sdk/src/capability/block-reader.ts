import { ANY } from "./datalog.js";
import type { Budget, Right, Scope } from "./types.js";

/**
 * Reads back the blocks this library wrote, from Biscuit's own printing of each block
 * (getBlockSource). Used to explain a failed check and to summarize a token; never to decide
 * access, which stays with the datalog engine. Statements we did not write are counted as
 * opaque, so a foreign attenuation makes the summary say "there is more here".
 */

export interface CapContext {
  tenant: string;
  principal: string;
  agent: string;
  session: string;
  request: string;
  issuer: string;
  kind: "minted" | "escalation";
  issuedAt: number;
}

export type CheckInfo =
  | { kind: "scope"; scopes: Scope[] }
  | { kind: "expiry"; expiresAt: number }
  | { kind: "budget"; key: string; limit: number }
  | { kind: "tool"; tool: string }
  | { kind: "argDigest"; digest: string }
  | { kind: "opaque"; source: string };

export interface BlockInfo {
  index: number;
  context?: CapContext;
  rights: Right[];
  checks: CheckInfo[];
  opaqueStatements: number;
}

const S = String.raw`"([^"\\]*)"`;
const SET = String.raw`\{((?:"[^"\\]*"(?:, )?)*)\}`;
const INT = String.raw`(-?\d+)`;
const CAP = new RegExp(`^cap\\(${[S, S, S, S, S, S, S, INT].join(", ")}\\);$`);
const RIGHT = new RegExp(`^right\\(${[S, SET, SET, SET].join(", ")}\\);$`);
const EXPIRY = new RegExp(`^check if now\\(\\$t\\), \\$t < ${INT};$`);
const BUDGET = new RegExp(`^reject if use\\(${S}, \\$n\\), \\$n > ${INT};$`);
const TOOL = new RegExp(`^check if tool\\(${S}\\);$`);
const ARG_DIGEST = new RegExp(`^check if arg_digest\\(${S}\\);$`);
const SCOPE_PART = new RegExp(`^${SET}\\.contains\\(\\$(r|a|id|f)\\)$`);
const VAR_TO_KEY: Record<string, keyof Scope> = { r: "resources", a: "actions", id: "ids", f: "fields" };

function setValues(inner: string): string[] {
  return [...inner.matchAll(/"([^"\\]*)"/g)].map((m) => m[1] as string);
}

function parseScopeCheck(statement: string): Scope[] | undefined {
  if (!statement.startsWith("check if op($r, $a, $id, $f)") || !statement.endsWith(";")) return undefined;
  const body = statement.slice("check if ".length, -1);
  const scopes: Scope[] = [];
  for (const alternative of body.split(" or ")) {
    const parts = alternative.split(/, (?=\{)/);
    if (parts.shift() !== "op($r, $a, $id, $f)") return undefined;
    const scope: Scope = {};
    for (const part of parts) {
      const m = SCOPE_PART.exec(part);
      const key = m ? VAR_TO_KEY[m[2] as string] : undefined;
      if (!m || !key || scope[key]) return undefined;
      scope[key] = setValues(m[1] as string);
    }
    scopes.push(scope);
  }
  return scopes;
}

function parseCheck(statement: string): CheckInfo {
  let m = EXPIRY.exec(statement);
  if (m) return { kind: "expiry", expiresAt: Number(m[1]) };
  m = BUDGET.exec(statement);
  if (m) return { kind: "budget", key: m[1] as string, limit: Number(m[2]) };
  m = TOOL.exec(statement);
  if (m) return { kind: "tool", tool: m[1] as string };
  m = ARG_DIGEST.exec(statement);
  if (m) return { kind: "argDigest", digest: m[1] as string };
  const scopes = parseScopeCheck(statement);
  if (scopes) return { kind: "scope", scopes };
  return { kind: "opaque", source: statement.replace(/;$/, "") };
}

function parseRight(m: RegExpExecArray): Right {
  const right: Right = { resource: m[1] as string, actions: setValues(m[2] as string) };
  const ids = setValues(m[3] as string);
  const fields = setValues(m[4] as string);
  if (!ids.includes(ANY)) right.ids = ids;
  if (!fields.includes(ANY)) right.fields = fields;
  return right;
}

export function readBlock(index: number, source: string): BlockInfo {
  const info: BlockInfo = { index, rights: [], checks: [], opaqueStatements: 0 };
  for (const raw of source.split("\n")) {
    const statement = raw.trim();
    if (statement === "") continue;
    if (statement.startsWith("check ") || statement.startsWith("reject ")) {
      info.checks.push(parseCheck(statement));
      continue;
    }
    const cap = index === 0 ? CAP.exec(statement) : null;
    const right = index === 0 ? RIGHT.exec(statement) : null;
    if (cap && !info.context && (cap[7] === "minted" || cap[7] === "escalation")) {
      const [tenant, principal, agent, session, request, issuer] = cap.slice(1, 7) as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      info.context = {
        tenant,
        principal,
        agent,
        session,
        request,
        issuer,
        kind: cap[7],
        issuedAt: Number(cap[8]),
      };
    } else if (right) {
      info.rights.push(parseRight(right));
    } else {
      info.opaqueStatements += 1;
    }
  }
  return info;
}

export function budgetOf(blocks: readonly BlockInfo[]): Budget {
  const budget: Budget = {};
  for (const block of blocks) {
    for (const check of block.checks) {
      if (check.kind === "budget") budget[check.key] = Math.min(budget[check.key] ?? Infinity, check.limit);
    }
  }
  return budget;
}

export function expiryOf(blocks: readonly BlockInfo[]): number | undefined {
  let expiry: number | undefined;
  for (const block of blocks) {
    for (const check of block.checks) {
      if (check.kind === "expiry") expiry = Math.min(expiry ?? Infinity, check.expiresAt);
    }
  }
  return expiry;
}
