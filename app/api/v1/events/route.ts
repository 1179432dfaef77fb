import { createRateLimiter, DEFAULT_RATE, handleIngest } from "@/lib/ingest";
import { withDb } from "@/lib/server/with-db";

// node:crypto, pg and PGlite: not the edge runtime.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// One bucket set per server process (see docs/ingest.md on what that means behind a balancer).
const limiter = createRateLimiter(DEFAULT_RATE);

export function POST(request: Request): Promise<Response> {
  return withDb((db) => handleIngest(db, request, { limiter }));
}
