import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PinToCase } from "@/app/(console)/cases/_components/pin-to-case";
import { EvidenceExportLink } from "@/app/(console)/evidence/_components/export-link";
import { DerivationGraphView } from "@/components/graph/derivation-graph";
import { GraphOutline } from "@/components/graph/graph-outline";
import { TenantChoice } from "@/components/tenant-choice";
import { TierMark } from "@/components/tier-mark";
import { requirePermission } from "@/lib/auth/guard";
import { getRequestGraph, tenantsHolding } from "@/lib/data/capabilities";
import { type EventSummaryRow, listEvents } from "@/lib/data/events-query";
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
  // An observed request is a trace: its tool calls come from spans, with or without capabilities.
  const observedQuery = `request:${JSON.stringify(request)} tier:observed${tenant ? ` tenant:${JSON.stringify(tenant)}` : ""}`;
  const [graph, observed] = await Promise.all([
    getRequestGraph(db, authority, request, { tenant }),
    listEvents(db, authority, { q: observedQuery, sort: "ts_asc", limit: 200 }),
  ]);
  if (!graph && observed.rows.length === 0) notFound();
  const observedRows: EventSummaryRow[] = observed.rows;
  const observedSection =
    observedRows.length > 0 ? (
      <>
        <h2>
          Observed from traces <TierMark tier="observed" />
        </h2>
        <p className="muted">
          Read from OpenTelemetry spans: no capability-enforcing platform attested these. A tool call without
          a capability is marked uncovered.
        </p>
        <table className="data" data-testid="observed-events">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Type</th>
              <th>Agent</th>
              <th>Tool</th>
              <th>Outcome</th>
              <th>Latency (ms)</th>
            </tr>
          </thead>
          <tbody>
            {observedRows.map((e) => (
              <tr key={e.id}>
                <td className="mono">{e.ts.toISOString().replace("T", " ").slice(0, 23)}</td>
                <td className="mono">
                  {e.type}
                  <TierMark tier={e.tier} uncovered={e.uncovered} />
                </td>
                <td>{e.agent}</td>
                <td className="mono">{e.tool}</td>
                <td className={e.outcome === "denied" ? "error" : e.outcome === "error" ? "warn" : undefined}>
                  {e.outcome}
                </td>
                <td>{e.latencyMs}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    ) : null;
  if (!graph)
    return (
      <>
        <p className="muted">
          <Link href="/requests">Requests</Link> / <span className="mono">{request}</span>
        </p>
        <h1>Request {request}</h1>
        {observedSection}
      </>
    );
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
      <PinToCase tenant={tenant} kind="request" refId={request} />
      <DerivationGraphView graph={graph} />
      <GraphOutline graph={graph} />
      {observedSection}
    </>
  );
}
