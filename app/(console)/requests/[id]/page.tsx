import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { DerivationGraphView } from "@/components/graph/derivation-graph";
import { GraphOutline } from "@/components/graph/graph-outline";
import { requirePermission } from "@/lib/auth/guard";
import { getRequestGraph } from "@/lib/data/capabilities";
import { getDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Request" };

export default async function RequestPage({ params }: { params: Promise<{ id: string }> }) {
  const authority = await requirePermission("console.read");
  const { id } = await params;
  const graph = await getRequestGraph(await getDb(), authority, decodeURIComponent(id));
  if (!graph) notFound();
  const root = graph.nodes.find((n) => n.kind === "minted" && n.parentId === null);
  const denied = graph.nodes.reduce((s, n) => s + n.calls.denied, 0);
  const allowed = graph.nodes.reduce((s, n) => s + n.calls.allowed, 0);
  return (
    <>
      <p className="muted">
        <Link href="/requests">Requests</Link> / <span className="mono">{decodeURIComponent(id)}</span>
      </p>
      <h1>Request {decodeURIComponent(id)}</h1>
      <p>
        {root ? (
          <>
            Minted for <strong>{root.agent}</strong>;{" "}
          </>
        ) : null}
        {graph.nodes.length} capabilities, {allowed} calls allowed,{" "}
        <span className={denied ? "error" : undefined}>{denied} denied</span>. Each edge says what that step
        narrowed; click a capability to open it.
      </p>
      <DerivationGraphView graph={graph} />
      <GraphOutline graph={graph} />
    </>
  );
}
