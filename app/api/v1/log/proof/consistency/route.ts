import { handleLogByKey } from "@/lib/api/log-routes";
import { withDb } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return withDb((db) => handleLogByKey(db, request, "consistency"));
}
