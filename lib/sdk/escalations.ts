// The escalation client lives in the SDK package (packages/sdk/src/client/escalations.ts).
export {
  EscalationClientError,
  type EscalationClientOptions,
  type EscalationOperation,
  type EscalationUseDecision,
  type PickedUpEscalation,
  pickUpEscalations,
  useEscalation,
} from "@capability-console/sdk";
