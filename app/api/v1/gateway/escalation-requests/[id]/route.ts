import { handleGatewayEscalationRequestStatus } from "@/lib/api/gateway-routes";
import { createRateLimiter, PLATFORM_RATE } from "@/lib/ingest/rate-limit";
import { withDb } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The request id is read from the URL by the handler, which validates it.
const limiter = createRateLimiter(PLATFORM_RATE);

export function GET(request: Request): Promise<Response> {
  return withDb((db) => handleGatewayEscalationRequestStatus(db, request, { limiter }));
}
