import { handleIntrospect } from "@/lib/api/introspect";
import { toPublicKey } from "@/lib/capability";
import { createRateLimiter, PLATFORM_RATE } from "@/lib/ingest/rate-limit";
import { withDbAndKey } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const limiter = createRateLimiter(PLATFORM_RATE);

export function POST(request: Request): Promise<Response> {
  return withDbAndKey((db, consoleKey) =>
    handleIntrospect(db, request, { consoleKey: toPublicKey(consoleKey), limiter }),
  );
}
