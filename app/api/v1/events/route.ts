import { createRateLimiter, DEFAULT_RATE, handleIngest } from "@/lib/ingest";
import { getDb } from "@/lib/server/db";
import { getConsoleKey } from "@/lib/server/issuer-key";

// node:crypto, pg and PGlite: not the edge runtime.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// One bucket set per server process (see docs/ingest.md on what that means behind a balancer).
const limiter = createRateLimiter(DEFAULT_RATE);

export async function POST(request: Request): Promise<Response> {
  let db: Awaited<ReturnType<typeof getDb>>;
  let signer: ReturnType<typeof getConsoleKey>;
  try {
    db = await getDb();
    signer = getConsoleKey();
  } catch (err) {
    console.error("[ingest] not ready:", err);
    return Response.json({ error: "the console is not ready; retry later" }, { status: 503 });
  }
  return handleIngest(db, request, { signer, limiter });
}
