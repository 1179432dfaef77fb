"use client";

import dagre from "@dagrejs/dagre";
import {
  Background,
  Controls,
  type Edge,
  Handle,
  MiniMap,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import "./graph-focus.css";
import { useRouter } from "next/navigation";
import { createContext, type KeyboardEvent, useContext, useMemo, useState } from "react";
import type { DerivationGraph, GraphNode } from "@/lib/graph/build";

const WIDTH = 260;
const nodeHeight = (n: GraphNode) => 78 + n.shownCalls.length * 18;

type CapNodeData = GraphNode & { collapsed: boolean; hidden: number } & Record<string, unknown>;
type CapFlowNode = Node<CapNodeData, "capability">;

const ToggleContext = createContext<(id: string) => void>(() => {});

function CapabilityNode({ data }: NodeProps<CapFlowNode>) {
  const toggle = useContext(ToggleContext);
  return (
    <div className={`cap-node cap-${data.kind}`} data-testid={`cap-node-${data.id}`}>
      <Handle type="target" position={Position.Left} />
      <div className="cap-node-head">
        <span className="cap-agent" title={data.agent}>
          {data.agent}
        </span>
        <span className={`badge kind-${data.kind}`}>{data.kind}</span>
      </div>
      <div className="cap-rights" title={data.rights}>
        {data.rights}
      </div>
      <div className="cap-calls">
        <span className="mono">{data.id.slice(0, 10)}…</span>
        <span className="ok">✓ {data.calls.allowed}</span>
        <span className={data.calls.denied > 0 ? "error" : "muted"}>✗ {data.calls.denied}</span>
        {data.descendants > 0 ? (
          <button
            type="button"
            className="cap-toggle nodrag"
            onClick={(e) => {
              e.stopPropagation();
              toggle(data.id);
            }}
            aria-label={
              data.collapsed ? `Show ${data.hidden} derived capabilities` : "Hide derived capabilities"
            }
          >
            {data.collapsed ? `+${data.hidden}` : "−"}
          </button>
        ) : null}
      </div>
      {data.shownCalls.map((c) => (
        <div key={c.id} className={`cap-call ${c.outcome}`} title={c.reason ?? undefined}>
          {c.outcome === "allowed" ? "✓" : "✗"} {c.tool}
          {c.reason ? <span className="cap-reason"> — {c.reason}</span> : null}
        </div>
      ))}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

const nodeTypes = { capability: CapabilityNode };

const ROW_WIDTH = 2600;
const GAP = 60;
/** Room between a capability and its children, for the edge label saying what was narrowed. */
const RANK_GAP = 180;
/** Longer labels are cut to fit RANK_GAP; the outline below the graph has them in full. */
const LABEL_CHARS = 22;

function edgeLabel(label: string): string {
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
}

/** One tree (a root and what is drawn under it), laid out left to right by dagre. */
function layoutTree(nodes: GraphNode[], edges: DerivationGraph["edges"]) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: RANK_GAP });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: WIDTH, height: nodeHeight(n) });
  for (const e of edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const pos = new Map(nodes.map((n) => [n.id, g.node(n.id)]));
  const width = Math.max(...nodes.map((n) => (pos.get(n.id)?.x ?? 0) + WIDTH / 2));
  const height = Math.max(...nodes.map((n) => (pos.get(n.id)?.y ?? 0) + nodeHeight(n) / 2));
  return { pos, width, height };
}

function layout(graph: DerivationGraph, collapsed: Set<string>) {
  const byParent = new Map<string, GraphNode[]>();
  for (const n of graph.nodes)
    if (n.parentId) byParent.set(n.parentId, [...(byParent.get(n.parentId) ?? []), n]);
  // Nodes under a collapsed one are not drawn.
  const hidden = new Set<string>();
  const hide = (id: string) => {
    for (const c of byParent.get(id) ?? []) {
      hidden.add(c.id);
      hide(c.id);
    }
  };
  for (const id of collapsed) hide(id);
  const visible = graph.nodes.filter((n) => !hidden.has(n.id));
  const edges = graph.edges.filter((e) => !hidden.has(e.source) && !hidden.has(e.target));
  // Each root's tree is laid out on its own, then the trees are packed in rows, so a day of
  // many requests reads like a page instead of one very tall column.
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const treeOf = new Map<string, string>();
  const rootOf = (n: GraphNode): string => {
    const known = treeOf.get(n.id);
    if (known) return known;
    const parent = n.parentId ? byId.get(n.parentId) : undefined;
    const root = parent ? rootOf(parent) : n.id;
    treeOf.set(n.id, root);
    return root;
  };
  const trees = new Map<string, GraphNode[]>();
  for (const n of visible) trees.set(rootOf(n), [...(trees.get(rootOf(n)) ?? []), n]);
  const nodes: CapFlowNode[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const members of trees.values()) {
    const ids = new Set(members.map((m) => m.id));
    const t = layoutTree(
      members,
      edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
    );
    if (x > 0 && x + t.width > ROW_WIDTH) {
      x = 0;
      y += rowHeight + GAP;
      rowHeight = 0;
    }
    for (const n of members) {
      const p = t.pos.get(n.id) ?? { x: 0, y: 0 };
      nodes.push({
        id: n.id,
        type: "capability",
        position: { x: x + p.x - WIDTH / 2, y: y + p.y - nodeHeight(n) / 2 },
        data: { ...n, collapsed: collapsed.has(n.id), hidden: n.descendants },
        // What a screen reader says on focus; Enter or Space then opens it (see onKeyDown below).
        ariaLabel: `${n.agent}, ${n.kind} capability ${n.id.slice(0, 10)}: ${n.calls.allowed} allowed, ${n.calls.denied} denied calls. Enter opens it.`,
      });
    }
    x += t.width + GAP;
    rowHeight = Math.max(rowHeight, t.height);
  }
  const flowEdges: Edge[] = edges.map((e) => ({
    id: e.id,
    source: e.source,
    target: e.target,
    label: edgeLabel(e.label),
    labelStyle: { fontSize: 11 },
    labelBgStyle: { fillOpacity: 0.85 },
  }));
  return { nodes, edges: flowEdges };
}

/** Deep subtrees start folded on big graphs, so 500 capabilities still open readable. */
function initialCollapsed(graph: DerivationGraph): Set<string> {
  if (graph.nodes.length <= 120) return new Set();
  const roots = graph.nodes.filter((n) => n.parentId === null && n.descendants > 0);
  // Many requests (a principal's day): one node per request, opened on demand.
  if (roots.length > 12) return new Set(roots.map((n) => n.id));
  return new Set(graph.nodes.filter((n) => n.depth === 1 && n.descendants > 0).map((n) => n.id));
}

/** The capability page, in the graph's tenant when the caller knows it (ids are unique per tenant). */
function capabilityPath(id: string, tenant?: string): string {
  return `/capabilities/${encodeURIComponent(id)}${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ""}`;
}

export function DerivationGraphView({
  graph,
  height = 560,
  tenant,
}: {
  graph: DerivationGraph;
  height?: number;
  tenant?: string;
}) {
  const router = useRouter();
  // React Flow makes each node a tab stop and selects it on Enter; opening it is ours: the key
  // reaches this frame from the focused node element (never from a button inside a node).
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "Enter" && e.key !== " ") return;
    const target = e.target as HTMLElement;
    if (!target.classList.contains("react-flow__node")) return;
    const id = target.dataset.id;
    if (!id) return;
    e.preventDefault();
    router.push(capabilityPath(id, tenant));
  };
  const [collapsed, setCollapsed] = useState(() => initialCollapsed(graph));
  const { nodes, edges } = useMemo(() => layout(graph, collapsed), [graph, collapsed]);
  const toggle = (id: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  if (graph.nodes.length === 0) return <p className="notice">No capabilities recorded for this view.</p>;
  return (
    <ToggleContext.Provider value={toggle}>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: keys come from React Flow's focusable nodes inside */}
      <div className="graph-frame" style={{ height }} data-testid="derivation-graph" onKeyDown={onKeyDown}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          fitView
          minZoom={0.05}
          nodesDraggable={false}
          nodesConnectable={false}
          colorMode="system"
          onNodeClick={(_, node) => router.push(capabilityPath(node.id, tenant))}
          proOptions={{ hideAttribution: true }}
        >
          <Background />
          <Controls showInteractive={false} />
          {graph.nodes.length > 40 ? <MiniMap pannable zoomable /> : null}
        </ReactFlow>
      </div>
      {graph.truncated ? (
        <p className="muted">Only the first {graph.nodes.length} capabilities are drawn.</p>
      ) : null}
    </ToggleContext.Provider>
  );
}
