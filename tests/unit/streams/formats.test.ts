import { describe, expect, it } from "vitest";
import { capabilityScopes, type StreamEvent, toEcs, toEventV1, toOcsf } from "@/lib/streams/formats";
import { buildRequests } from "@/lib/streams/sinks";
import { newWebhookKeys, verifyWebhook } from "@/lib/streams/webhook-signature";
import { validateOcsf } from "../../support/ocsf-validate";

const TS = new Date("2026-12-01T03:04:05.678Z");

function ev(
  over: Partial<StreamEvent["event"]> = {},
  capability: StreamEvent["capability"] = null,
): StreamEvent {
  return {
    event: {
      id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      ts: TS,
      receivedAt: new Date(TS.getTime() + 20),
      tenant: "acme",
      type: "tool.call",
      principal: "alice@acme.example",
      agent: "support-bot",
      session: "s-1",
      request: "r-1",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      tool: "orders.update_status",
      action: "write",
      resourceType: "Order",
      resourceId: "o-5013",
      fields: ["status"],
      outcome: "denied",
      reason: "no write right on Order",
      capabilityId: "c0ffee",
      capabilityHash: `sha256:${"a".repeat(64)}`,
      inputDigest: `hmac-sha256:${"b".repeat(64)}`,
      latencyMs: 12,
      cost: null,
      meta: {},
      seq: 42,
      tier: "attested",
      ...over,
    },
    capability,
  };
}

const CAP: NonNullable<StreamEvent["capability"]> = {
  id: "c0ffee",
  parentId: "beef01",
  rootId: "root00",
  depth: 2,
  issuerKid: "acme-2026-11",
  issuedAt: new Date(TS.getTime() - 1000),
  expiresAt: new Date(TS.getTime() + 60_000),
  summary: {
    rights: [
      { resource: "Order", actions: ["read"], ids: ["o-5013"] },
      { resource: "Customer", actions: ["read", "list"], fields: ["name"] },
    ],
  },
};

describe("OCSF 1.7.0 output", () => {
  it("a denied tool call is a valid API Activity with the capability lineage as delegation", () => {
    const out = toOcsf(ev({}, CAP));
    expect(validateOcsf(out)).toEqual([]);
    expect(out).toMatchObject({
      class_uid: 6003,
      activity_id: 3,
      status_id: 2,
      status_detail: "no write right on Order",
      actor: { user: { uid: "alice@acme.example" }, session: { uid: "s-1" } },
      delegation: {
        uid: "c0ffee",
        parent_uid: "beef01",
        issuer_uid: "acme-2026-11",
        expiration_time: TS.getTime() + 60_000,
        scopes: ["read:Order/o-5013", "read:Customer#name", "list:Customer#name"],
      },
    });
  });

  it("an observed, uncovered call is labelled so in every format", () => {
    const observed = ev({ tier: "observed", capabilityId: null, capabilityHash: null });
    expect(validateOcsf(toOcsf(observed))).toEqual([]);
    expect(toOcsf(observed)).toMatchObject({
      metadata: { labels: ["observed", "uncovered"] },
      unmapped: { tier: "observed" },
    });
    expect(toEcs(observed)).toMatchObject({
      labels: { tier: "observed" },
      capcon: { tier: "observed", uncovered: true },
    });
    expect(toEventV1(observed)).toMatchObject({ tier: "observed", capability: null });
    expect(toOcsf(ev({}, CAP))).toMatchObject({ metadata: { labels: ["attested"] } });
  });

  it("every event type the console writes maps to a valid class", () => {
    const types = [
      "tool.call",
      "escalation.issued",
      "escalation.expired",
      "session.revoked",
      "principal.revoked",
      "console.login",
      "capability.minted",
    ];
    for (const type of types) {
      for (const outcome of ["allowed", "denied", "error"] as const) {
        const out = toOcsf(
          ev(
            { type, outcome, action: type === "tool.call" ? "read" : null },
            type === "console.login" ? null : CAP,
          ),
        );
        expect({ type, errors: validateOcsf(out) }).toEqual({ type, errors: [] });
      }
    }
    expect(toOcsf(ev({ type: "escalation.issued" }, CAP))).toMatchObject({ class_uid: 3005, activity_id: 1 });
    expect(toOcsf(ev({ type: "session.revoked" }))).toMatchObject({ class_uid: 3005, activity_id: 2 });
  });

  it("the validator refuses what the schema forbids (it can fail)", () => {
    const good = toOcsf(ev({}, CAP));
    const { actor: _drop, ...noActor } = good;
    expect(validateOcsf(noActor)).toContain("actor: required");
    expect(validateOcsf({ ...good, severity_id: 42 })).toEqual([
      expect.stringMatching(/^severity_id: 42 is not one of/),
    ]);
    expect(validateOcsf({ ...good, time: TS.toISOString() })).toEqual([
      expect.stringMatching(/^time: must be an integer/),
    ]);
    expect(validateOcsf({ ...good, capability: "x" })).toEqual([
      "capability: not an attribute of this class",
    ]);
    expect(validateOcsf({ ...good, delegation: { parent_uid: "p" } })).toContain("delegation.uid: required");
    expect(validateOcsf({ ...good, type_uid: 600301 })).toContain(
      "type_uid: must be class_uid * 100 + activity_id",
    );
  });
});

describe("ECS and event v1", () => {
  it("ECS carries the outcome, the ids and the lineage under capcon", () => {
    const out = toEcs(ev({}, CAP));
    expect(out).toMatchObject({
      "@timestamp": TS.toISOString(),
      event: {
        id: ev().event.id,
        outcome: "failure",
        reason: "no write right on Order",
        duration: 12_000_000,
      },
      user: { id: "alice@acme.example" },
      trace: { id: "4bf92f3577b34da6a3ce929d0e0e4736" },
      capcon: { capability: { id: "c0ffee", parent_id: "beef01", depth: 2 } },
    });
  });
  it("event v1 is the ingest shape plus seq, never raw input", () => {
    const out = toEventV1(ev({}, CAP));
    expect(out).toMatchObject({
      id: ev().event.id,
      seq: 42,
      resource: { type: "Order", id: "o-5013" },
      capability: { id: "c0ffee", parentId: "beef01" },
    });
    expect(JSON.stringify(out)).not.toMatch(/"input"/);
  });
  it("an alert's detail is its full title from meta, which its reason leaves out when it names the person", () => {
    const title = "Calls per principal — principal alice@acme.example: tool.call crm.lookup";
    const alert = ev({
      type: "console.alert.opened",
      outcome: "allowed",
      reason: "Calls per principal",
      meta: { rule: "Calls per principal", title },
    });
    expect(toOcsf(alert).status_detail).toBe(title);
    expect((toEcs(alert).event as Record<string, unknown>).reason).toBe(title);
    // Erased, the meta is empty: the reason is all that is left. Other events keep their reason.
    const erased = ev({ type: "console.alert.opened", reason: "Calls per principal", meta: {} });
    expect(toOcsf(erased).status_detail).toBe("Calls per principal");
    expect(toOcsf(ev({ meta: { title } })).status_detail).toBe("no write right on Order");
  });

  it("scopes ignore malformed rights", () => {
    expect(
      capabilityScopes({ rights: [null, "x", { resource: 1 }, { resource: "A", actions: ["r"] }] }),
    ).toEqual(["r:A"]);
  });
});

describe("sinks", () => {
  it("a webhook request per event, signed, the event id as webhook-id", () => {
    const keys = newWebhookKeys("v1a");
    const reqs = buildRequests(
      { kind: "webhook", format: "ocsf", signing: "v1a", secret: keys.secret },
      [ev(), ev({ id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", seq: 43 })],
      1_764_558_245,
    );
    expect(reqs).toHaveLength(2);
    expect(reqs[1]?.headers["webhook-id"]).toBe("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c");
    for (const r of reqs)
      expect(
        verifyWebhook({
          verifyKey: keys.verifyKey,
          headers: r.headers,
          body: r.body,
          nowSeconds: 1_764_558_245,
        }),
      ).toBe(true);
  });
  it("Splunk HEC batches with the token; JSON Lines batches with an idempotency key", () => {
    const [hec] = buildRequests(
      { kind: "splunk_hec", format: "ecs", signing: null, secret: "tok-123" },
      [ev(), ev({ seq: 43 })],
      0,
    );
    expect(hec?.headers.authorization).toBe("Splunk tok-123");
    const lines = hec?.body.split("\n").map((l) => JSON.parse(l));
    expect(lines?.[0]).toMatchObject({
      sourcetype: "capcon:ecs",
      fields: { event_id: ev().event.id },
      time: TS.getTime() / 1000,
    });
    const [jl] = buildRequests(
      { kind: "jsonl", format: "event_v1", signing: null, secret: "" },
      [ev(), ev({ seq: 43 })],
      0,
    );
    expect(jl?.headers["idempotency-key"]).toBe("acme:42-43");
    expect(jl?.headers.authorization).toBeUndefined();
    expect(jl?.body.trim().split("\n")).toHaveLength(2);
  });
});
