// The event sender lives in the SDK package (packages/sdk/src/client/event-sender.ts).
export {
  EventSender,
  type EventSenderOptions,
  IngestRejectedError,
  type SenderEvent,
  type SendReport,
} from "@capability-console/sdk/client";
