import {
  CAPABILITY_KINDS,
  type EventV1,
  eventSchema,
  type IngestResponse,
  ingestRequestSchema,
  ingestResponseSchema,
  OUTCOMES,
  type RevocationFeedPage,
  revocationFeedPageSchema,
  type ToolCallEvent,
} from "@capability-console/sdk";
import { describe, expect, expectTypeOf, it } from "vitest";
import { capabilityKindEnum, outcomeEnum } from "@/db/schema";
import type { StoreResult } from "@/lib/ingest/store";

// The SDK's wire schemas are the one definition both sides use; where the console keeps its own
// type or enum (the database's), it must be the same thing.

describe("the SDK's wire schemas and the console", () => {
  it("use the database's enums for outcomes and capability kinds", () => {
    expect([...OUTCOMES]).toEqual(outcomeEnum.enumValues);
    expect([...CAPABILITY_KINDS]).toEqual(capabilityKindEnum.enumValues);
  });

  it("type the events the tool wrapper records as v1 events, and the console's answers as the wire's", () => {
    expectTypeOf<ToolCallEvent>().toExtend<EventV1>();
    expectTypeOf<StoreResult>().toEqualTypeOf<IngestResponse>();
    expectTypeOf<RevocationFeedPage["revocations"][number]["kind"]>().toEqualTypeOf<
      "session" | "capability" | "principal" | "escalation"
    >();
  });

  it("accept a batch the console accepts, and name the field of a bad event", () => {
    const event: EventV1 = {
      id: "0190B0A0-0000-7000-8000-000000000000",
      ts: "2026-12-01T10:00:00+01:00",
      tenant: "acme",
      type: "agent.message",
      outcome: "allowed",
    };
    const parsed = ingestRequestSchema.parse({ events: [event] });
    expect(parsed.events[0]?.id).toBe("0190b0a0-0000-7000-8000-000000000000");
    expect(parsed.events[0]?.ts.toISOString()).toBe("2026-12-01T09:00:00.000Z");
    const bad = eventSchema.safeParse({ ...event, outcome: "maybe" });
    expect(bad.success ? [] : bad.error.issues.map((i) => i.path.join("."))).toEqual(["outcome"]);
    expect(
      ingestResponseSchema.parse({
        accepted: 1,
        duplicates: 0,
        conflicts: 0,
        results: [{ id: "x", status: "created" }],
      }).accepted,
    ).toBe(1);
    expect(revocationFeedPageSchema.safeParse({ revocations: [], next: 0 }).success).toBe(true);
    expect(revocationFeedPageSchema.safeParse({ revocations: [{ cursor: 1 }], next: 1 }).success).toBe(false);
  });
});
