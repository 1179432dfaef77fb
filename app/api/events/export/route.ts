import { authorizeRoute } from "@/lib/auth/guard";
import { exportResponse } from "@/lib/data/events-export";
import { getDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const authority = await authorizeRoute("events.read");
  if (authority instanceof Response) return authority;
  return exportResponse(await getDb(), authority, new URL(request.url).searchParams);
}
