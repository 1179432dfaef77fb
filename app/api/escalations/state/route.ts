import { authorizeRoute } from "@/lib/auth/guard";
import { getEscalationStates } from "@/lib/data/escalation-live";
import { getDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * The Escalations page's live state: each grant in view with its phase (active, pending, ended),
 * uses and pick-up, and a signature the page compares to the one it was rendered with. Polled
 * every 2 s; the session is checked on every request, so the polling stops when it ends.
 */
export async function GET(): Promise<Response> {
  const authority = await authorizeRoute("escalations.read");
  if (authority instanceof Response) return authority;
  const feed = await getEscalationStates(await getDb(), authority);
  return Response.json(feed, { headers: { "cache-control": "no-store" } });
}
