import Link from "next/link";
import type { DerivationGraph, GraphNode } from "@/lib/graph/build";

// The same tree as text: reachable by keyboard and screen readers, and searchable with Ctrl-F.
export function GraphOutline({ graph, tenant }: { graph: DerivationGraph; tenant?: string }) {
  const href = (id: string) =>
    `/capabilities/${encodeURIComponent(id)}${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ""}`;
  const children = new Map<string | null, GraphNode[]>();
  for (const n of graph.nodes) children.set(n.parentId, [...(children.get(n.parentId) ?? []), n]);
  const edgeLabel = new Map(graph.edges.map((e) => [e.target, e.label]));
  const render = (parent: string | null, level: number) => {
    const list = children.get(parent);
    if (!list || level > 12) return null;
    return (
      <ul className="outline">
        {list.map((n) => (
          <li key={n.id}>
            <Link href={href(n.id)}>{n.agent}</Link> <span className={`badge kind-${n.kind}`}>{n.kind}</span>{" "}
            <span className="muted">{edgeLabel.get(n.id) ?? n.rights}</span>{" "}
            <span className="ok">
              <span aria-hidden="true">✓</span>
              {n.calls.allowed}
              <span className="sr-only"> allowed</span>
            </span>{" "}
            <span className={n.calls.denied ? "error" : "muted"}>
              <span aria-hidden="true">✗</span>
              {n.calls.denied}
              <span className="sr-only"> denied</span>
            </span>
            {render(n.id, level + 1)}
          </li>
        ))}
      </ul>
    );
  };
  return (
    <details className="card" style={{ marginTop: 12 }}>
      <summary>
        Outline ({graph.nodes.length} {graph.nodes.length === 1 ? "capability" : "capabilities"})
      </summary>
      {render(null, 0)}
    </details>
  );
}
