import { handleGatewayEscalationRequest } from "@/lib/api/gateway-routes";
import { createRateLimiter, PLATFORM_RATE } from "@/lib/ingest/rate-limit";
import { withDb } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const limiter = createRateLimiter(PLATFORM_RATE);

export function POST(request: Request): Promise<Response> {
  return withDb((db) => handleGatewayEscalationRequest(db, request, { limiter }));
}
