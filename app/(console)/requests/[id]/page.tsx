import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { SearchParams } from "nuqs/server";
import { Suspense } from "react";
import { PinToCase } from "@/app/(console)/cases/_components/pin-to-case";
import { EvidenceExportLink } from "@/app/(console)/evidence/_components/export-link";
import { DerivationGraphView } from "@/components/graph/derivation-graph";
import { GraphOutline } from "@/components/graph/graph-outline";
import { ReadSourceNote } from "@/components/read-source-note";
import { TenantChoice } from "@/components/tenant-choice";
import type { Authority } from "@/lib/auth/authority";
import { requirePermission } from "@/lib/auth/guard";
import { getRequestGraph, tenantsHolding } from "@/lib/data/capabilities";
import { listRequestCalls, requestMintTimes } from "@/lib/data/requests";
import { plural } from "@/lib/format/time";
import type { DerivationGraph } from "@/lib/graph/build";
import { buildWaterfall } from "@/lib/graph/waterfall";
import { getDb, getReadDb } from "@/lib/server/db";
import "../requests.css";
import { loadRequestView, requestHref } from "../search-params";
import { ObservedCalls } from "./_components/observed";
import { Timeline } from "./_components/timeline";
import { ViewSwitch } from "./_components/view-switch";

export const metadata: Metadata = { title: "Request" };

async function TimelinePanel({
  authority,
  request,
  tenant,
  graph,
}: {
  authority: Authority;
  request: string;
  tenant: string;
  graph: DerivationGraph | null;
}) {
  const read = await getReadDb("requests.timeline");
  const [{ calls, truncated }, minted] = await Promise.all([
    listRequestCalls(read, authority, { request, tenant }),
    requestMintTimes(read, authority, { request, tenant }),
  ]);
  const mintedAt = [...minted.values()].sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  const waterfall = buildWaterfall(
    (graph?.nodes ?? []).map((n) => ({ id: n.id, parentId: n.parentId, kind: n.kind, agent: n.agent })),
    calls,
    { origin: mintedAt },
  );
  return <Timeline waterfall={waterfall} tenant={tenant} truncated={truncated} />;
}

export default async function RequestPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const authority = await requirePermission("console.read");
  const request = decodeURIComponent((await params).id);
  const { view, tenant: asked } = await loadRequestView(searchParams);
  const db = await getDb();
  // Request ids are the platforms' own, unique per tenant only: ask rather than pick or mix.
  const holders = await tenantsHolding(db, authority, { request });
  if (!asked && holders.length > 1)
    return (
      <TenantChoice
        what="Request"
        id={request}
        tenants={holders}
        hrefFor={(t) => requestHref(request, t, view)}
      />
    );
  const tenant = asked ? (holders.includes(asked) ? asked : null) : (holders[0] ?? null);
  if (!tenant) notFound();
  // Which tenants hold the request is read on the primary (it decides the 404); the graph may come from the replica.
  const read = await getReadDb("requests.graph");
  const graph = await getRequestGraph(read, authority, request, { tenant });
  const root = graph?.nodes.find((n) => n.kind === "minted" && n.parentId === null);
  const denied = graph?.nodes.reduce((s, n) => s + n.calls.denied, 0) ?? 0;
  const allowed = graph?.nodes.reduce((s, n) => s + n.calls.allowed, 0) ?? 0;
  const compareHref = `/compare?${new URLSearchParams({ kind: "request", tenant, a: request }).toString()}`;
  return (
    <>
      <p className="muted">
        <Link href="/requests">Requests</Link> / <span className="mono">{request}</span>
      </p>
      <h1 style={{ overflowWrap: "anywhere" }}>Request {request}</h1>
      <ReadSourceNote source={read.source} />
      {graph ? (
        <p>
          {root ? (
            <>
              Minted for <strong>{root.agent}</strong>;{" "}
            </>
          ) : null}
          {plural(graph.nodes.length, "capability", "capabilities")}, {plural(allowed, "call")} allowed,{" "}
          <span className={denied ? "error" : undefined}>{denied} denied</span>.
        </p>
      ) : (
        <p className="muted">No capability recorded: only traces name this request.</p>
      )}
      <p className="row-actions">
        <Link href={compareHref}>Compare with…</Link>
        <span aria-hidden="true">·</span>
        <Link href={`/requests?tenant=${encodeURIComponent(tenant)}&q=${encodeURIComponent(request)}`}>
          In the requests list
        </Link>
      </p>
      <EvidenceExportLink authority={authority} source={{ kind: "request", id: request }} tenant={tenant} />
      <PinToCase tenant={tenant} kind="request" refId={request} />
      <ViewSwitch />
      {view === "graph" ? (
        graph ? (
          <section aria-labelledby="graph-h">
            <h2 id="graph-h">Derivation graph</h2>
            <p className="muted">
              Each edge says what that step narrowed. Tab to a capability and press Enter, or click it, to
              open it; the outline below is the same tree as text.
            </p>
            <DerivationGraphView graph={graph} tenant={tenant} />
            <GraphOutline graph={graph} tenant={tenant} />
          </section>
        ) : (
          <p className="notice">No capabilities to draw for this request.</p>
        )
      ) : (
        <Suspense
          fallback={
            <p className="muted" role="status">
              Loading the timeline…
            </p>
          }
        >
          <TimelinePanel authority={authority} request={request} tenant={tenant} graph={graph} />
        </Suspense>
      )}
      <Suspense fallback={null}>
        <ObservedCalls authority={authority} request={request} tenant={tenant} />
      </Suspense>
    </>
  );
}
