/** The agent platform's client of the console: event sender, platform verifier, escalations. */
export {
  type ConsoleClientOptions,
  consoleRequest,
  DEFAULT_TIMEOUT_MS,
  UnexpectedResponseError,
} from "./console-client.js";
export {
  EscalationClientError,
  type EscalationClientOptions,
  pickUpEscalations,
  useEscalation,
} from "./escalations.js";
export {
  EventSender,
  type EventSenderOptions,
  IngestRejectedError,
  type SenderEvent,
  type SendReport,
} from "./event-sender.js";
export {
  fetchGatewayConfig,
  GatewayClientError,
  type GatewayConfigFetch,
  getGatewayEscalationRequest,
  requestGatewayEscalation,
} from "./gateway.js";
export {
  applyRevocation,
  createPlatformVerifier,
  fetchKeys,
  fetchRevocations,
  type PlatformVerifier,
  RevocationFollower,
} from "./platform.js";
