import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PinToCase } from "@/app/(console)/cases/_components/pin-to-case";
import { EvidenceExportLink } from "@/app/(console)/evidence/_components/export-link";
import { DerivationGraphView } from "@/components/graph/derivation-graph";
import { GraphOutline } from "@/components/graph/graph-outline";
import { TenantChoice } from "@/components/tenant-choice";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { getCapabilityDetail, tenantsHolding } from "@/lib/data/capabilities";
import { formatTime, plural } from "@/lib/format/time";
import { revokeHref } from "@/lib/links";
import { getDb } from "@/lib/server/db";
import { DidItEver } from "./_components/did-it-ever";
import "@/components/graph/day-graph.css";

export const metadata: Metadata = { title: "Capability" };

const fmt = (d: Date | null | undefined) => formatTime(d);
const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);

interface Right {
  resource: string;
  actions: string[];
  ids?: string[];
  fields?: string[];
}

export default async function CapabilityPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ tenant?: string | string[]; ever?: string | string[]; do?: string | string[] }>;
}) {
  const authority = await requirePermission("console.read");
  const { id } = await params;
  const sp = await searchParams;
  const asked = sp.tenant;
  const tenant = typeof asked === "string" && asked ? asked : null;
  const db = await getDb();
  if (!tenant) {
    // Capability ids are unique per tenant only: ask rather than pick one.
    const holders = await tenantsHolding(db, authority, { capability: id });
    if (holders.length > 1)
      return (
        <TenantChoice
          what="Capability"
          id={id}
          tenants={holders}
          hrefFor={(t) => `/capabilities/${id}?tenant=${encodeURIComponent(t)}`}
        />
      );
  }
  const detail = await getCapabilityDetail(db, authority, { id, tenant });
  if (!detail) notFound();
  const { capability: c, status, lineage, graph, uses, calls, lifecycle, issuer } = detail;
  const summary = c.summary as { rights?: Right[]; budget?: Record<string, number> };
  const under = encodeURIComponent(`under:${c.id}`);
  return (
    <>
      <p className="muted">
        {c.request ? (
          <>
            <Link href={`/requests/${encodeURIComponent(c.request)}?tenant=${encodeURIComponent(c.tenant)}`}>
              Request {c.request}
            </Link>{" "}
            /{" "}
          </>
        ) : null}
        capability
      </p>
      <h1 className="mono" style={{ overflowWrap: "anywhere" }}>
        {c.id}
      </h1>
      <p className="row-actions" style={{ margin: "4px 0 8px" }}>
        {can(authority, "events.read.full") ? (
          <Link
            className="button"
            href={`/compare?${new URLSearchParams({ kind: "capability", tenant: c.tenant, a: c.id }).toString()}`}
          >
            Compare with…
          </Link>
        ) : null}
        {can(authority, "sessions.revoke") ? (
          <Link
            className="button"
            data-testid="revoke-capability"
            href={revokeHref({ kind: "capability", tenant: c.tenant, capabilityId: c.id })}
          >
            Revoke…
          </Link>
        ) : null}
      </p>
      <EvidenceExportLink authority={authority} source={{ kind: "capability", id: c.id }} tenant={c.tenant} />
      <PinToCase tenant={c.tenant} kind="capability" refId={c.id} />
      <p data-testid="capability-status">
        <span className={`badge kind-${c.kind}`}>{c.kind}</span>{" "}
        {status.state === "active" ? (
          <span className="ok">active</span>
        ) : status.state === "expired" ? (
          <span className="muted">expired {fmt(status.at)}</span>
        ) : (
          <span className="error">
            revoked {fmt(status.at)} ({status.kind}){status.by ? ` by ${status.by}` : ""}
            {status.reason ? `: ${status.reason}` : ""}
          </span>
        )}
      </p>
      <div className="card">
        <dl className="facts">
          <dt>Principal</dt>
          <dd>{c.principal}</dd>
          <dt>Agent</dt>
          <dd>{c.agent}</dd>
          <dt>Tenant</dt>
          <dd>{c.tenant}</dd>
          <dt>Session</dt>
          <dd className="mono">{c.session}</dd>
          <dt>Issuer key</dt>
          <dd className="mono">
            {c.issuerKid} {issuer ? <span className="muted">({issuer.status})</span> : null}
          </dd>
          <dt>Issued / expires</dt>
          <dd className="mono">
            {fmt(c.issuedAt)} → {fmt(c.expiresAt)}
          </dd>
          <dt>Rights</dt>
          <dd>
            {(summary.rights ?? []).map((r) => (
              <div key={`${r.resource}:${r.actions.join()}:${r.ids?.join() ?? ""}`}>
                <strong>{r.resource}</strong> {r.actions.join(", ")}
                {r.ids ? <span className="mono"> ids {r.ids.join(", ")}</span> : " (all ids)"}
                {r.fields ? <span> fields {r.fields.join(", ")}</span> : " (all fields)"}
              </div>
            ))}
          </dd>
          <dt>Budget</dt>
          <dd>
            {Object.entries(summary.budget ?? {})
              .map(([k, v]) => `${k} ≤ ${v}`)
              .join(", ") || "none"}
          </dd>
          <dt>Uses (this and derived)</dt>
          <dd data-testid="capability-uses">
            <strong>{plural(calls, "tool call")}</strong>:{" "}
            <span className="ok">{(uses.allowed ?? 0).toLocaleString("en")} allowed</span>,{" "}
            <span className="error">{(uses.denied ?? 0).toLocaleString("en")} denied</span>,{" "}
            {plural(uses.error ?? 0, "error")}
            {can(authority, "events.read.full") ? (
              <>
                {" "}
                ·{" "}
                <Link href={`/events?q=${under}%20type%3Atool.call&range=all`}>
                  these calls in the explorer
                </Link>
              </>
            ) : null}
          </dd>
          <dt>Lifecycle records</dt>
          <dd data-testid="capability-lifecycle">
            {lifecycle.length === 0 ? (
              <span className="muted">none reported</span>
            ) : (
              <>
                {lifecycle.map((l, i) => (
                  <span key={l.type}>
                    {i > 0 ? ", " : null}
                    {l.count.toLocaleString("en")} <span className="mono">{l.type}</span>
                  </span>
                ))}{" "}
                <span className="muted">
                  (not uses: records of this capability and its descendants being made or ended)
                </span>
              </>
            )}
          </dd>
        </dl>
      </div>
      <DidItEver
        authority={authority}
        cap={{ id: c.id, tenant: c.tenant }}
        asked={{ ever: one(sp.ever), do: one(sp.do) }}
        rights={summary.rights ?? []}
      />
      <h2>Lineage</h2>
      {lineage.length === 0 ? (
        <p className="muted">A root capability: minted for its request.</p>
      ) : (
        <ol className="mono">
          {lineage.map((l, i) => (
            <li key={l?.id ?? i}>
              {l ? (
                <Link href={`/capabilities/${l.id}?tenant=${encodeURIComponent(c.tenant)}`}>
                  {l.id.slice(0, 16)}… {l.agent}
                </Link>
              ) : (
                <span className="muted">(not reported to the console)</span>
              )}
            </li>
          ))}
          <li>
            <strong>{c.id.slice(0, 16)}… (this)</strong>
          </li>
        </ol>
      )}
      <h2>This capability and everything derived from it</h2>
      <DerivationGraphView graph={graph} height={420} />
      <GraphOutline graph={graph} />
    </>
  );
}
