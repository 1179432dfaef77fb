import { handleEscalationUse } from "@/lib/api/escalation-routes";
import { createRateLimiter, PLATFORM_RATE } from "@/lib/ingest/rate-limit";
import { withDb } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The escalation id is read from the URL by the handler, which validates it.
const limiter = createRateLimiter(PLATFORM_RATE);

export function POST(request: Request): Promise<Response> {
  return withDb((db) => handleEscalationUse(db, request, { limiter }));
}
