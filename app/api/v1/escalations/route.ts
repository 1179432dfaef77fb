import { handleEscalationPickup } from "@/lib/api/escalation-routes";
import { createRateLimiter, PLATFORM_RATE } from "@/lib/ingest/rate-limit";
import { withDbAndKey } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// One bucket set per server process, per API key (a platform polls once a second per session).
const limiter = createRateLimiter(PLATFORM_RATE);

export function GET(request: Request): Promise<Response> {
  return withDbAndKey((db, consoleKey) => handleEscalationPickup(db, request, { consoleKey, limiter }));
}
