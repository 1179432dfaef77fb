// The console's tool rules (allow rules only, deny by default) evaluated for one client and one
// call, and turned into capability rights. Pure functions: the unit tests pin them down.
import type { Right } from "../capability/index.js";
import { capabilityResourceId } from "../capability/resource-id.js";
import type { GatewayClient, GatewayOperation, GatewayRule } from "../schema/gateway.js";
import { textProblem } from "../schema/text-rules.js";
import { inputDigest } from "../tools/index.js";
import type { ToolDeclaration } from "./config.js";

const globCache = new Map<string, RegExp>();

/** `*` = any run without "/", `**` = any run, everything else literal (whole-string match). */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re) return re;
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        out += "[\\s\\S]*";
        i++;
      } else out += "[^/]*";
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  re = new RegExp(`^${out}$`);
  if (globCache.size > 1000) globCache.clear();
  globCache.set(glob, re);
  return re;
}

const DOT_SEGMENT = /(^|[/\\])\.\.?([/\\]|$)/;

/**
 * Whether `value` matches `glob`. A wildcard never matches a value with a "." or ".." path
 * segment: `/srv/pub/**` must not let `/srv/pub/../secret` through. Literal patterns compare as is.
 */
export function globMatch(glob: string, value: string): boolean {
  if (glob.includes("*") && DOT_SEGMENT.test(value)) return false;
  return globToRegExp(glob).test(value);
}

/** Exposed tool names are `<upstream>.<tool>`; a pattern is exact or ends in `*` (prefix). */
export function toolPatternMatches(pattern: string, tool: string): boolean {
  return pattern.endsWith("*") ? tool.startsWith(pattern.slice(0, -1)) : pattern === tool;
}

export function subjectMatches(rule: GatewayRule, client: GatewayClient): boolean {
  const s = rule.subject;
  switch (s.kind) {
    case "any":
      return true;
    case "agent":
      return client.agent === s.value;
    case "principal":
      return client.principal === s.value;
    case "group":
      return client.groups.includes(s.value);
  }
}

/** The value at a dotted path of the arguments ("options.mode"), or undefined. */
export function argumentAt(args: unknown, path: string): unknown {
  let at: unknown = args;
  for (const key of path.split(".")) {
    if (!at || typeof at !== "object" || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Rules whose subject and tool pattern match: the tool is visible to the client. */
export function rulesForTool(
  rules: readonly GatewayRule[],
  client: GatewayClient,
  tool: string,
): GatewayRule[] {
  return rules.filter((r) => subjectMatches(r, client) && toolPatternMatches(r.tool, tool));
}

export type PolicyDecision =
  | { allowed: true; rule: GatewayRule }
  | { allowed: false; missing: string; check: string };

function who(client: GatewayClient): string {
  return `agent ${client.agent} (principal ${client.principal})`;
}

/** Allow when some rule's subject, tool pattern and every argument rule match; else say what is missing. */
export function evaluatePolicy(args: {
  rules: readonly GatewayRule[];
  client: GatewayClient;
  operation: GatewayOperation;
  arguments: unknown;
}): PolicyDecision {
  const { client, operation } = args;
  const candidates = rulesForTool(args.rules, client, operation.tool);
  const on = `${operation.resourceType} ${operation.resourceId}`;
  if (candidates.length === 0) {
    return {
      allowed: false,
      check: "no-rule",
      missing: `no rule allows ${operation.tool} (${operation.action} on ${on}) for ${who(client)}`,
    };
  }
  let firstFailure: string | undefined;
  for (const rule of candidates) {
    const failed = rule.arguments.find((a) => {
      const value = argumentAt(args.arguments, a.path);
      return typeof value !== "string" || !globMatch(a.match, value);
    });
    if (!failed) return { allowed: true, rule };
    if (firstFailure === undefined) {
      const value = argumentAt(args.arguments, failed.path);
      const got =
        typeof value === "string" ? JSON.stringify(value.slice(0, 200)) : `no string (${typeof value})`;
      firstFailure = `argument ${failed.path} must match ${failed.match} (got ${got})`;
    }
  }
  return {
    allowed: false,
    check: "argument-rule",
    missing: `no rule allows ${operation.tool} (${operation.action} on ${on}) for ${who(client)}: ${firstFailure}`,
  };
}

/** The console-facing operation of one call: tool, resource, action and the argument digest. */
export function operationFor(args: {
  tool: string;
  declaration: ToolDeclaration | undefined;
  arguments: unknown;
  digestKey: string;
}): GatewayOperation {
  const decl = args.declaration;
  const named = decl?.resourceArgument ? argumentAt(args.arguments, decl.resourceArgument) : undefined;
  const resourceId =
    typeof named === "string" &&
    named.length > 0 &&
    named.length <= 1000 &&
    textProblem(named, "identifier") === null
      ? named
      : args.tool;
  return {
    tool: args.tool,
    resourceType: decl?.resourceType ?? "Tool",
    resourceId,
    action: decl?.action ?? "call",
    argDigest: argumentDigest(args.arguments, args.digestKey),
  };
}

/** The same HMAC over the canonical JSON as the tool wrapper's inputDigest. */
export function argumentDigest(args: unknown, key: string): string {
  return inputDigest(args ?? {}, key);
}

const CAP_NAME = /^[A-Za-z0-9_.:@/+-]{1,200}$/;

// One definition with the console's escalations, so a grant and a call name a resource alike.
export { capabilityResourceId };

/** The right that lists tools: every root capability of the gateway carries it. */
export const LIST_RIGHT: Right = { resource: "Gateway", actions: ["list"] };

/**
 * What the rules grant a client, as capability rights: per visible tool its resource type and
 * action (argument rules stay with the policy, checked per call), tools without a declared
 * resource as `Tool` ids.
 */
export function rightsFor(args: {
  rules: readonly GatewayRule[];
  client: GatewayClient;
  tools: ReadonlyMap<string, ToolDeclaration | undefined>;
}): Right[] {
  const byResource = new Map<string, Set<string>>();
  const toolIds = new Set<string>();
  for (const [tool, decl] of args.tools) {
    if (rulesForTool(args.rules, args.client, tool).length === 0) continue;
    if (!decl || (decl.resourceType === "Tool" && !decl.resourceArgument)) {
      if (CAP_NAME.test(tool)) toolIds.add(tool);
      continue;
    }
    const actions = byResource.get(decl.resourceType) ?? new Set<string>();
    actions.add(decl.action);
    byResource.set(decl.resourceType, actions);
  }
  const rights: Right[] = [LIST_RIGHT];
  for (const [resource, actions] of [...byResource].sort(([a], [b]) => a.localeCompare(b)))
    rights.push({ resource, actions: [...actions].sort() });
  if (toolIds.size > 0) rights.push({ resource: "Tool", actions: ["call"], ids: [...toolIds].sort() });
  return rights;
}
