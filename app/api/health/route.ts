import { sql } from "drizzle-orm";
import { getDb } from "@/lib/server/db";

export const dynamic = "force-dynamic";

// Public on purpose (load balancers probe it); says nothing but whether the database answers.
export async function GET() {
  try {
    const db = await getDb();
    await db.execute(sql`select 1`);
    return Response.json({ status: "ok" });
  } catch (err) {
    console.error("[health] database check failed:", err instanceof Error ? err.message : err);
    return Response.json({ status: "unavailable" }, { status: 503 });
  }
}
