/**
 * The MCP capability gateway (docs/gateway.md): an MCP server over Streamable HTTP in front of
 * upstream MCP servers, enforcing the console's tool rules with capabilities, per-call
 * narrowing, step-up escalations and revocations, and recording every decision.
 * Needs the optional peer dependency `@modelcontextprotocol/sdk`.
 */
export type { ExposedTool, GatewayDeps } from "./calls.js";
export { GatewaySession } from "./calls.js";
export {
  type GatewayConfig,
  GatewayConfigError,
  gatewayConfigFileSchema,
  type HttpUpstreamConfig,
  loadGatewayConfig,
  parseGatewayConfig,
  type StdioUpstreamConfig,
  type ToolDeclaration,
  toolDeclarationSchema,
  type UpstreamConfig,
} from "./config.js";
export { ConsoleConfigFollower, type Identity } from "./console-config.js";
export { type GatewayDecision, type GatewayDecisionMeta, type GatewayMeta, gatewayEvent } from "./events.js";
export { type GrantUse, SessionGrants } from "./grants.js";
export { type LoadedIssuerKey, loadOrCreateIssuerKey } from "./issuer-key.js";
export { capabilityOperation, type NarrowedEntry, Narrowings } from "./narrowing.js";
export {
  argumentAt,
  argumentDigest,
  capabilityResourceId,
  evaluatePolicy,
  globMatch,
  globToRegExp,
  LIST_RIGHT,
  operationFor,
  type PolicyDecision,
  rightsFor,
  rulesForTool,
  subjectMatches,
  toolPatternMatches,
} from "./policy.js";
export { followRevocationStream } from "./revocation-stream.js";
export { runGateway } from "./run.js";
export {
  GATEWAY_VERSION,
  GatewayCredentialError,
  type RunningGateway,
  type RunningStdioGateway,
  type StartGatewayOptions,
  type StartStdioGatewayOptions,
  startGateway,
  startStdioGateway,
} from "./server.js";
export { Upstream, UpstreamError } from "./upstream.js";
