import { createRateLimiter, DEFAULT_RATE, handleIngest } from "@/lib/ingest";
import { getConsoleKey } from "@/lib/server/issuer-key";
import { withDb } from "@/lib/server/with-db";

// node:crypto, pg and PGlite: not the edge runtime.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// One bucket set per server process (see docs/ingest.md on what that means behind a balancer).
const limiter = createRateLimiter(DEFAULT_RATE);

export function POST(request: Request): Promise<Response> {
  return withDb(async (db) => {
    let signer: ReturnType<typeof getConsoleKey>;
    try {
      signer = getConsoleKey();
    } catch (err) {
      console.error("[ingest] console key unavailable:", err instanceof Error ? err.message : err);
      return Response.json({ error: "the console is not ready; retry later" }, { status: 503 });
    }
    return handleIngest(db, request, { signer, limiter });
  });
}
