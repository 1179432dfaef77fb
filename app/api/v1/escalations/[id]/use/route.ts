import { handleEscalationUse } from "@/lib/api/escalation-routes";
import { getDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The escalation id is read from the URL by the handler, which validates it.
export async function POST(request: Request): Promise<Response> {
  let db: Awaited<ReturnType<typeof getDb>>;
  try {
    db = await getDb();
  } catch (err) {
    console.error("[api] database not ready:", err instanceof Error ? err.message : err);
    return Response.json({ error: "the console is not ready; retry later" }, { status: 503 });
  }
  return handleEscalationUse(db, request);
}
