import { createRateLimiter, DEFAULT_RATE } from "@/lib/ingest/rate-limit";
import { handleOtlpTraces } from "@/lib/otlp/handler";
import { withDb } from "@/lib/server/with-db";

// One bucket set for both paths, per server process: the bare path and /v1/traces are one door.
const limiter = createRateLimiter(DEFAULT_RATE);

/** Both OTLP paths: a database that cannot be opened is a 503 with Retry-After (exporters retry). */
export async function postTraces(request: Request): Promise<Response> {
  const response = await withDb((db) => handleOtlpTraces(db, request, { limiter }));
  if (response.status === 503 && !response.headers.has("retry-after"))
    response.headers.set("retry-after", "5");
  return response;
}
