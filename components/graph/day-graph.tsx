import type { DayEdge, DayGraph, DayNode } from "@/lib/summary/day-graph";
import "./day-graph.css";

// One person's day as columns (person, agents, sub-agents, tools, resource types) drawn in plain
// SVG at a fixed scale: a few dozen boxes at most, so it reads at 1,024 px without zoom or a
// minimap. Every node and edge is a link (Tab / Enter) to the events behind it. No client code.

const COL_WIDTH: Record<DayNode["kind"], number> = { person: 176, agent: 212, tool: 196, resource: 132 };
const GAP = 44;
const NODE_H = 64;
const ROW_GAP = 12;
/** A sub-agent's box is indented under its parent by this much per level. */
const INDENT = 18;
const TOP = 30;
const MAX_LABEL = 24;

function short(s: string, max = MAX_LABEL): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function count(n: number, one: string, many = `${one}s`) {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

function tallyText(t: { calls: number; denied: number; errors: number }): string {
  const parts = [count(t.calls, "call")];
  if (t.denied) parts.push(`${t.denied.toLocaleString("en")} refused`);
  if (t.errors) parts.push(count(t.errors, "error"));
  return parts.join(", ");
}

export function DayGraphView({
  graph,
  hrefFor,
  label,
}: {
  graph: DayGraph;
  /** Where a node's or an edge's events are (the explorer with a query). */
  hrefFor: (terms: Record<string, string>) => string;
  label: string;
}) {
  const columnKinds = graph.columns.map((c) => c.kind);
  const xs: number[] = [];
  let x = 0;
  for (const k of columnKinds) {
    xs.push(x);
    x += COL_WIDTH[k] + GAP;
  }
  const width = x - GAP;
  const rows = Math.max(1, ...graph.nodes.map((n) => n.row + 1));
  const height = TOP + rows * (NODE_H + ROW_GAP);
  const colHeight = (c: number) => graph.nodes.filter((n) => n.column === c).length * (NODE_H + ROW_GAP);
  // Each column is centred vertically, so short columns sit beside the middle of long ones.
  const pos = new Map<string, { x: number; y: number; w: number }>();
  for (const n of graph.nodes) {
    const indent = n.depth * INDENT;
    const offset = (height - TOP - colHeight(n.column)) / 2;
    pos.set(n.id, {
      x: (xs[n.column] ?? 0) + indent,
      y: TOP + offset + n.row * (NODE_H + ROW_GAP),
      w: COL_WIDTH[n.kind] - indent,
    });
  }
  const maxCalls = Math.max(1, ...graph.edges.map((e) => e.calls));
  const strokeFor = (e: DayEdge) => 1.5 + 9 * Math.sqrt(e.calls / maxCalls);
  const name = (id: string) => graph.nodes.find((n) => n.id === id)?.name ?? id;
  return (
    <figure className="day-graph" data-testid="day-graph" aria-label={label}>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        style={{ maxWidth: "100%", height: "auto" }}
      >
        <title>{label}</title>
        {graph.columns.map((c, i) => (
          <text key={`${c.title}-${xs[i]}`} x={xs[i]} y={14} className="dg-col">
            {c.title}
          </text>
        ))}
        {/* Boxes first: the tab order reads person → agents → tools → resources, then the lines. */}
        <g aria-label="People, agents, tools and resources">
          {graph.nodes.map((n) => {
            const p = pos.get(n.id);
            if (!p) return null;
            const text = `${n.kind === "resource" ? "Resource type " : n.kind === "tool" ? "Tool " : n.kind === "agent" ? "Agent " : ""}${n.name}: ${tallyText(n)}`;
            const shown = short(n.label, Math.floor((p.w - 16) / 8.2));
            // Named by its visible words (WCAG 2.5.3); the <title> says it in full, as its description.
            return (
              <a
                key={n.id}
                href={hrefFor(n.terms)}
                className={`dg-node dg-${n.kind}${n.denied ? " dg-denied" : ""}`}
                data-testid="day-graph-node"
                data-kind={n.kind}
                data-name={n.name}
              >
                <title>{`${text}. Show these calls`}</title>
                <rect x={p.x} y={p.y} width={p.w} height={NODE_H} rx={8} className="dg-box" />
                <text x={p.x + 10} y={p.y + 20} className="dg-label">
                  {shown}
                </text>
                <text x={p.x + 10} y={p.y + 39} className="dg-count">
                  {count(n.calls, "call")}
                  {n.errors ? `, ${count(n.errors, "error")}` : ""}
                </text>
                {n.denied ? (
                  <text x={p.x + 10} y={p.y + 57} className="dg-count dg-refused">
                    ✕ {n.denied.toLocaleString("en")} refused
                  </text>
                ) : null}
              </a>
            );
          })}
        </g>
        <g aria-label="Calls between them">
          {graph.edges.map((e) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) return null;
            const x1 = a.x + a.w;
            const y1 = a.y + NODE_H / 2;
            const x2 = b.x;
            const y2 = b.y + NODE_H / 2;
            const mx = (x1 + x2) / 2;
            // A sub-agent hangs under its parent in the same column: an elbow from the parent's
            // left edge down to the child's; everything else runs left to right.
            const tree = e.from.startsWith("agent:") && e.to.startsWith("agent:");
            const d = tree
              ? `M${a.x + 8},${a.y + NODE_H} V${y2} H${x2}`
              : `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
            const text = `${name(e.from)} → ${name(e.to)}: ${tallyText(e)}`;
            return (
              <a
                key={e.id}
                href={hrefFor(e.terms)}
                className={`dg-edge${e.denied ? " dg-denied" : ""}`}
                data-testid="day-graph-edge"
              >
                <title>{`${e.denied && !tree ? `✕ ${e.denied.toLocaleString("en")} refused. ` : ""}${text}. Show these calls`}</title>
                <path d={d} className="dg-hit" />
                <path d={d} className="dg-line" strokeWidth={strokeFor(e)} />
                {e.denied ? (
                  <path
                    d={d}
                    className="dg-line-denied"
                    strokeWidth={Math.max(2, strokeFor({ ...e, calls: e.denied }))}
                  />
                ) : null}
                {e.denied && !tree ? (
                  <text x={x2 - 6} y={y2 - 8} textAnchor="end" className="dg-edge-refused">
                    ✕ {e.denied.toLocaleString("en")}
                  </text>
                ) : null}
              </a>
            );
          })}
        </g>
      </svg>
      <figcaption className="muted">
        Line width: number of calls. <span className="dg-key-denied">Red</span> with ✕: refused calls. Select
        a box or a line (Tab, then Enter) to see its calls in the explorer.
      </figcaption>
    </figure>
  );
}
