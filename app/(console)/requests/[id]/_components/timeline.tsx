import Link from "next/link";
import { formatClock, formatDuration, formatTime, plural } from "@/lib/format/time";
import type { CallRow, Decision, SpanRow, Waterfall } from "@/lib/graph/waterfall";
import { capabilityHref } from "../../search-params";
import { DECISIONS, DecisionMark } from "./decision";

/** Rows drawn at most; the table below and the explorer have every call. */
export const ROWS_DRAWN = 800;

const pct = (v: number, total: number) => `${Math.min(100, Math.max(0, (v / total) * 100)).toFixed(3)}%`;
const short = (id: string) => (id.length > 12 ? `${id.slice(0, 10)}…` : id);

function Legend({ counts }: { counts: Record<Decision, number> }) {
  return (
    <ul className="legend" aria-label="Decisions">
      {(Object.keys(DECISIONS) as Decision[]).map((d) => (
        <li key={d} style={{ listStyle: "none" }}>
          <span className={`wf-bar swatch decision-${d}`} style={{ position: "static" }} aria-hidden="true" />
          <DecisionMark decision={d} /> <span className="muted">({counts[d]})</span>
        </li>
      ))}
    </ul>
  );
}

function SpanLine({ row, total, tenant }: { row: SpanRow; total: number; tenant: string }) {
  const calls = Object.values(row.counts).reduce((s, n) => s + n, 0);
  return (
    <div className="wf-row wf-span" data-testid="wf-span">
      <div className="wf-label" style={{ paddingLeft: row.level * 14 }}>
        <span>{row.agent}</span>
        {row.capabilityId ? (
          <Link className="mono" href={capabilityHref(row.capabilityId, tenant)} title={row.capabilityId}>
            {short(row.capabilityId)}
          </Link>
        ) : null}
        <span className="muted">{calls ? plural(calls, "call") : "no calls"}</span>
      </div>
      <div className="wf-track">
        {row.start !== null && row.end !== null ? (
          <span
            className="wf-spanbar"
            style={{ left: pct(row.start, total), width: pct(row.end - row.start, total) }}
          />
        ) : null}
      </div>
    </div>
  );
}

function CallLine({ row, total, tenant }: { row: CallRow; total: number; tenant: string }) {
  const left = (row.start / total) * 100;
  const tipId = `tip-${row.id}`;
  const d = DECISIONS[row.decision];
  const summary = `${row.tool} ${d.label} at ${formatTime(row.at, "ms")}${row.capabilityId ? `, authorized by capability ${short(row.capabilityId)}` : ""}`;
  const bar = {
    className: `wf-bar decision-${row.decision}`,
    style: { left: pct(row.start, total), width: pct(row.duration ?? 0, total) },
    "aria-label": summary,
    "aria-describedby": tipId,
  };
  return (
    <div className="wf-row" data-testid="wf-call" data-decision={row.decision}>
      <div className="wf-label" style={{ paddingLeft: row.level * 14 }}>
        <span className={`decision-mark decision-${row.decision}`} aria-hidden="true">
          {d.mark}
        </span>
        <span className="mono">{row.tool}</span>
        <span className="muted">{row.agent}</span>
      </div>
      <div className="wf-track">
        {row.capabilityId ? (
          <Link href={capabilityHref(row.capabilityId, tenant)} {...bar} />
        ) : (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: focus shows the call's details; no capability to open
          <span tabIndex={0} role="img" {...bar} />
        )}
        <span role="tooltip" id={tipId} className={`wf-tip${left > 55 ? " flip" : ""}`}>
          <strong className="mono">{row.tool}</strong> <DecisionMark decision={row.decision} />
          <br />
          {formatTime(row.at, "ms")} (+{formatDuration(row.start)})
          <br />
          Duration: {row.duration === null ? "not reported" : formatDuration(row.duration)}
          <br />
          Capability: {row.capabilityId ? <span className="mono">{short(row.capabilityId)}</span> : "none"}
          {row.reason ? (
            <>
              <br />
              Reason: {row.reason}
            </>
          ) : null}
        </span>
      </div>
    </div>
  );
}

/** The waterfall, then the same calls as a table (the screen-reader and copy-paste view). */
export function Timeline({
  waterfall,
  tenant,
  truncated,
}: {
  waterfall: Waterfall;
  tenant: string;
  truncated: boolean;
}) {
  const { rows, total, origin } = waterfall;
  const callRows = rows.filter((r): r is CallRow => r.kind === "call");
  if (callRows.length === 0)
    return (
      <p className="notice" data-testid="timeline-empty">
        No tool calls recorded for this request yet: the derivation graph shows its capabilities.
      </p>
    );
  const drawn = rows.slice(0, ROWS_DRAWN);
  return (
    <section aria-labelledby="timeline-h">
      <h2 id="timeline-h">Timeline</h2>
      <p className="muted">
        From {formatTime(origin, "ms")}, over {formatDuration(total)}: {plural(callRows.length, "call")}, one
        row each, under the capability (agent or sub-agent) that made it. Hover or focus a bar for its
        details.
      </p>
      <Legend counts={waterfall.counts} />
      <div className="waterfall" data-testid="waterfall">
        <div className="wf-axis" aria-hidden="true">
          <span>Capability / call</span>
          <div className="wf-ticks">
            {[0, 0.25, 0.5, 0.75, 1].map((f) => (
              <span key={f} style={{ left: `${f * 100}%` }}>
                +{formatDuration(total * f)}
              </span>
            ))}
          </div>
        </div>
        {drawn.map((r) =>
          r.kind === "span" ? (
            <SpanLine key={r.key} row={r} total={total} tenant={tenant} />
          ) : (
            <CallLine key={r.key} row={r} total={total} tenant={tenant} />
          ),
        )}
      </div>
      {rows.length > ROWS_DRAWN || truncated ? (
        <p className="muted">
          Only the first {plural(Math.min(rows.length, ROWS_DRAWN), "row")} are drawn; the table has{" "}
          {plural(callRows.length, "call")}
          {truncated ? " (the first ones recorded)" : ""}.
        </p>
      ) : null}
      <details className="card" style={{ marginTop: 12 }} data-testid="timeline-table">
        <summary>Timeline as a table ({plural(callRows.length, "call")})</summary>
        <div className="table-wrap">
          <table className="data">
            <caption className="sr-only">Tool calls of this request in time order</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Tool</th>
                <th scope="col">Agent</th>
                <th scope="col">Decision</th>
                <th scope="col">Capability</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {[...callRows]
                .sort((a, b) => a.start - b.start)
                .map((c) => (
                  <tr key={c.id}>
                    <td className="mono nowrap" title={formatTime(c.at, "ms")}>
                      {formatClock(c.at, "ms")}
                    </td>
                    <td className="mono">{c.tool}</td>
                    <td>{c.agent}</td>
                    <td>
                      <DecisionMark decision={c.decision} />
                    </td>
                    <td>
                      {c.capabilityId ? (
                        <Link className="mono" href={capabilityHref(c.capabilityId, tenant)}>
                          {short(c.capabilityId)}
                        </Link>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td className="num">{c.duration === null ? "—" : formatDuration(c.duration)}</td>
                    <td>{c.reason ?? "—"}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}
