// "What did the bot do today", in plain words, from the day's tool calls grouped by tool, action
// and resource type. Pure: the principal day page and its tests call the same function.
// Known actions get verbs ("looked up 38 customers"); anything else falls back to naming the tool
// ("called tool x.y 4 times") rather than inventing a sentence.

import { plural } from "@/lib/format/time";
import { type CategorizedDenials, groupDenials } from "./denials";

export interface CallGroup {
  tool: string | null;
  action: string | null;
  resourceType: string | null;
  outcome: "allowed" | "denied" | "error";
  /** Calls in this group. */
  calls: number;
  /** Distinct resource ids touched (0 when the calls name no id, e.g. a table query). */
  resources: number;
}

export interface DenialRow {
  tool: string | null;
  action: string | null;
  resourceType: string | null;
  reason: string | null;
  count: number;
}

interface Verb {
  past: string;
  base: string;
}

const ACTION_VERBS: Record<string, Verb> = {
  read: { past: "read", base: "read" },
  list: { past: "listed", base: "list" },
  search: { past: "searched", base: "search" },
  write: { past: "changed", base: "change" },
  update: { past: "changed", base: "change" },
  create: { past: "created", base: "create" },
  delete: { past: "deleted", base: "delete" },
  send: { past: "sent", base: "send" },
  export: { past: "exported", base: "export" },
  grant: { past: "granted", base: "grant" },
};

// A read is said the way the tool names it: a lookup, a query, a search.
const READ_HINTS: [RegExp, Verb][] = [
  [/lookup|look_up|\bget\b|fetch|find/i, { past: "looked up", base: "look up" }],
  [/query|list/i, { past: "queried", base: "query" }],
  [/search/i, { past: "searched", base: "search" }],
];

function verbFor(action: string | null, tool: string | null): Verb | null {
  if (!action) return null;
  const a = action.toLowerCase();
  if (a === "read" && tool) for (const [re, v] of READ_HINTS) if (re.test(tool)) return v;
  return ACTION_VERBS[a] ?? null;
}

/** "Order" → "order"/"orders", "PurchaseOrder" → "purchase order", "Admin" grant → "admin right". */
export function nounFor(resourceType: string, n: number): string {
  const words = resourceType
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  if (n === 1) return words;
  if (/[^aeiou]y$/.test(words)) return `${words.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(words)) return `${words}es`;
  return `${words}s`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function times(n: number): string {
  return n === 1 ? "once" : n === 2 ? "twice" : `${n.toLocaleString("en")} times`;
}

/** One allowed group as a phrase: "looked up 38 customers", "queried orders 80 times". */
export function describeDone(g: Pick<CallGroup, "tool" | "action" | "resourceType" | "calls" | "resources">) {
  const verb = verbFor(g.action, g.tool);
  if (!verb || !g.resourceType)
    return g.tool
      ? `called tool ${g.tool} ${times(g.calls)}`
      : `made ${plural(g.calls, "call")} naming no tool`;
  if (g.resources > 0 && g.resources === g.calls)
    return `${verb.past} ${g.calls.toLocaleString("en")} ${nounFor(g.resourceType, g.calls)}`;
  if (g.resources > 0)
    return `${verb.past} ${g.resources.toLocaleString("en")} ${nounFor(g.resourceType, g.resources)} (${plural(g.calls, "call")})`;
  return `${verb.past} ${nounFor(g.resourceType, 2)} ${times(g.calls)}`;
}

/** One refused attempt: "tried to change an order 3 times". */
export function describeTried(g: Pick<DenialRow, "tool" | "action" | "resourceType"> & { count: number }) {
  const verb = verbFor(g.action, g.tool);
  if (!verb || !g.resourceType)
    return g.tool
      ? `tried to call tool ${g.tool} ${times(g.count)}`
      : `tried ${plural(g.count, "call")} naming no tool`;
  return `tried to ${verb.base} ${article(nounFor(g.resourceType, 1))} ${times(g.count)}`;
}

export interface RefusedPhrase {
  text: string;
  count: number;
  tool: string | null;
  action: string | null;
  resourceType: string | null;
  denials: CategorizedDenials[];
}

export interface DaySummary {
  /** Allowed work, largest first: "looked up 38 customers". */
  done: { text: string; calls: number; tool: string | null; resourceType: string | null }[];
  /** Refused attempts, largest first, with their denial categories. */
  refused: RefusedPhrase[];
  errors: number;
  /** The whole summary as one sentence (without the refusal categories' exact reasons). */
  sentence: string;
}

const key = (g: { tool: string | null; action: string | null; resourceType: string | null }) =>
  JSON.stringify([g.tool, g.action, g.resourceType]);

function list(parts: string[]): string {
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

/** The day in plain words; `top` bounds how many phrases of each kind the sentence names. */
export function summarizeDay(
  groups: readonly CallGroup[],
  denials: readonly DenialRow[],
  top = 6,
): DaySummary {
  const merged = new Map<string, CallGroup>();
  let errors = 0;
  for (const g of groups) {
    if (g.outcome === "error") errors += g.calls;
    if (g.outcome !== "allowed") continue;
    const k = key(g);
    const m = merged.get(k);
    merged.set(k, m ? { ...m, calls: m.calls + g.calls, resources: m.resources + g.resources } : { ...g });
  }
  const done = [...merged.values()]
    .sort((a, b) => b.calls - a.calls || String(a.tool).localeCompare(String(b.tool)))
    .map((g) => ({ text: describeDone(g), calls: g.calls, tool: g.tool, resourceType: g.resourceType }));
  const byAttempt = new Map<string, DenialRow[]>();
  for (const d of denials) byAttempt.set(key(d), [...(byAttempt.get(key(d)) ?? []), d]);
  const refused = [...byAttempt.values()]
    .map((rows) => {
      const first = rows[0] as DenialRow;
      const count = rows.reduce((s, r) => s + r.count, 0);
      const grouped = groupDenials(rows);
      return {
        text: describeTried({ ...first, count }),
        count,
        tool: first.tool,
        action: first.action,
        resourceType: first.resourceType,
        denials: grouped,
      };
    })
    .sort((a, b) => b.count - a.count || a.text.localeCompare(b.text));
  const clauses: string[] = [];
  if (done.length > 0) {
    const shown = done.slice(0, top).map((d) => d.text);
    const rest = done.slice(top).reduce((s, d) => s + d.calls, 0);
    if (rest > 0) shown.push(`made ${plural(rest, "other call")}`);
    clauses.push(list(shown));
  }
  if (refused.length > 0) {
    const shown = refused
      .slice(0, top)
      .map((r) => `${r.text} and was refused: ${r.denials.map((d) => d.label).join(", ")}`);
    const rest = refused.slice(top).reduce((s, r) => s + r.count, 0);
    if (rest > 0) shown.push(`was refused ${times(rest)} more`);
    clauses.push(shown.join("; "));
  }
  if (errors > 0) clauses.push(`hit an error ${times(errors)}`);
  const sentence = clauses.length ? `${clauses.join("; ")}.` : "made no tool calls.";
  return { done, refused, errors, sentence };
}
