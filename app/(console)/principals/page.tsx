import type { Metadata } from "next";
import Link from "next/link";
import { requirePermission } from "@/lib/auth/guard";
import { daySchema, latestActiveDay, listPrincipalsForDay, todayUtc } from "@/lib/data/principal-day";
import { getDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Principals" };

export default async function PrincipalsPage({ searchParams }: { searchParams: Promise<{ day?: string }> }) {
  const authority = await requirePermission("console.read");
  const asked = (await searchParams).day;
  const db = await getDb();
  const parsed = daySchema.safeParse(asked ?? todayUtc());
  // No day asked for: the latest day with activity (today when there is any), said on the page.
  const latest = asked === undefined ? await latestActiveDay(db, authority, new Date()) : undefined;
  const day = parsed.success ? (latest ?? parsed.data) : todayUtc();
  const rows = await listPrincipalsForDay(db, authority, day);
  return (
    <>
      <h1>Principals</h1>
      <p className="muted">
        The people whose bots were active on {day} (UTC), busiest first: open one to read their day in plain
        words.
      </p>
      <form className="row-actions" style={{ margin: "8px 0 12px" }}>
        <input type="date" name="day" defaultValue={day} aria-label="Day" />
        <button type="submit">Show</button>
        {parsed.success ? null : <span className="error">Unknown day; showing today.</span>}
        {latest && latest !== todayUtc() ? (
          <span className="muted" data-testid="latest-day-note">
            No activity yet today ({todayUtc()}); showing the latest day with some.
          </span>
        ) : null}
      </form>
      {rows.length === 0 ? (
        <p className="notice">No agent activity on {day} in your tenants. Pick another day above.</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Principal</th>
              <th scope="col">Tenant</th>
              <th scope="col">Tool calls</th>
              <th scope="col">Denied</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.tenant}/${r.principal}`}>
                <td>
                  <Link href={`/principals/${encodeURIComponent(r.principal ?? "")}?day=${day}`}>
                    {r.principal}
                  </Link>
                </td>
                <td>{r.tenant}</td>
                <td>{r.calls.toLocaleString("en")}</td>
                <td className={r.denied ? "error" : undefined}>{r.denied.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
