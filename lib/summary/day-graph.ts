// The day of one person's bot as one small graph: person → agent → sub-agents → tools → resource
// types, each node and edge carrying its number of calls and refusals. Built from grouped counts
// (a few dozen rows however busy the day), laid out in columns so it reads at a glance without
// zooming. Pure: the page renders it, the tests check it.

export interface DayFlowRow {
  agent: string | null;
  tool: string | null;
  resourceType: string | null;
  outcome: "allowed" | "denied" | "error";
  calls: number;
}

export type DayNodeKind = "person" | "agent" | "tool" | "resource";

export interface DayNode {
  id: string;
  kind: DayNodeKind;
  /** The whole name (agent path, tool, resource type). */
  name: string;
  /** What the box shows: a sub-agent by its last segment. */
  label: string;
  calls: number;
  denied: number;
  errors: number;
  column: number;
  row: number;
  /** An agent's level under the top agent (0 for the top agent and for non-agents). */
  depth: number;
  /** Explorer terms selecting this node's calls (besides principal and day). */
  terms: Record<string, string>;
}

export interface DayEdge {
  id: string;
  from: string;
  to: string;
  calls: number;
  denied: number;
  errors: number;
  terms: Record<string, string>;
}

export interface DayGraph {
  nodes: DayNode[];
  edges: DayEdge[];
  columns: { kind: DayNodeKind; title: string }[];
}

const UNNAMED_AGENT = "(no agent)";
const UNNAMED_TOOL = "(no tool)";

interface Tally {
  calls: number;
  denied: number;
  errors: number;
}

function add(t: Tally, row: DayFlowRow): void {
  t.calls += row.calls;
  if (row.outcome === "denied") t.denied += row.calls;
  if (row.outcome === "error") t.errors += row.calls;
}

function tallyOf<K>(map: Map<K, Tally>, k: K): Tally {
  let t = map.get(k);
  if (!t) {
    t = { calls: 0, denied: 0, errors: 0 };
    map.set(k, t);
  }
  return t;
}

/** The agent's parent in its path ("a/research" → "a"), or null for a top agent. */
function parentOf(agent: string): string | null {
  const i = agent.lastIndexOf("/");
  return i > 0 ? agent.slice(0, i) : null;
}

export function buildDayGraph(principal: string, rows: readonly DayFlowRow[]): DayGraph {
  const person: Tally = { calls: 0, denied: 0, errors: 0 };
  const own = new Map<string, Tally>();
  const agentTool = new Map<string, Tally>();
  const tools = new Map<string, Tally>();
  const toolRes = new Map<string, Tally>();
  const resources = new Map<string, Tally>();
  for (const r of rows) {
    const agent = r.agent ?? UNNAMED_AGENT;
    const tool = r.tool ?? UNNAMED_TOOL;
    add(person, r);
    add(tallyOf(own, agent), r);
    add(tallyOf(agentTool, JSON.stringify([agent, tool])), r);
    add(tallyOf(tools, tool), r);
    if (r.resourceType) {
      add(tallyOf(toolRes, JSON.stringify([tool, r.resourceType])), r);
      add(tallyOf(resources, r.resourceType), r);
    }
  }
  // Every agent path with its ancestors (a sub-agent may call while its parent never does).
  const agents = new Set<string>();
  for (const a of own.keys()) {
    for (let p: string | null = a; p; p = parentOf(p)) agents.add(p);
  }
  const subtree = new Map<string, Tally>();
  for (const [a, t] of own) {
    for (let p: string | null = a; p; p = parentOf(p)) {
      const s = tallyOf(subtree, p);
      s.calls += t.calls;
      s.denied += t.denied;
      s.errors += t.errors;
    }
  }
  const depth = (a: string) => (a === UNNAMED_AGENT ? 0 : a.split("/").length - 1);
  // Agents of every level share one column, drawn as an indented tree: the graph keeps four
  // columns however deep the sub-agents go, so it fits 1,024 px at a readable size.
  const toolColumn = 2;
  const byCalls = (m: Map<string, Tally>) => (a: string, b: string) =>
    (m.get(b)?.calls ?? 0) - (m.get(a)?.calls ?? 0) || a.localeCompare(b);
  const nodes: DayNode[] = [
    {
      id: "person",
      kind: "person",
      name: principal,
      label: principal,
      ...person,
      column: 0,
      row: 0,
      depth: 0,
      terms: {},
    },
  ];
  const rowsIn = new Map<number, number>();
  const place = (column: number) => {
    const r = rowsIn.get(column) ?? 0;
    rowsIn.set(column, r + 1);
    return r;
  };
  // Agents in tree order (a parent, then its children), so each sub-agent sits near its parent.
  const ordered: string[] = [];
  const visit = (parent: string | null) => {
    const children = [...agents].filter((a) => parentOf(a) === parent).sort(byCalls(subtree));
    for (const c of children) {
      ordered.push(c);
      visit(c);
    }
  };
  visit(null);
  for (const a of ordered) {
    const t = subtree.get(a) ?? { calls: 0, denied: 0, errors: 0 };
    nodes.push({
      id: `agent:${a}`,
      kind: "agent",
      name: a,
      label: depth(a) > 0 ? (a.split("/").at(-1) ?? a) : a,
      ...t,
      column: 1,
      row: place(1),
      depth: depth(a),
      terms: a === UNNAMED_AGENT ? {} : { agent: a },
    });
  }
  for (const t of [...tools.keys()].sort(byCalls(tools))) {
    nodes.push({
      id: `tool:${t}`,
      kind: "tool",
      name: t,
      label: t,
      ...(tools.get(t) as Tally),
      column: toolColumn,
      row: place(toolColumn),
      depth: 0,
      terms: t === UNNAMED_TOOL ? {} : { tool: t },
    });
  }
  for (const r of [...resources.keys()].sort(byCalls(resources))) {
    nodes.push({
      id: `resource:${r}`,
      kind: "resource",
      name: r,
      label: r,
      ...(resources.get(r) as Tally),
      column: toolColumn + 1,
      row: place(toolColumn + 1),
      depth: 0,
      terms: { resource: r },
    });
  }
  const edges: DayEdge[] = [];
  for (const a of ordered) {
    const parent = parentOf(a);
    const t = subtree.get(a) as Tally;
    edges.push({
      id: `e:${parent ?? "person"}>${a}`,
      from: parent ? `agent:${parent}` : "person",
      to: `agent:${a}`,
      ...t,
      terms: a === UNNAMED_AGENT ? {} : { agent: a },
    });
  }
  for (const [k, t] of agentTool) {
    const [a, tool] = JSON.parse(k) as [string, string];
    edges.push({
      id: `e:${a}>${tool}`,
      from: `agent:${a}`,
      to: `tool:${tool}`,
      ...t,
      terms: {
        ...(a === UNNAMED_AGENT ? {} : { agent: a }),
        ...(tool === UNNAMED_TOOL ? {} : { tool }),
      },
    });
  }
  for (const [k, t] of toolRes) {
    const [tool, r] = JSON.parse(k) as [string, string];
    edges.push({
      id: `e:${tool}>${r}`,
      from: `tool:${tool}`,
      to: `resource:${r}`,
      ...t,
      terms: { ...(tool === UNNAMED_TOOL ? {} : { tool }), resource: r },
    });
  }
  edges.sort((a, b) => b.calls - a.calls || a.id.localeCompare(b.id));
  const columns: DayGraph["columns"] = [
    { kind: "person", title: "Person" },
    { kind: "agent", title: "Agent and sub-agents" },
    { kind: "tool", title: "Tools" },
    { kind: "resource", title: "Resources" },
  ];
  return { nodes, edges, columns };
}
