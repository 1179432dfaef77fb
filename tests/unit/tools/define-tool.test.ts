import type { Capability } from "@capability-console/sdk/capability";
import {
  createLookupCustomerTool,
  createMemorySink,
  createQueryTableTool,
  createSpawnSubAgentTool,
  defineTool,
  invokeTool,
  type Tool,
  type ToolRuntime,
} from "@capability-console/sdk/tools";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createFixture, type Fixture } from "../capability/fixtures";

const customers = new Map([
  ["c_381", { id: "c_381", name: "Ada", email: "ada@example.com", phone: "555-0100" }],
  ["c_382", { id: "c_382", name: "Bob", email: "bob@example.com" }],
]);
const orders = {
  name: "Order",
  rows: Array.from({ length: 30 }, (_, i) => ({
    id: `o_${i}`,
    customer: i % 2 ? "c_381" : "c_382",
    total: i,
  })),
};

const lookup = createLookupCustomerTool(customers);
const query = createQueryTableTool(orders);

let f: Fixture;
let root: Capability;

function runtime(): ToolRuntime & { sink: ReturnType<typeof createMemorySink> } {
  return {
    clock: f.clock,
    sink: createMemorySink(),
    digestKey: "test-digest-key",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  };
}

beforeAll(async () => {
  f = await createFixture();
  root = await f.mint();
});

describe("defineTool wrapper", () => {
  it("authorizes, runs and records an allowed call in the DESIGN.md event shape", async () => {
    const rt = runtime();
    const input = { id: "c_381", fields: ["name", "email"] };
    const result = await invokeTool(lookup, { input, capability: root, runtime: rt });
    expect(result).toMatchObject({ ok: true, value: { name: "Ada", email: "ada@example.com" } });
    expect(rt.sink.events).toHaveLength(1);
    const event = rt.sink.events[0];
    expect(event).toMatchObject({
      tenant: "acme",
      type: "tool.call",
      principal: "alice@acme.example",
      agent: "alice-assistant/research",
      session: "sess_7Hq2",
      request: "req_91ab",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      tool: "crm.lookup_customer",
      action: "read",
      resource: { type: "Customer", id: "c_381" },
      fields: ["name", "email"],
      outcome: "allowed",
      capability: {
        id: root.id,
        hash: root.hash,
        rootId: root.id,
        depth: 0,
        issuer: "acme-2026-11",
        kind: "minted",
        summary: { principal: "alice@acme.example", tenants: ["acme"], budget: { rows: 100 } },
      },
      latencyMs: 0,
      meta: {},
    });
    expect(event?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event?.ts).toBe(new Date(f.clock.now()).toISOString());
    expect(event?.inputDigest).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(event)).not.toContain("ada@example.com");
    expect(JSON.stringify(event)).not.toContain(root.token);
    expect(Object.keys(event ?? {}).sort()).toEqual(
      [
        "id",
        "ts",
        "tenant",
        "type",
        "principal",
        "agent",
        "session",
        "request",
        "traceId",
        "tool",
        "action",
        "resource",
        "fields",
        "outcome",
        "capability",
        "inputDigest",
        "latencyMs",
        "meta",
      ].sort(),
    );
  });

  it("denies before running, with the failed check's reason", async () => {
    let ran = false;
    const probe = defineTool({
      name: "probe.write_order",
      input: z.object({ id: z.string() }),
      needs: (i) => ({ resource: "Order", action: "write", id: i.id }),
      run: async () => {
        ran = true;
      },
    });
    const rt = runtime();
    const narrowed = root.narrowTo({ resource: "Customer", id: "c_381" });
    const result = await invokeTool(probe, { input: { id: "o_1" }, capability: narrowed, runtime: rt });
    expect(ran).toBe(false);
    expect(result).toMatchObject({ ok: false, outcome: "denied" });
    expect(rt.sink.events[0]).toMatchObject({
      outcome: "denied",
      // Both failures are named: the narrowing's check, and the root's missing write right.
      reason:
        "resource Order#o_1 is not Customer#c_381 (check in block 1); no right grants write on Order#o_1",
      capability: { parentId: root.id, depth: 1, kind: "attenuated" },
    });
  });

  it("records errors and invalid input as outcome error", async () => {
    const rt = runtime();
    const missing = await invokeTool(lookup, { input: { id: "c_999" }, capability: root, runtime: rt });
    expect(missing).toMatchObject({ ok: false, outcome: "error", reason: "customer c_999 not found" });
    const invalid = await invokeTool(lookup, { input: { id: 42 }, capability: root, runtime: rt });
    expect(invalid).toMatchObject({ ok: false, outcome: "error" });
    expect(rt.sink.events.map((e) => e.outcome)).toEqual(["error", "error"]);
  });

  it("a budget smaller than the query limit denies the query", async () => {
    const rt = runtime();
    const capped = root.narrowTo({ budget: { rows: 10 } });
    const ok = await invokeTool(query, {
      input: { where: { customer: "c_381" }, fields: ["id"], limit: 10 },
      capability: capped,
      runtime: rt,
    });
    expect(ok).toMatchObject({ ok: true });
    if (ok.ok) expect(ok.value).toHaveLength(10);
    const tooMany = await invokeTool(query, {
      input: { fields: ["id"], limit: 50 },
      capability: capped,
      runtime: rt,
    });
    expect(tooMany).toMatchObject({
      ok: false,
      outcome: "denied",
      reason: "rows 50 exceeds budget 10 (check in block 1)",
    });
  });

  it("sub-tools get a capability narrowed to exactly what they declared", async () => {
    const seen: Capability[] = [];
    const spy = defineTool({
      name: "crm.spy",
      input: z.object({ id: z.string() }),
      needs: (i) => ({ resource: "Customer", action: "read", id: i.id, fields: ["name"] }),
      run: async (_input, capability) => {
        seen.push(capability);
      },
    });
    const parent = defineTool({
      name: "crm.parent",
      input: z.object({}),
      needs: () => ({ resource: "Customer", action: "read", fields: ["name"] }),
      run: async (_input, _capability, ctx) => ctx.call(spy, { id: "c_382" }),
    });
    const rt = runtime();
    const result = await invokeTool(parent, { input: {}, capability: root, runtime: rt });
    expect(result.ok).toBe(true);
    const sub = seen[0] as Capability;
    expect(sub.parentId).toBe(root.id);
    expect(sub.summary().rights).toEqual([
      { resource: "Customer", actions: ["read"], ids: ["c_382"], fields: ["name"] },
    ]);
    expect(
      sub.authorize({ resource: "Customer", action: "read", id: "c_381", fields: ["name"] }).allowed,
    ).toBe(false);
    expect(rt.sink.events.map((e) => e.tool)).toEqual(["crm.spy", "crm.parent"]);
    expect(new Set(rt.sink.events.map((e) => e.traceId)).size).toBe(1);
  });

  it("a spawned sub-agent can do what it was delegated and nothing else", async () => {
    const tools = new Map<string, Tool<unknown, unknown>>([
      ["crm.lookup_customer", lookup as Tool<unknown, unknown>],
      ["db.query", query as Tool<unknown, unknown>],
    ]);
    const spawn = createSpawnSubAgentTool(tools);
    const rt = runtime();
    const result = await invokeTool(spawn, {
      input: {
        agent: "research-sub",
        delegate: { resource: "Customer", action: "read", id: "c_381", fields: ["name", "email"] },
        ttlMs: 5_000,
        steps: [
          { tool: "crm.lookup_customer", input: { id: "c_381", fields: ["name"] } },
          { tool: "crm.lookup_customer", input: { id: "c_382", fields: ["name"] } },
          { tool: "crm.lookup_customer", input: { id: "c_381", fields: ["phone"] } },
          { tool: "db.query", input: { fields: ["id"], limit: 1 } },
        ],
      },
      capability: root,
      runtime: rt,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.results.map((r) => r.outcome)).toEqual(["allowed", "denied", "denied", "denied"]);
    expect(result.value.results[1]?.reason).toContain("resource Customer#c_382 is not Customer#c_381");
    const subEvents = rt.sink.events.filter((e) => e.meta.subAgent === "research-sub");
    expect(subEvents).toHaveLength(4);
    expect(subEvents.every((e) => e.capability.depth >= 1 && e.capability.rootId === root.id)).toBe(true);
    expect(rt.sink.events.at(-1)).toMatchObject({ tool: "agent.spawn", outcome: "allowed" });
  });
});
