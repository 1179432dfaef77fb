import { authorizeRoute } from "@/lib/auth/guard";
import { liveTail } from "@/lib/data/events-tail";
import { getDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Live tail: new events matching ?q=, as server-sent events, within the viewer's role and scope. */
export async function GET(request: Request): Promise<Response> {
  const authority = await authorizeRoute("events.read");
  if (authority instanceof Response) return authority;
  const q = new URL(request.url).searchParams.get("q") ?? "";
  return liveTail(await getDb(), authority, q, { signal: request.signal });
}
