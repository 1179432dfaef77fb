import type { Metadata } from "next";
import { requireRole } from "@/lib/auth/guard";
import { getOverview } from "@/lib/data/overview";
import { getDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage() {
  const authority = await requireRole(["viewer", "investigator", "admin"]);
  const o = await getOverview(await getDb(), authority);
  return (
    <>
      <h1>Overview</h1>
      <p className="muted">Tenants in view: {o.tenants.join(", ")}</p>
      <div className="cards" style={{ marginTop: 16 }}>
        <div className="card">
          <div className="muted">Events, last 24 h</div>
          <div className="stat" data-testid="events-24h">
            {o.events24h.toLocaleString("en")}
          </div>
        </div>
        <div className="card">
          <div className="muted">Denied, last 24 h</div>
          <div className={o.denied24h > 0 ? "stat error" : "stat"}>{o.denied24h.toLocaleString("en")}</div>
        </div>
        <div className="card">
          <div className="muted">Capabilities seen</div>
          <div className="stat">{o.capabilities.toLocaleString("en")}</div>
        </div>
      </div>
      <h2>Latest events</h2>
      {o.recent.length === 0 ? (
        <p className="notice">
          No events yet. Agent platforms send them to POST /api/v1/events with an ingest key.
        </p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Tenant</th>
              <th>Type</th>
              <th>Principal</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {o.recent.map((e) => (
              <tr key={e.id}>
                <td className="mono">{e.ts.toISOString().replace("T", " ").slice(0, 19)}</td>
                <td>{e.tenant}</td>
                <td className="mono">{e.type}</td>
                <td>{e.principal}</td>
                <td className={e.outcome === "denied" ? "error" : undefined}>{e.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted" style={{ marginTop: 24 }}>
        Charts of activity by outcome, denials by reason and active escalations come with the audit explorer.
      </p>
    </>
  );
}
