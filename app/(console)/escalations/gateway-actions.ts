"use server";

import { defineAction } from "@/lib/actions/pipeline";
import {
  dismissGatewayEscalationRequest,
  dismissGatewayRequestSchema,
  gatewayRequestIdSchema,
  grantGatewayEscalationRequest,
} from "@/lib/data/gateway-requests";
import { getConsoleKey } from "@/lib/server/issuer-key";

// "Requested by agents" on the Escalations page (issue 14): an MCP gateway's refused calls.
// Granting issues an ordinary escalation (delivery platform, single use, 60 s): the tenant's
// two-person rule and the recent sign-in apply as to any escalation.

export const grantGatewayRequestAction = defineAction({
  permission: "escalations.issue",
  schema: gatewayRequestIdSchema,
  what: "grant the request",
  read: (raw: { id: string }) => raw,
  run: ({ db, authority, input }) =>
    grantGatewayEscalationRequest(db, authority, input, { consoleKey: getConsoleKey() }),
  revalidate: ["/escalations"],
});

export const dismissGatewayRequestAction = defineAction({
  permission: "escalations.issue",
  schema: dismissGatewayRequestSchema,
  what: "dismiss the request",
  read: (raw: { id: string; reason?: string }) => raw,
  run: ({ db, authority, input }) => dismissGatewayEscalationRequest(db, authority, input),
  revalidate: ["/escalations"],
});
