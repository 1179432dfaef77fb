import type { Metadata } from "next";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { listRevocations } from "@/lib/data/revocations";
import { getDb } from "@/lib/server/db";
// The revoke form lives with the Sessions route, whose actions it calls.
import { RevokeForm } from "../sessions/_components/revoke-form";

export const metadata: Metadata = { title: "Revocations" };

export default async function Page() {
  const authority = await requirePermission("revocations.read");
  const rows = await listRevocations(await getDb(), authority);
  return (
    <>
      <h1>Revocations</h1>
      <p className="muted">
        The feed verifiers follow (GET /api/v1/revocations): who revoked what, why, and how many capability
        ids it cut.
      </p>
      {can(authority, "sessions.revoke") && (
        <div className="card">
          <h2>Revoke a capability and everything derived from it</h2>
          <RevokeForm target={{ kind: "capability", tenants: authority.tenants }} label="Revoke capability" />
        </div>
      )}
      {rows.length === 0 ? (
        <p className="notice">Nothing revoked yet.</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th>Cursor</th>
              <th>When</th>
              <th>Tenant</th>
              <th>Kind</th>
              <th>Target</th>
              <th>Who</th>
              <th>Why</th>
              <th>Cut</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.cursor}>
                <td className="mono">{r.cursor}</td>
                <td className="mono">{r.at.toISOString().replace("T", " ").slice(0, 19)}</td>
                <td>{r.tenant}</td>
                <td>
                  <span className="badge">{r.kind}</span>
                </td>
                <td className="mono">{r.kind === "capability" ? `${r.target.slice(0, 16)}…` : r.target}</td>
                <td>{r.actor}</td>
                <td>{r.reason}</td>
                <td title={r.revokedIds.join("\n")}>
                  {r.cut > 0 ? `${r.cut} capability ids` : "by session/principal fact"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
