import { handleEscalationPickup } from "@/lib/api/escalation-routes";
import { getDb } from "@/lib/server/db";
import { getConsoleKey } from "@/lib/server/issuer-key";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  let db: Awaited<ReturnType<typeof getDb>>;
  let consoleKey: ReturnType<typeof getConsoleKey>;
  try {
    db = await getDb();
    consoleKey = getConsoleKey();
  } catch (err) {
    console.error("[api] not ready:", err instanceof Error ? err.message : err);
    return Response.json({ error: "the console is not ready; retry later" }, { status: 503 });
  }
  return handleEscalationPickup(db, request, { consoleKey });
}
