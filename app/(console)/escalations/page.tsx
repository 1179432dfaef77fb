import type { Metadata } from "next";
import { Countdown } from "@/components/ui/countdown";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { endedAs, escalationPhase, getEscalationStates } from "@/lib/data/escalation-live";
import { type EscalationListRow, listEscalations } from "@/lib/data/escalations";
import { listGatewayEscalationRequests } from "@/lib/data/gateway-requests";
import { formatTime, plural } from "@/lib/format/time";
import { readEscalationPrefill } from "@/lib/links";
import { getDb } from "@/lib/server/db";
import { AgentRequests } from "./_components/agent-requests";
import { PendingActions, RevokeEscalation } from "./_components/escalation-actions";
import { IssueEscalationForm } from "./_components/issue-form";
import { LiveEscalations } from "./_components/live-escalations";
import { TokenOutbox } from "./_components/token-outbox";
import "./escalations.css";

export const metadata: Metadata = { title: "Escalations" };

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
            <span className="mono">{formatTime(u.ts)}</span>{" "}
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
  label,
  stateHeading,
  render,
}: {
  rows: EscalationListRow[];
  label: string;
  stateHeading: string;
  render: (e: EscalationListRow) => React.ReactNode;
}) {
  return (
    <div className="esc-table-wrap">
      <table className="data" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Tenant</th>
            <th scope="col">For</th>
            <th scope="col">Operation</th>
            <th scope="col">Reason</th>
            <th scope="col">Asked / granted by</th>
            <th scope="col">Uses</th>
            <th scope="col">{stateHeading}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.id} id={`escalation-${e.id}`} data-escalation={e.id}>
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
    </div>
  );
}

export default async function Page({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const authority = await requirePermission("escalations.read");
  const db = await getDb();
  const [rows, agentRequests] = await Promise.all([
    listEscalations(db, authority),
    listGatewayEscalationRequests(db, authority),
  ]);
  const prefill = readEscalationPrefill(await searchParams);
  const now = Date.now();
  const isAdmin = can(authority, "escalations.issue");
  const feed = await getEscalationStates(db, authority, { nowMs: now, rows });
  const active = rows.filter((e) => escalationPhase(e, now) === "active");
  const pending = rows.filter((e) => escalationPhase(e, now) === "pending");
  const history = rows.filter((e) => escalationPhase(e, now) === "ended");
  return (
    <>
      <h1>Escalations</h1>
      <p className="muted">
        Short-lived grants of exactly one operation, minted with the console's key. Tokens are shown once and
        never stored.
      </p>
      <LiveEscalations signature={feed.signature} />
      <AgentRequests rows={agentRequests} nowMs={now} isAdmin={isAdmin} />
      {isAdmin ? (
        <section id="issue" aria-labelledby="issue-title">
          <h2 id="issue-title">Issue an escalation</h2>
          <IssueEscalationForm tenants={[...authority.tenants]} prefill={prefill} />
        </section>
      ) : (
        Object.keys(prefill).length > 0 && (
          <p className="notice" id="issue">
            Only an admin can issue an escalation. Send this page's link to one: it opens the form filled with
            this operation.
          </p>
        )
      )}
      <h2>Active</h2>
      {active.length === 0 ? (
        <p className="muted">No active escalations.</p>
      ) : (
        <Rows
          rows={active}
          label="Active escalations"
          stateHeading="Time left and actions"
          render={(e) => (
            <>
              <Countdown until={(e.expiresAt as Date).toISOString()} />{" "}
              <span className="badge">{e.singleUse ? "single use" : "multi-use"}</span>{" "}
              <span className="badge" data-testid="escalation-delivery">
                {e.delivery === "platform"
                  ? e.deliveredAt
                    ? "picked up"
                    : "waiting for pick-up"
                  : "shown once"}
              </span>{" "}
              <span className="muted" data-testid="escalation-use-count">
                {plural(e.useCount, "use")}
              </span>
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
            label="Escalations waiting for approval"
            stateHeading="Approval"
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
          label="Past escalations"
          stateHeading="Outcome"
          render={(e) => (
            <>
              <span className="badge">{endedAs(e)}</span>{" "}
              <span className="muted">
                issued {formatTime(e.issuedAt, "s", "never")}; {plural(e.useCount, "use")}
                {e.usedAt ? `, first ${formatTime(e.usedAt)}` : ""}
                {e.revokeReason ? `; ${e.revokeReason}` : ""}
              </span>
            </>
          )}
        />
      )}
    </>
  );
}
