import type { Db } from "@/db/client";
import type { Authority } from "@/lib/auth/authority";
import { addGatewayRule, gatewayRuleInputSchema, issueGatewayClient } from "@/lib/data/gateway";
import { createGatewayEscalationRequest } from "@/lib/data/gateway-requests";
import type { ActionEntry, Caller, MatrixFixtures, RouteEntry } from "./authz-registry";

// The MCP gateway's entries of the authorization matrix (issue 14): its console actions and its
// three API-key routes, with the acme fixtures they aim at.

export interface GatewayMatrixFixtures {
  clientId: string;
  /** Revoked by the admin's entry. */
  revokeClientId: string;
  ruleId: string;
  deleteRuleId: string;
  /** Open escalation requests: one the GET and idempotent POST read, one to grant, one to dismiss. */
  requestId: string;
  grantRequestId: string;
  dismissRequestId: string;
}

const DIGEST = `hmac-sha256:${"7".repeat(64)}`;
export const GATEWAY_SESSION = "acme-sess-gateway";
export const gatewayOperation = (resourceId: string) => ({
  tool: "fs.write_file",
  resourceType: "File",
  resourceId,
  action: "write",
  argDigest: DIGEST,
});

export const gatewayRequestBody = (clientId: string, resourceId: string) => ({
  client: clientId,
  principal: "alice@acme.example",
  agent: "acme-agent",
  session: GATEWAY_SESSION,
  operation: gatewayOperation(resourceId),
  missing: "no rule allows fs.write_file",
  deniedEvent: "acme-denied-event",
});

export async function createGatewayMatrixFixtures(db: Db, admin: Authority): Promise<GatewayMatrixFixtures> {
  const client = (name: string) =>
    issueGatewayClient(db, admin, {
      tenant: "acme",
      name,
      principal: "alice@acme.example",
      agent: "acme-agent",
      groups: ["acme-group"],
    });
  const rule = () =>
    addGatewayRule(
      db,
      admin,
      gatewayRuleInputSchema.parse({
        tenant: "acme",
        subjectKind: "agent",
        subjectValue: "acme-agent",
        tool: "fs.*",
      }),
    );
  const main = await client("acme gateway client");
  const ask = async (path: string) =>
    (
      await createGatewayEscalationRequest(
        db,
        { tenant: "acme", source: "fixture" },
        gatewayRequestBody(main.id, path),
      )
    ).response.id;
  return {
    clientId: main.id,
    revokeClientId: (await client("acme client to revoke")).id,
    ruleId: (await rule()).id,
    deleteRuleId: (await rule()).id,
    requestId: await ask("/acme/read-me"),
    grantRequestId: await ask("/acme/grant me.txt"),
    dismissRequestId: await ask("/acme/dismiss-me"),
  };
}

export const gatewayMarkers = (g: GatewayMatrixFixtures) => Object.values(g);

type KeyRequest = (f: MatrixFixtures, caller: Caller, path: string, body?: unknown) => Request;

export function gatewayRouteEntries(keyRequest: KeyRequest): RouteEntry[] {
  return [
    {
      kind: "route",
      file: "app/api/v1/gateway/config/route.ts",
      readOnly: true,
      method: "GET",
      auth: "apiKey",
      request: (f, c) => keyRequest(f, c, "/api/v1/gateway/config"),
      shows: (f) => f.gateway.clientId,
    },
    {
      kind: "route",
      // The acme key asks again for its open request: 200 with the same id, nothing written.
      file: "app/api/v1/gateway/escalation-requests/route.ts",
      readOnly: true,
      method: "POST",
      auth: "apiKey",
      foreign: "refused",
      request: (f, c) =>
        keyRequest(
          f,
          c,
          "/api/v1/gateway/escalation-requests",
          gatewayRequestBody(f.gateway.clientId, "/acme/read-me"),
        ),
      shows: (f) => f.gateway.requestId,
    },
    {
      kind: "route",
      file: "app/api/v1/gateway/escalation-requests/[id]/route.ts",
      readOnly: true,
      method: "GET",
      auth: "apiKey",
      foreign: "refused",
      request: (f, c) => keyRequest(f, c, `/api/v1/gateway/escalation-requests/${f.gateway.requestId}`),
      context: (f) => ({ params: Promise.resolve({ id: f.gateway.requestId }) }),
      shows: (f) => f.gateway.requestId,
    },
  ];
}

export function gatewayActionEntries(): ActionEntry[] {
  return [];
}
