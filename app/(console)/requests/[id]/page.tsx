import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { EvidenceExportLink } from "@/app/(console)/evidence/_components/export-link";
import { DerivationGraphView } from "@/components/graph/derivation-graph";
import { GraphOutline } from "@/components/graph/graph-outline";
import { TenantChoice } from "@/components/tenant-choice";
import { requirePermission } from "@/lib/auth/guard";
import { getRequestGraph, tenantsHolding } from "@/lib/data/capabilities";
import { getDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Request" };

export default async function RequestPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ tenant?: string | string[] }>;
}) {
  const authority = await requirePermission("console.read");
  const { id } = await params;
  const request = decodeURIComponent(id);
  const asked = (await searchParams).tenant;
  const tenant = typeof asked === "string" && asked ? asked : null;
  const db = await getDb();
  if (!tenant) {
    // Request ids are the platforms' own, unique per tenant only: ask rather than pick or mix.
    const holders = await tenantsHolding(db, authority, { request });
    if (holders.length > 1)
      return (
        <TenantChoice
          what="Request"
          id={request}
          tenants={holders}
          hrefFor={(t) => `/requests/${encodeURIComponent(request)}?tenant=${encodeURIComponent(t)}`}
        />
      );
  }
  const graph = await getRequestGraph(db, authority, request, { tenant });
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
      <EvidenceExportLink authority={authority} source={{ kind: "request", id: request }} tenant={tenant} />
      <DerivationGraphView graph={graph} />
      <GraphOutline graph={graph} />
    </>
  );
}
