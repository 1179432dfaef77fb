import { authorizeRoute } from "@/lib/auth/guard";
import { exportResponse } from "@/lib/data/events-export";
import { getDb, getReadDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const authority = await authorizeRoute("events.read");
  if (authority instanceof Response) return authority;
  // Rows from the replica when there is one (db/replica.ts); the audit record goes to the primary.
  return exportResponse(await getDb(), authority, new URL(request.url).searchParams, {
    read: await getReadDb("events.export"),
  });
}
