import { handleLogInConsole } from "@/lib/api/log-routes";
import { authorizeRoute } from "@/lib/auth/guard";
import { withDb } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const authority = await authorizeRoute("log.read");
  if (authority instanceof Response) return authority;
  return withDb((db) => handleLogInConsole(db, authority, request, "checkpoint"));
}
