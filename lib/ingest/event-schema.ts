// The v1 event's one definition lives in the SDK package (packages/sdk/src/schema/event.ts),
// shared by the console's ingest and the platforms that send events.
export {
  boundedJson,
  capabilitySchema,
  eventIdSchema,
  eventSchema,
  type IngestCapability,
  type IngestEvent,
  LIMITS,
} from "@capability-console/sdk/schema";
