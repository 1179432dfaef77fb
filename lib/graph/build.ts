import { type CapabilityShape, describeNarrowing, type SummaryLike } from "./narrowing";

// The derivation graph as plain data, computed on the server and drawn by the client component.

export interface GraphCapabilityInput extends CapabilityShape {
  id: string;
  parentId: string | null;
  kind: "minted" | "attenuated" | "escalation";
  agent: string | null;
  principal: string | null;
  request: string | null;
  depth: number;
  summary: SummaryLike;
}

export interface GraphCallInput {
  id: string;
  capabilityId: string | null;
  tool: string | null;
  outcome: "allowed" | "denied" | "error";
  reason: string | null;
  ts: Date | string;
}

export interface GraphNode {
  id: string;
  parentId: string | null;
  kind: GraphCapabilityInput["kind"];
  agent: string;
  request: string | null;
  depth: number;
  rights: string;
  expiresAt: string | null;
  calls: { allowed: number; denied: number; error: number };
  /** Up to a few calls to draw; the rest are counted. */
  shownCalls: { id: string; tool: string; outcome: GraphCallInput["outcome"]; reason: string | null }[];
  /** Descendants in this graph, so a collapsed subtree can say how much it hides. */
  descendants: number;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label: string;
}

export interface DerivationGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

export const CALLS_SHOWN_PER_NODE = 4;

/** One line per right, ids cut to two (the compare view and the node text). */
export function rightLines(summary: SummaryLike, opts: { allIds?: boolean } = {}): string[] {
  return (summary.rights ?? []).map((r) => {
    const shown = opts.allIds || !r.ids || r.ids.length <= 2 ? r.ids : [...r.ids.slice(0, 2), "…"];
    const ids = shown ? `#${shown.join("|").replace("|…", "…")}` : "";
    return `${r.resource}${ids}: ${r.actions.join("/")}${r.fields ? ` [${r.fields.join(", ")}]` : ""}`;
  });
}

function rightsText(summary: SummaryLike): string {
  const lines = rightLines(summary);
  return lines.length === 0 ? "no rights" : lines.join("; ");
}

/**
 * Nodes are capabilities; an edge says what its step narrowed; calls hang on the capability
 * that authorized them (denied first, so the failed checks are what one sees).
 */
export function buildDerivationGraph(
  capabilities: GraphCapabilityInput[],
  calls: GraphCallInput[],
  opts: { maxNodes?: number } = {},
): DerivationGraph {
  const maxNodes = opts.maxNodes ?? 2000;
  const sorted = [...capabilities].sort((a, b) => a.depth - b.depth || a.id.localeCompare(b.id));
  const kept = sorted.slice(0, maxNodes);
  const byId = new Map(kept.map((c) => [c.id, c]));
  const callsBy = new Map<string, GraphCallInput[]>();
  for (const call of calls) {
    if (!call.capabilityId || !byId.has(call.capabilityId)) continue;
    const list = callsBy.get(call.capabilityId) ?? [];
    list.push(call);
    callsBy.set(call.capabilityId, list);
  }
  const children = new Map<string, string[]>();
  for (const c of kept) {
    if (c.parentId && byId.has(c.parentId))
      children.set(c.parentId, [...(children.get(c.parentId) ?? []), c.id]);
  }
  const descendantCount = new Map<string, number>();
  const count = (id: string): number => {
    const known = descendantCount.get(id);
    if (known !== undefined) return known;
    const n = (children.get(id) ?? []).reduce((sum, child) => sum + 1 + count(child), 0);
    descendantCount.set(id, n);
    return n;
  };
  const nodes: GraphNode[] = kept.map((c) => {
    const mine = callsBy.get(c.id) ?? [];
    const rank = { denied: 0, error: 1, allowed: 2 } as const;
    const shown = [...mine]
      .sort((a, b) => rank[a.outcome] - rank[b.outcome] || String(a.ts).localeCompare(String(b.ts)))
      .slice(0, CALLS_SHOWN_PER_NODE);
    return {
      id: c.id,
      parentId: c.parentId && byId.has(c.parentId) ? c.parentId : null,
      kind: c.kind,
      agent: c.agent ?? c.principal ?? "unknown agent",
      request: c.request,
      depth: c.depth,
      rights: rightsText(c.summary),
      expiresAt: c.expiresAt ? new Date(c.expiresAt).toISOString() : null,
      calls: {
        allowed: mine.filter((x) => x.outcome === "allowed").length,
        denied: mine.filter((x) => x.outcome === "denied").length,
        error: mine.filter((x) => x.outcome === "error").length,
      },
      shownCalls: shown.map((x) => ({ id: x.id, tool: x.tool ?? "?", outcome: x.outcome, reason: x.reason })),
      descendants: count(c.id),
    };
  });
  const edges: GraphEdge[] = [];
  for (const c of kept) {
    const parent = c.parentId ? byId.get(c.parentId) : undefined;
    if (!parent) continue;
    const phrases = c.kind === "escalation" ? ["escalation"] : describeNarrowing(parent, c);
    edges.push({
      id: `${parent.id}->${c.id}`,
      source: parent.id,
      target: c.id,
      label: phrases.join(" · ") || "same rights",
    });
  }
  return { nodes, edges, truncated: capabilities.length > kept.length };
}
