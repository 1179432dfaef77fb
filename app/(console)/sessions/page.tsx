import type { Metadata } from "next";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { listAgentSessions, listSessionPrincipals, sessionState } from "@/lib/data/agent-sessions";
import { getDb } from "@/lib/server/db";
import { RevokeForm } from "./_components/revoke-form";

export const metadata: Metadata = { title: "Sessions" };

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "—");

export default async function Page() {
  const authority = await requirePermission("sessions.read");
  const db = await getDb();
  const [rows, principals] = await Promise.all([
    listAgentSessions(db, authority),
    listSessionPrincipals(db, authority),
  ]);
  const isAdmin = can(authority, "sessions.revoke");
  return (
    <>
      <h1>Sessions</h1>
      <p className="muted">
        Agent sessions in your tenants, open ones first. Revoking a session or a person reaches verifiers
        through the revocation feed.
      </p>
      {principals.length > 0 && (
        <>
          <h2>People</h2>
          <p className="muted">
            Revoking a person cuts every session of theirs in that tenant and refuses their agents from then
            on: for people who left the company.
          </p>
          <table className="data" aria-label="People">
            <thead>
              <tr>
                <th>Tenant</th>
                <th>Principal</th>
                <th>Open sessions</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {principals.map((p) => (
                <tr
                  key={`${p.tenant}/${p.principal}`}
                  data-testid={`principal-row-${p.tenant}-${p.principal}`}
                >
                  <td>{p.tenant}</td>
                  <td>{p.principal}</td>
                  <td>{p.openSessions}</td>
                  <td>
                    {p.revoked ? (
                      <span className="badge disabled" title={p.revoked.reason}>
                        revoked by {p.revoked.by} at {when(p.revoked.at)}: {p.revoked.reason}
                      </span>
                    ) : isAdmin ? (
                      <RevokeForm
                        target={{ kind: "principal", tenant: p.tenant, principal: p.principal }}
                        label="Revoke principal"
                        collapsed
                      />
                    ) : (
                      <span className="badge">active</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>Sessions</h2>
      {rows.length === 0 ? (
        <p className="notice">No agent sessions yet: they appear as platforms send events.</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th>Tenant</th>
              <th>Principal</th>
              <th>Session</th>
              <th>Agent</th>
              <th>Last activity</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => {
              const st = sessionState(s);
              return (
                // Session ids are unique per tenant only.
                <tr key={`${s.tenant}/${s.id}`}>
                  <td>{s.tenant}</td>
                  <td>{s.principal}</td>
                  <td className="mono">{s.id}</td>
                  <td>{s.agent ?? "—"}</td>
                  <td className="mono">{when(s.lastSeenAt)}</td>
                  <td>
                    {st.state === "revoked" ? (
                      <span className="badge disabled" title={st.reason ?? ""}>
                        {st.label}
                      </span>
                    ) : (
                      <>
                        {st.state === "reported" ? (
                          // Not in the verifier feed: only the console's revocation reaches verifiers.
                          <span className="badge" title={st.reason ?? ""}>
                            {st.label}
                          </span>
                        ) : null}{" "}
                        {isAdmin ? (
                          <RevokeForm
                            target={{ kind: "session", tenant: s.tenant, session: s.id }}
                            label="Revoke session"
                            collapsed
                          />
                        ) : st.state === "open" ? (
                          <span className="badge">open</span>
                        ) : null}
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
