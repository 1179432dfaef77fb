import type { Metadata } from "next";
import Link from "next/link";
import { OutcomeBars } from "@/components/charts/outcome-bars";
import { RankedBars } from "@/components/charts/ranked-bars";
import { CoveragePanel } from "@/components/coverage/coverage-panel";
import { DerivationGraphView } from "@/components/graph/derivation-graph";
import { GraphOutline } from "@/components/graph/graph-outline";
import { TierMark } from "@/components/tier-mark";
import { requirePermission } from "@/lib/auth/guard";
import { coverageView, getCoverage } from "@/lib/data/coverage";
import { daySchema, getPrincipalDay, todayUtc } from "@/lib/data/principal-day";
import { getDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Principal day" };

function shiftDay(day: string, by: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + by * 86_400_000).toISOString().slice(0, 10);
}

export default async function PrincipalDayPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ day?: string }>;
}) {
  const authority = await requirePermission("console.read");
  const principal = decodeURIComponent((await params).id);
  const requested = (await searchParams).day;
  const parsed = daySchema.safeParse(requested ?? todayUtc());
  const base = `/principals/${encodeURIComponent(principal)}`;
  if (!parsed.success) {
    return (
      <>
        <h1>{principal}</h1>
        <p className="notice error" role="alert">
          {parsed.error.issues[0]?.message ?? "Bad day"}. <Link href={base}>Show today</Link>
        </p>
      </>
    );
  }
  const day = parsed.data;
  const db = await getDb();
  const from = new Date(`${day}T00:00:00.000Z`);
  const [d, coverage] = await Promise.all([
    getPrincipalDay(db, authority, { principal, day }),
    getCoverage(db, authority, {
      from,
      to: new Date(from.getTime() + 86_400_000),
      principal,
      bucket: "hour",
    }),
  ]);
  const name = principal.split("@")[0] ?? principal;
  const who = `${name.charAt(0).toUpperCase()}${name.slice(1)}'s bot`;
  const t = d.totals;
  return (
    <>
      <p className="muted">
        <Link href={`/principals?day=${day}`}>Principals</Link> / {principal}
      </p>
      <h1>{principal}</h1>
      <nav className="row-actions" aria-label="Day" style={{ margin: "8px 0 12px" }}>
        <Link className="button" href={`${base}?day=${shiftDay(day, -1)}`}>
          ← {shiftDay(day, -1)}
        </Link>
        <form action={base} style={{ display: "flex", gap: 6 }}>
          <input type="date" name="day" defaultValue={day} aria-label="Day" />
          <button type="submit">Show</button>
        </form>
        {day < todayUtc() ? (
          <Link className="button" href={`${base}?day=${shiftDay(day, 1)}`}>
            {shiftDay(day, 1)} →
          </Link>
        ) : null}
      </nav>
      <p className="card" data-testid="day-summary" style={{ fontSize: 15 }}>
        {t.calls === 0 ? (
          <>
            No tool calls by {who} on {day}.
          </>
        ) : (
          <>
            {who} made <strong>{t.calls}</strong> tool call{t.calls === 1 ? "" : "s"} in{" "}
            <strong>{t.requests}</strong> request{t.requests === 1 ? "" : "s"} on {day};{" "}
            <strong className={t.denied ? "error" : undefined}>{t.denied}</strong>{" "}
            {t.denied === 1 ? "was" : "were"} denied; <strong>{t.escalationsUsed}</strong> escalation
            {t.escalationsUsed === 1 ? "" : "s"} used.
          </>
        )}
      </p>
      {t.calls > 0 ? (
        <>
          <CoveragePanel title="Capability coverage" view={coverageView(coverage, who)} />
          <h2>Calls per hour (UTC)</h2>
          <OutcomeBars
            data={d.perHour.map((h) => ({
              label: h.hour,
              allowed: h.allowed,
              denied: h.denied,
              error: h.error,
            }))}
          />
          <div
            className="cards"
            style={{ gridTemplateColumns: "repeat(auto-fit, minmax(320px, 1fr))", marginTop: 12 }}
          >
            <div className="card">
              <h2 style={{ marginTop: 0 }}>Top tools</h2>
              <RankedBars data={d.topTools} label="Top tools" />
            </div>
            <div className="card">
              <h2 style={{ marginTop: 0 }}>Resources touched</h2>
              <RankedBars data={d.resources} label="Resources touched" color="var(--ok)" />
            </div>
            <div className="card">
              <h2 style={{ marginTop: 0 }}>Denials by reason</h2>
              <RankedBars
                data={d.denials.map((x) => ({ name: x.reason, count: x.count }))}
                label="Denials by reason"
                color="var(--danger)"
                labelWidth={220}
              />
            </div>
          </div>
          {d.escalations.length > 0 ? (
            <>
              <h2>Escalations</h2>
              <ul>
                {d.escalations.map((e) => (
                  <li key={e.id}>
                    <span className="mono">{e.ts.toISOString().slice(11, 19)}</span>{" "}
                    <span className="badge kind-escalation">{e.type}</span>{" "}
                    <span className={e.outcome === "denied" ? "error" : undefined}>{e.outcome}</span>{" "}
                    {e.reason}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <h2>Requests</h2>
          <table className="data">
            <thead>
              <tr>
                <th>Started (UTC)</th>
                <th>Request</th>
                <th>Calls</th>
                <th>Denied</th>
              </tr>
            </thead>
            <tbody>
              {d.requests.slice(0, 100).map((r) => (
                <tr key={r.request}>
                  <td className="mono">{r.start.toISOString().slice(11, 19)}</td>
                  <td>
                    <Link className="mono" href={`/requests/${encodeURIComponent(r.request)}`}>
                      {r.request}
                    </Link>
                    <TierMark tier={r.observed > 0 ? "observed" : "attested"} uncovered={r.uncovered > 0} />
                  </td>
                  <td>{r.calls}</td>
                  <td className={r.denied ? "error" : undefined}>{r.denied}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {d.requests.length > 100 ? (
            <p className="muted">First 100 of {d.requests.length} requests.</p>
          ) : null}
          <h2>Derivation graph of the day</h2>
          <p className="muted">
            Every capability minted for {principal} on {day} and all derived from it; each request is a
            subtree.
          </p>
          <DerivationGraphView graph={d.graph} />
          <GraphOutline graph={d.graph} />
        </>
      ) : null}
    </>
  );
}
