import type { Metadata } from "next";
import { Countdown } from "@/components/ui/countdown";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { type EscalationListRow, listEscalations, PENDING_MAX_AGE_MS } from "@/lib/data/escalations";
import { listGatewayEscalationRequests } from "@/lib/data/gateway-requests";
import { getDb } from "@/lib/server/db";
import { AgentRequests } from "./_components/agent-requests";
import { PendingActions, RevokeEscalation } from "./_components/escalation-actions";
import { IssueEscalationForm } from "./_components/issue-form";
import { TokenOutbox } from "./_components/token-outbox";

export const metadata: Metadata = { title: "Escalations" };

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "—");
const opText = (e: EscalationListRow) =>
  `${e.operation.tool}: ${e.operation.action} ${e.operation.resourceType}#${e.operation.resourceId}`;

/** Every attempt to use the grant, allowed or refused, as the console recorded it. */
function Uses({ uses }: { uses: EscalationListRow["uses"] }) {
  if (uses.length === 0) return <span className="muted">none</span>;
  const allowed = uses.filter((u) => u.outcome === "allowed").length;
  const refused = uses.length - allowed;
  return (
    <details>
      <summary>
        {allowed} allowed{refused > 0 ? `, ${refused} refused` : ""}
      </summary>
      <ol className="uses">
        {uses.map((u) => (
          <li key={u.eventId} data-testid="escalation-use">
            <span className="mono">{when(u.ts)}</span>{" "}
            <span className={`badge ${u.outcome === "allowed" ? "ok" : "bad"}`}>{u.outcome}</span>{" "}
            {u.outcome !== "allowed" && (
              <span>
                {u.code ?? "denied"}
                {u.reason ? `: ${u.reason}` : ""}
              </span>
            )}
            {u.source && <span className="muted"> by {u.source}</span>}
          </li>
        ))}
      </ol>
    </details>
  );
}

function Rows({
  rows,
  render,
}: {
  rows: EscalationListRow[];
  render: (e: EscalationListRow) => React.ReactNode;
}) {
  return (
    <table className="data">
      <thead>
        <tr>
          <th>Tenant</th>
          <th>For</th>
          <th>Operation</th>
          <th>Reason</th>
          <th>Asked / granted by</th>
          <th>Uses</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((e) => (
          <tr key={e.id} id={`escalation-${e.id}`}>
            <td>{e.tenant}</td>
            <td>
              {e.principal}
              <br />
              <span className="muted mono">{e.session ?? e.agent}</span>
            </td>
            <td className="mono">{opText(e)}</td>
            <td>{e.reason}</td>
            <td>
              {e.requestedBy}
              {e.grantedBy && e.grantedBy !== e.requestedBy ? ` / ${e.grantedBy}` : ""}
            </td>
            <td>
              <Uses uses={e.uses} />
            </td>
            <td>{render(e)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default async function Page() {
  const authority = await requirePermission("escalations.read");
  const db = await getDb();
  const [rows, agentRequests] = await Promise.all([
    listEscalations(db, authority),
    listGatewayEscalationRequests(db, authority),
  ]);
  const now = Date.now();
  const isAdmin = can(authority, "escalations.issue");
  const active = rows.filter((e) => e.status === "active" && e.expiresAt && e.expiresAt.getTime() > now);
  const pending = rows.filter(
    (e) => e.status === "pending" && now - e.requestedAt.getTime() < PENDING_MAX_AGE_MS,
  );
  const history = rows.filter((e) => !active.includes(e) && !pending.includes(e));
  return (
    <>
      <h1>Escalations</h1>
      <p className="muted">
        Short-lived grants of exactly one operation, minted with the console's key. Tokens are shown once and
        never stored.
      </p>
      <AgentRequests rows={agentRequests} nowMs={now} isAdmin={isAdmin} />
      {isAdmin && (
        <>
          <h2>Issue an escalation</h2>
          <IssueEscalationForm tenants={[...authority.tenants]} />
        </>
      )}
      <h2>Active</h2>
      {active.length === 0 ? (
        <p className="muted">No active escalations.</p>
      ) : (
        <Rows
          rows={active}
          render={(e) => (
            <>
              <Countdown until={(e.expiresAt as Date).toISOString()} />{" "}
              <span className="badge">{e.singleUse ? "single use" : `${e.useCount} uses`}</span>{" "}
              {e.delivery === "platform" && !e.deliveredAt && (
                <span className="badge">waiting for pick-up</span>
              )}
              {isAdmin && <RevokeEscalation id={e.id} />}
            </>
          )}
        />
      )}
      <TokenOutbox>
        <h2>Waiting for approval</h2>
        <p className="muted">
          Under a tenant's two-person rule. A request lapses when no second admin approves it within 30
          minutes.
        </p>
        {pending.length === 0 ? (
          <p className="muted">Nothing waits for a second admin.</p>
        ) : (
          <Rows
            rows={pending}
            render={(e) =>
              isAdmin && e.requestedBy !== authority.email ? (
                <PendingActions id={e.id} />
              ) : (
                <span className="muted">needs another admin</span>
              )
            }
          />
        )}
      </TokenOutbox>
      <h2>History</h2>
      {history.length === 0 ? (
        <p className="muted">No past escalations.</p>
      ) : (
        <Rows
          rows={history}
          render={(e) => (
            <>
              <span className="badge">
                {e.status === "active" ? "expired" : e.status === "pending" ? "lapsed" : e.status}
              </span>{" "}
              <span className="muted">
                issued {when(e.issuedAt)}; {e.useCount} use{e.useCount === 1 ? "" : "s"}
                {e.usedAt ? `, first ${when(e.usedAt)}` : ""}
                {e.revokeReason ? `; ${e.revokeReason}` : ""}
              </span>
            </>
          )}
        />
      )}
    </>
  );
}
