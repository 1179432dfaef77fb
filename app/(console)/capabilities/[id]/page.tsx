import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PinToCase } from "@/app/(console)/cases/_components/pin-to-case";
import { EvidenceExportLink } from "@/app/(console)/evidence/_components/export-link";
import { DerivationGraphView } from "@/components/graph/derivation-graph";
import { GraphOutline } from "@/components/graph/graph-outline";
import { TenantChoice } from "@/components/tenant-choice";
import { requirePermission } from "@/lib/auth/guard";
import { getCapabilityDetail, tenantsHolding } from "@/lib/data/capabilities";
import { getDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Capability" };

const fmt = (d: Date | null | undefined) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "—");

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
  searchParams: Promise<{ tenant?: string | string[] }>;
}) {
  const authority = await requirePermission("console.read");
  const { id } = await params;
  const asked = (await searchParams).tenant;
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
  const { capability: c, status, lineage, graph, uses, issuer } = detail;
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
          <dd>
            <span className="ok">{uses.allowed ?? 0} allowed</span>,{" "}
            <span className="error">{uses.denied ?? 0} denied</span>, {uses.error ?? 0} errors ·{" "}
            <Link href={`/events?q=${under}`}>all uses in the explorer</Link>
            <form
              action="/events"
              className="row-actions"
              style={{ marginTop: 6 }}
              aria-label="Did it ever do this?"
            >
              <input type="hidden" name="range" value="all" />
              <input
                name="q"
                className="mono"
                defaultValue={`under:${c.id} resource:Order action:write outcome:allowed`}
                aria-label="Did it, or anything derived from it, ever…"
                style={{ flex: "1 1 360px" }}
              />
              <button type="submit">Did it ever…?</button>
            </form>
          </dd>
        </dl>
      </div>
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
