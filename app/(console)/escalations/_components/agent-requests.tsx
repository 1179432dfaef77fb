import Link from "next/link";
import type { GatewayRequestListRow } from "@/lib/data/gateway-requests";
import { formatDuration } from "@/lib/format/time";
import { GatewayRequestActions } from "./gateway-request-actions";

// "Requested by agents": escalation requests from the MCP gateway (issue 14), each for exactly one
// refused operation, argument digest included.

function age(from: Date, nowMs: number): string {
  return formatDuration(Math.max(0, nowMs - from.getTime()));
}

const STATUS_BADGE: Record<GatewayRequestListRow["status"], string> = {
  requested: "",
  granted: "ok",
  dismissed: "bad",
  expired: "disabled",
};

const RECENT_MS = 15 * 60_000;

const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function RequestRows({
  rows,
  nowMs,
  actions,
}: {
  rows: GatewayRequestListRow[];
  nowMs: number;
  actions: (r: GatewayRequestListRow) => React.ReactNode;
}) {
  return (
    <table className="data" aria-label="Escalations requested by agents">
      <thead>
        <tr>
          <th>Tenant</th>
          <th>Principal / agent / session</th>
          <th>Operation</th>
          <th>Argument digest</th>
          <th>Missing</th>
          <th>Age</th>
          <th>Status</th>
          <th>
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.tenant}/${r.id}`} data-testid="agent-request" id={`request-${r.id}`}>
            <td>{r.tenant}</td>
            <td>
              {r.principal}
              <br />
              <span className="muted mono">
                {r.agent} · {r.session}
              </span>
            </td>
            <td>
              <span className="mono">{r.operation.tool}</span>: {r.operation.action}{" "}
              <span className="mono" title={r.operation.resourceId} style={{ overflowWrap: "anywhere" }}>
                {r.operation.resourceType}#{short(r.operation.resourceId, 80)}
              </span>
            </td>
            <td className="mono" title={r.operation.argDigest}>
              {r.operation.argDigest.slice("hmac-sha256:".length, "hmac-sha256:".length + 12)}…
            </td>
            <td>{r.missing}</td>
            <td>{age(r.requestedAt, nowMs)}</td>
            <td>
              <span className={`badge ${STATUS_BADGE[r.status]}`}>{r.status}</span>
              {r.status === "requested" && r.escalationStatus === "pending" ? (
                <>
                  <br />
                  <span className="muted">needs a second admin</span>
                </>
              ) : null}
            </td>
            <td>{actions(r)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AgentRequests({
  rows,
  nowMs,
  isAdmin,
}: {
  rows: GatewayRequestListRow[];
  nowMs: number;
  isAdmin: boolean;
}) {
  // Open ones (a grant under the two-person rule waits for a second admin), and those decided in
  // the last 15 minutes so a Grant or Dismiss stays in view with its outcome; older ones folded.
  const recent = (r: GatewayRequestListRow) =>
    r.status === "requested" || (r.decidedAt !== null && nowMs - r.decidedAt.getTime() < RECENT_MS);
  const shown = rows.filter(recent);
  const rest = rows.filter((r) => !recent(r));
  const actionsOf = (r: GatewayRequestListRow) =>
    r.status === "requested" && r.escalationId === null ? (
      isAdmin ? (
        <GatewayRequestActions id={r.id} />
      ) : null
    ) : r.escalationId ? (
      <Link href={`/escalations#escalation-${r.escalationId}`}>Escalation</Link>
    ) : null;
  return (
    <section aria-labelledby="agent-requests-heading">
      <h2 id="agent-requests-heading">Requested by agents</h2>
      <p className="muted">
        Calls the MCP gateway refused, each for exactly one operation and argument digest. Granting issues a
        single-use escalation for 60 seconds that the gateway picks up for that session; the agent's retry of
        the same call is then allowed once. A request nobody grants lapses after 30 minutes.
      </p>
      {shown.length === 0 ? (
        <p className="muted">No agent is waiting.</p>
      ) : (
        <RequestRows rows={shown} nowMs={nowMs} actions={actionsOf} />
      )}
      {rest.length > 0 ? (
        <details style={{ marginTop: 8 }}>
          <summary>Earlier requests ({rest.length})</summary>
          <RequestRows rows={rest} nowMs={nowMs} actions={actionsOf} />
        </details>
      ) : null}
    </section>
  );
}
