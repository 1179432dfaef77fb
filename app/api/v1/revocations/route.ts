import { handleRevocations } from "@/lib/api/verifier-routes";
import { getDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  let db: Awaited<ReturnType<typeof getDb>>;
  try {
    db = await getDb();
  } catch (err) {
    console.error("[api] database not ready:", err instanceof Error ? err.message : err);
    return Response.json({ error: "the console is not ready; retry later" }, { status: 503 });
  }
  return handleRevocations(db, request);
}
