import { authorizeRoute } from "@/lib/auth/guard";
import { evidenceExportResponse } from "@/lib/evidence/bundle";
import { evidenceProofSource } from "@/lib/evidence/server";
import { getDb } from "@/lib/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** GET /evidence/export?kind=query&q=…|kind=request&id=…|kind=capability&id=…[&tenant=…]: one bundle file. */
export async function GET(request: Request): Promise<Response> {
  const authority = await authorizeRoute("evidence.export");
  if (authority instanceof Response) return authority;
  const db = await getDb();
  return evidenceExportResponse(db, authority, new URL(request.url).searchParams, {
    proofs: evidenceProofSource(db),
  });
}
