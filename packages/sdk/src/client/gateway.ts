// The MCP gateway's client of the console (issue 14; docs/gateway.md): the config document
// (clients and tool rules, polled with an ETag) and escalation requests for refused calls.
import {
  type GatewayConfigResponse,
  type GatewayEscalationRequest,
  type GatewayEscalationRequestResponse,
  gatewayConfigResponseSchema,
  gatewayEscalationRequestResponseSchema,
} from "../schema/gateway.js";
import { type ConsoleClientOptions, consoleRequest, parseBody } from "./console-client.js";

export class GatewayClientError extends Error {
  override name = "GatewayClientError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function errorOf(res: Response, what: string): Promise<GatewayClientError> {
  const body = (await res.json().catch(() => null)) as { error?: string } | null;
  return new GatewayClientError(`${what}: ${res.status} ${body?.error ?? res.statusText}`, res.status);
}

export type GatewayConfigFetch =
  | { notModified: true }
  | { notModified: false; etag: string; config: GatewayConfigResponse };

/** The tenant's gateway config; with `etag` (from the previous answer) a 304 says nothing changed. */
export async function fetchGatewayConfig(
  o: ConsoleClientOptions,
  etag?: string,
): Promise<GatewayConfigFetch> {
  const res = await consoleRequest(
    o,
    "/api/v1/gateway/config",
    etag ? { headers: { "if-none-match": etag } } : {},
  );
  if (res.status === 304) return { notModified: true };
  if (!res.ok) throw await errorOf(res, "gateway config");
  const config = await parseBody(res, gatewayConfigResponseSchema, "gateway config");
  return { notModified: false, etag: res.headers.get("etag") ?? `"${config.version}"`, config };
}

/** Asks the console for an escalation of exactly `req.operation` (idempotent per session and operation). */
export async function requestGatewayEscalation(
  o: ConsoleClientOptions,
  req: GatewayEscalationRequest,
): Promise<GatewayEscalationRequestResponse> {
  const res = await consoleRequest(o, "/api/v1/gateway/escalation-requests", {
    method: "POST",
    body: JSON.stringify(req),
  });
  if (!res.ok) throw await errorOf(res, "escalation request");
  return parseBody(res, gatewayEscalationRequestResponseSchema, "escalation request");
}

export async function getGatewayEscalationRequest(
  o: ConsoleClientOptions,
  id: string,
): Promise<GatewayEscalationRequestResponse> {
  const res = await consoleRequest(o, `/api/v1/gateway/escalation-requests/${encodeURIComponent(id)}`);
  if (!res.ok) throw await errorOf(res, "escalation request");
  return parseBody(res, gatewayEscalationRequestResponseSchema, "escalation request");
}
