import { TierMark } from "@/components/tier-mark";
import type { Authority } from "@/lib/auth/authority";
import { listEvents } from "@/lib/data/events-query";
import { formatTime } from "@/lib/format/time";
import { getReadDb } from "@/lib/server/db";

/** An observed request is a trace: its tool calls come from spans, with or without capabilities. */
export async function ObservedCalls({
  authority,
  request,
  tenant,
}: {
  authority: Authority;
  request: string;
  tenant: string;
}) {
  const q = `request:${JSON.stringify(request)} tier:observed tenant:${JSON.stringify(tenant)}`;
  const observed = await listEvents(await getReadDb("events.list"), authority, {
    q,
    sort: "ts_asc",
    limit: 200,
  });
  if (observed.rows.length === 0) return null;
  return (
    <>
      <h2>
        Observed from traces <TierMark tier="observed" />
      </h2>
      <p className="muted">
        Read from OpenTelemetry spans: no capability-enforcing platform attested these. A tool call without a
        capability is marked uncovered.
      </p>
      <div className="table-wrap">
        <table className="data" data-testid="observed-events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">Agent</th>
              <th scope="col">Tool</th>
              <th scope="col">Outcome</th>
              <th scope="col">Latency (ms)</th>
            </tr>
          </thead>
          <tbody>
            {observed.rows.map((e) => (
              <tr key={e.id}>
                <td className="mono nowrap">{formatTime(e.ts, "ms")}</td>
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
      </div>
    </>
  );
}
