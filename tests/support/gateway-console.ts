import { serveHandler } from "@/bench/http-server";
import type { Db } from "@/db/client";
import { handleEscalationPickup, handleEscalationUse } from "@/lib/api/escalation-routes";
import {
  handleGatewayConfig,
  handleGatewayEscalationRequest,
  handleGatewayEscalationRequestStatus,
} from "@/lib/api/gateway-routes";
import type { Clock, IssuerKeyPair } from "@/lib/capability";

// The console's gateway API and the platform escalation routes, served over real HTTP on a local
// port (as Next serves them), for the SDK's gateway and escalation clients in tests.

export async function serveGatewayApi(args: { db: () => Db; clock: Clock; consoleKey: IssuerKeyPair }) {
  const deps = { clock: args.clock, consoleKey: args.consoleKey };
  const route = (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const db = args.db();
    if (path === "/api/v1/gateway/config" && request.method === "GET")
      return handleGatewayConfig(db, request, deps);
    if (path === "/api/v1/gateway/escalation-requests" && request.method === "POST")
      return handleGatewayEscalationRequest(db, request, deps);
    if (/^\/api\/v1\/gateway\/escalation-requests\/[^/]+$/.test(path) && request.method === "GET")
      return handleGatewayEscalationRequestStatus(db, request, deps);
    if (path === "/api/v1/escalations" && request.method === "GET")
      return handleEscalationPickup(db, request, deps);
    if (/^\/api\/v1\/escalations\/[^/]+\/use$/.test(path) && request.method === "POST")
      return handleEscalationUse(db, request, deps);
    return Promise.resolve(new Response("not found", { status: 404 }));
  };
  return serveHandler(route);
}
