import Link from "next/link";
import { ChartTable } from "@/components/charts/chart-table";
import { OutcomeBars } from "@/components/charts/outcome-bars";
import { RankedBars } from "@/components/charts/ranked-bars";
import { DayGraphView } from "@/components/graph/day-graph";
import { ReadSourceNote } from "@/components/read-source-note";
import { TierMark } from "@/components/tier-mark";
import type { Authority } from "@/lib/auth/authority";
import { can } from "@/lib/auth/permissions";
import { getPrincipalDay } from "@/lib/data/principal-day";
import { formatClock, plural } from "@/lib/format/time";
import { revokeHref } from "@/lib/links";
import { getReadDb } from "@/lib/server/db";
import { dayEventsHref } from "@/lib/summary/explorer-href";
import { DaySummary } from "./day-summary";

/** Everything on the day page that needs the day's data (the shell paints before it). */
export async function DayBody({
  authority,
  principal,
  day,
  who,
  coverage,
}: {
  authority: Authority;
  principal: string;
  day: string;
  who: string;
  coverage: React.ReactNode;
}) {
  const read = await getReadDb("principals.day");
  const d = await getPrincipalDay(read, authority, { principal, day });
  const t = d.totals;
  const admin = can(authority, "sessions.revoke");
  return (
    <>
      <ReadSourceNote source={read.source} />
      {admin && d.tenants.length > 0 ? (
        <p className="row-actions" style={{ margin: "0 0 8px" }}>
          {d.tenants.map((tenant) => (
            <Link
              key={tenant}
              className="button"
              href={revokeHref({ kind: "principal", tenant, principal })}
              data-testid="revoke-principal"
            >
              Revoke…{d.tenants.length > 1 ? ` (${tenant})` : ""}
            </Link>
          ))}
          <span className="muted">every session of {principal}, after a preview of what it cuts off</span>
        </p>
      ) : null}
      <DaySummary d={d} who={who} />
      {t.calls > 0 ? (
        <>
          <h2>What {who} did, at a glance</h2>
          <DayGraphView
            graph={d.graph}
            label={`${who} on ${day}: person, agents, tools and resource types, with calls and refusals`}
            hrefFor={(terms) => dayEventsHref({ principal, day, terms })}
          />
          <ChartTable
            summary="The graph as a table"
            columns={["From", "To", "Calls", "Refused", "Errors"]}
            rows={d.graph.edges.map((e) => [
              d.graph.nodes.find((n) => n.id === e.from)?.name ?? e.from,
              d.graph.nodes.find((n) => n.id === e.to)?.name ?? e.to,
              e.calls,
              e.denied,
              e.errors,
            ])}
          />
          {coverage}
          <h2>Calls per hour (UTC)</h2>
          <OutcomeBars
            data={d.perHour.map((h) => ({
              label: h.hour,
              allowed: h.allowed,
              denied: h.denied,
              error: h.error,
            }))}
          />
          <ChartTable
            summary="Calls per hour as a table"
            columns={["Hour (UTC)", "Allowed", "Denied", "Errors"]}
            rows={d.perHour
              .filter((h) => h.allowed + h.denied + h.error > 0)
              .map((h) => [h.hour, h.allowed, h.denied, h.error])}
          />
          <div
            className="cards"
            style={{ gridTemplateColumns: "repeat(auto-fit, minmax(300px, 1fr))", marginTop: 12 }}
          >
            <div className="card">
              <h2 style={{ marginTop: 0 }}>Top tools</h2>
              <RankedBars data={d.topTools} label="Top tools" />
              <ChartTable
                summary="As a table"
                columns={["Tool", "Calls"]}
                rows={d.topTools.map((x) => [x.name, x.count])}
              />
            </div>
            <div className="card">
              <h2 style={{ marginTop: 0 }}>Refusals by kind</h2>
              {d.denialCategories.length === 0 ? (
                <p className="muted">Nothing was refused.</p>
              ) : (
                <ul className="day-summary-list" data-testid="denial-categories">
                  {d.denialCategories.map((c) => (
                    <li key={c.category}>
                      <span
                        className="denial-reason"
                        title={c.reasons.map((x) => `${x.reason} (${x.count})`).join("\n")}
                        // biome-ignore lint/a11y/noNoninteractiveTabindex: focus shows the exact reasons
                        tabIndex={0}
                        aria-describedby={`cat-${c.category}`}
                      >
                        {c.label}
                      </span>
                      : <strong className="error">{plural(c.count, "call")}</strong>
                      <span id={`cat-${c.category}`} hidden>
                        Exact reasons: {c.reasons.map((x) => `${x.reason} (${x.count})`).join("; ")}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </div>
          {d.escalations.length > 0 ? (
            <>
              <h2>Escalations</h2>
              <ul>
                {d.escalations.map((e) => (
                  <li key={e.id}>
                    <span className="mono">{formatClock(e.ts)}</span>{" "}
                    <span className="badge kind-escalation">{e.type}</span>{" "}
                    <span className={e.outcome === "denied" ? "error" : undefined}>{e.outcome}</span>{" "}
                    {e.reason}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <h2>Requests</h2>
          <p className="muted">Open a request to see the capabilities it held and how each was narrowed.</p>
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Request</th>
                <th scope="col">Calls</th>
                <th scope="col">Denied</th>
              </tr>
            </thead>
            <tbody>
              {d.requests.slice(0, 100).map((r) => (
                <tr key={r.request}>
                  <td className="mono">{formatClock(r.start)}</td>
                  <td>
                    <Link className="mono" href={`/requests/${encodeURIComponent(r.request)}`}>
                      {r.request}
                    </Link>
                    <TierMark tier={r.observed > 0 ? "observed" : "attested"} uncovered={r.uncovered > 0} />
                  </td>
                  <td>{r.calls.toLocaleString("en")}</td>
                  <td className={r.denied ? "error" : undefined}>{r.denied.toLocaleString("en")}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {d.requests.length > 100 ? (
            <p className="muted">First 100 of {plural(d.requests.length, "request")}.</p>
          ) : null}
        </>
      ) : null}
    </>
  );
}
