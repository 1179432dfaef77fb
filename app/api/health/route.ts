import { sql } from "drizzle-orm";
import { getAuthority } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { listStreams } from "@/lib/data/streams";
import { overdueRetention } from "@/lib/retention/status";
import { getDb } from "@/lib/server/db";

export const dynamic = "force-dynamic";

// Public on purpose (load balancers probe it): anonymously it says only whether the database
// answers. A signed-in admin also gets the health of their tenants' event streams and whether
// any of their tenants' retention is overdue.
export async function GET() {
  let db: Awaited<ReturnType<typeof getDb>>;
  try {
    db = await getDb();
    await db.execute(sql`select 1`);
  } catch (err) {
    console.error("[health] database check failed:", err instanceof Error ? err.message : err);
    return Response.json({ status: "unavailable" }, { status: 503 });
  }
  const authority = await getAuthority().catch(() => null);
  if (!can(authority, "streams.manage")) return Response.json({ status: "ok" });
  const streams = (await listStreams(db, authority)).map((s) => ({
    tenant: s.tenant,
    name: s.name,
    status: s.status,
    lagEvents: s.lagEvents,
    lagMs: s.lagMs,
    lastError: s.lastError,
    deadLetters: s.deadLetters,
    lastSuccessAt: s.lastSuccessAt,
  }));
  const failing = streams.filter((s) => s.status === "disabled" || s.lastError);
  // Retention behind by more than a day (a refused cut, a job that does not run), in scope only.
  const overdue = await overdueRetention(db, authority.tenants);
  return Response.json({
    status: "ok",
    streams: { failing: failing.length, detail: streams },
    retention: { overdue: overdue.length, detail: overdue },
  });
}
