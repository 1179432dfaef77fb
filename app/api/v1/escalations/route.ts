import { handleEscalationPickup } from "@/lib/api/escalation-routes";
import { withDbAndKey } from "@/lib/server/with-db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  return withDbAndKey((db, consoleKey) => handleEscalationPickup(db, request, { consoleKey }));
}
