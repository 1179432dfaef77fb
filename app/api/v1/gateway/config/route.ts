import { handleGatewayConfig } from "@/lib/api/gateway-routes";
import { createRateLimiter, PLATFORM_RATE } from "@/lib/ingest/rate-limit";
import { withDb } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// A gateway polls this twice a second (304 when unchanged): well inside the platform rate.
const limiter = createRateLimiter(PLATFORM_RATE);

export function GET(request: Request): Promise<Response> {
  return withDb((db) => handleGatewayConfig(db, request, { limiter }));
}
