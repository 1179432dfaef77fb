import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { ChartTable } from "@/components/charts/chart-table";
import { OutcomeBars } from "@/components/charts/outcome-bars";
import { RankedBars } from "@/components/charts/ranked-bars";
import { CoveragePanel } from "@/components/coverage/coverage-panel";
import { ReadSourceNote } from "@/components/read-source-note";
import { TierMark } from "@/components/tier-mark";
import { Countdown } from "@/components/ui/countdown";
import { PanelSkeleton } from "@/components/ui/route-states";
import type { Authority } from "@/lib/auth/authority";
import { requirePermission } from "@/lib/auth/guard";
import { coverageView, getCoverage } from "@/lib/data/coverage";
import { getOverview } from "@/lib/data/overview";
import { todayUtc } from "@/lib/data/principal-day";
import { describeOperation } from "@/lib/format/operation";
import { formatTime } from "@/lib/format/time";
import { getDb, getReadDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Overview" };

// The heading shows at once; the figures (about eight 7-day aggregates) and the coverage panel
// stream in under their own Suspense boundaries, each with a placeholder of its size.
export default async function OverviewPage() {
  const authority = await requirePermission("console.read");
  return (
    <>
      <h1>Overview</h1>
      <Suspense fallback={<PanelSkeleton label="Loading the last 7 days" rows={6} />}>
        <OverviewFigures authority={authority} />
      </Suspense>
    </>
  );
}

async function CoverageSection({ authority }: { authority: Authority }) {
  const db = await getDb();
  const now = new Date();
  const since7d = new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000 - 6 * 86_400_000);
  const coverage = await getCoverage(db, authority, {
    from: since7d,
    to: new Date(since7d.getTime() + 7 * 86_400_000),
    bucket: "day",
  });
  return (
    <CoveragePanel
      title="Capability coverage, last 7 days"
      view={coverageView(
        { ...coverage, series: coverage.series.map((d) => ({ ...d, label: d.label.slice(5) })) },
        "your agents",
      )}
    />
  );
}

async function OverviewFigures({ authority }: { authority: Authority }) {
  const read = await getReadDb("overview");
  const o = await getOverview(read, authority, new Date());
  const today = todayUtc();
  return (
    <>
      <p className="muted">Tenants in view: {o.tenants.join(", ")}</p>
      <ReadSourceNote source={read.source} />
      <div className="cards" style={{ marginTop: 16 }}>
        <div className="card">
          <div className="muted">Events, last 24 h</div>
          <div className="stat" data-testid="events-24h">
            {o.events24h.toLocaleString("en")}
          </div>
        </div>
        <div className="card">
          <div className="muted">Denied, last 24 h</div>
          <div className={o.denied24h > 0 ? "stat error" : "stat"}>{o.denied24h.toLocaleString("en")}</div>
        </div>
        <div className="card">
          <div className="muted">Capabilities seen</div>
          <div className="stat">{o.capabilities.toLocaleString("en")}</div>
        </div>
        <div className="card">
          <div className="muted">Active escalations</div>
          <div className="stat">{o.activeEscalations.length.toLocaleString("en")}</div>
        </div>
      </div>
      <h2>Tool calls, last 7 days</h2>
      <div className="card">
        <OutcomeBars data={o.perDay.map((d) => ({ ...d, label: d.label.slice(5) }))} />
        <ChartTable
          summary="Tool calls per day as a table"
          columns={["Day (UTC)", "Allowed", "Denied", "Errors"]}
          rows={o.perDay.map((d) => [d.label, d.allowed, d.denied, d.error])}
        />
      </div>
      <div style={{ marginTop: 12 }}>
        <Suspense fallback={<PanelSkeleton label="Loading capability coverage" rows={4} />}>
          <CoverageSection authority={authority} />
        </Suspense>
      </div>
      <div
        className="cards"
        style={{ gridTemplateColumns: "repeat(auto-fit, minmax(320px, 1fr))", marginTop: 12 }}
      >
        <div className="card">
          <h2 style={{ marginTop: 0 }}>Denials by reason (7 days)</h2>
          <RankedBars data={o.denials} label="Denials by reason" color="var(--danger)" labelWidth={220} />
          <ChartTable
            summary="Denials by reason as a table"
            columns={["Reason", "Denials"]}
            rows={o.denials.map((r) => [r.name, r.count])}
          />
        </div>
        <div className="card">
          <h2 style={{ marginTop: 0 }}>Busiest principals</h2>
          <RankedBars data={o.principals} label="Busiest principals" />
          <ChartTable
            summary="Busiest principals as a table"
            columns={["Principal", "Calls"]}
            rows={o.principals.map((r) => [r.name, r.count])}
          />
          <p className="muted">
            {o.principals.slice(0, 3).map((p, i) => (
              <span key={p.name}>
                {i > 0 ? " · " : ""}
                <Link href={`/principals/${encodeURIComponent(p.name)}?day=${today}`}>
                  {p.name.split("@")[0]}'s day
                </Link>
              </span>
            ))}
          </p>
        </div>
        <div className="card">
          <h2 style={{ marginTop: 0 }}>Busiest agents</h2>
          <RankedBars data={o.agents} label="Busiest agents" color="var(--ok)" labelWidth={200} />
          <ChartTable
            summary="Busiest agents as a table"
            columns={["Agent", "Calls"]}
            rows={o.agents.map((r) => [r.name, r.count])}
          />
        </div>
      </div>
      <div
        className="cards"
        style={{ gridTemplateColumns: "repeat(auto-fit, minmax(320px, 1fr))", marginTop: 12 }}
      >
        <div className="card">
          <h2 style={{ marginTop: 0 }}>
            <Link href="/escalations">Active escalations</Link>
          </h2>
          {o.activeEscalations.length === 0 ? (
            <p className="muted">None right now.</p>
          ) : (
            <ul>
              {o.activeEscalations.map((e) => (
                <li key={e.id}>
                  {e.principal} may {describeOperation(e.operation)},{" "}
                  <Countdown until={e.expiresAt.toISOString()} />
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="card">
          <h2 style={{ marginTop: 0 }}>Recent revocations</h2>
          {o.revocations.length === 0 ? (
            <p className="muted">None in the last 7 days.</p>
          ) : (
            <ul>
              {o.revocations.map((r) => (
                <li key={r.id}>
                  <span className="mono">{formatTime(r.ts)}</span> {r.type} {r.principal ?? r.session}
                  {r.reason ? <span className="muted"> — {r.reason}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <h2>Latest events</h2>
      {o.recent.length === 0 ? (
        <p className="notice">
          No events yet. Agent platforms send them to POST /api/v1/events with an ingest key.
        </p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th>Time</th>
              <th>Tenant</th>
              <th>Type</th>
              <th>Principal</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {o.recent.map((e) => (
              <tr key={e.id}>
                <td className="mono">{formatTime(e.ts)}</td>
                <td>{e.tenant}</td>
                <td className="mono">
                  {e.type}
                  <TierMark tier={e.tier} />
                </td>
                <td>{e.principal}</td>
                <td className={e.outcome === "denied" ? "error" : undefined}>{e.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
