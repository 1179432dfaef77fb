import type { Metadata } from "next";
import Link from "next/link";
import { requirePermission } from "@/lib/auth/guard";
import { listRecentRequests } from "@/lib/data/capabilities";
import { getDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Requests" };

export default async function RequestsPage() {
  const authority = await requirePermission("console.read");
  const rows = await listRecentRequests(await getDb(), authority);
  return (
    <>
      <h1>Requests</h1>
      <p className="muted">
        The latest requests agents minted capabilities for. Open one to see its derivation graph.
      </p>
      {rows.length === 0 ? (
        <p className="notice">No requests yet: agent platforms report them through POST /api/v1/events.</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th>Minted (UTC)</th>
              <th>Request</th>
              <th>Principal</th>
              <th>Agent</th>
              <th>Tenant</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.tenant}/${r.request}`}>
                <td className="mono">{r.issuedAt?.toISOString().replace("T", " ").slice(0, 19)}</td>
                <td>
                  <Link
                    className="mono"
                    href={`/requests/${encodeURIComponent(r.request ?? "")}?tenant=${encodeURIComponent(r.tenant)}`}
                  >
                    {r.request}
                  </Link>
                </td>
                <td>{r.principal}</td>
                <td>{r.agent}</td>
                <td>{r.tenant}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
