import { describe, expect, it } from "vitest";
import { buildDerivationGraph, type GraphCapabilityInput } from "@/lib/graph/build";
import { describeNarrowing } from "@/lib/graph/narrowing";

const root: GraphCapabilityInput = {
  id: "r",
  parentId: null,
  kind: "minted",
  agent: "alice-assistant",
  principal: "alice@acme.example",
  request: "req_1",
  depth: 0,
  expiresAt: "2026-11-26T10:15:00.000Z",
  summary: {
    rights: [
      { resource: "Customer", actions: ["read"], fields: ["name", "email", "tier"] },
      { resource: "Order", actions: ["read", "write"] },
    ],
    budget: { rows: 500 },
  },
};

const child = (over: Partial<GraphCapabilityInput>): GraphCapabilityInput => ({
  ...root,
  kind: "attenuated",
  parentId: "r",
  depth: 1,
  ...over,
});

describe("describeNarrowing", () => {
  it("names each dimension a step took away", () => {
    const research = child({
      id: "a",
      expiresAt: "2026-11-26T10:05:00.000Z",
      summary: {
        rights: [{ resource: "Customer", actions: ["read"], ids: ["c_1", "c_2"], fields: ["name"] }],
        budget: { rows: 10 },
      },
    });
    expect(describeNarrowing(root, research)).toEqual([
      "only Customer",
      "Customer ids c_1, c_2",
      "fields name",
      "rows ≤ 10",
      "expires 10m sooner",
    ]);
  });

  it("names dropped actions and says nothing when nothing narrowed", () => {
    const reader = child({
      id: "b",
      summary: {
        rights: [{ resource: "Order", actions: ["read"] }, root.summary.rights?.[0] as never],
        budget: { rows: 500 },
      },
    });
    expect(describeNarrowing(root, reader)).toEqual(["Order: read only"]);
    expect(describeNarrowing(root, child({ id: "c" }))).toEqual([]);
  });
});

describe("buildDerivationGraph", () => {
  const caps = [
    root,
    child({ id: "a", summary: { rights: [{ resource: "Customer", actions: ["read"] }] } }),
    child({
      id: "a1",
      parentId: "a",
      depth: 2,
      summary: { rights: [{ resource: "Customer", actions: ["read"], ids: ["c_1"] }] },
    }),
    child({ id: "esc", parentId: null, kind: "escalation", depth: 0 }),
    child({ id: "orphan", parentId: "missing", depth: 3 }),
  ];
  const calls = [
    {
      id: "e1",
      capabilityId: "a1",
      tool: "crm.lookup_customer",
      outcome: "allowed" as const,
      reason: null,
      ts: "2026-11-26T10:01:00Z",
    },
    {
      id: "e2",
      capabilityId: "a1",
      tool: "crm.lookup_customer",
      outcome: "denied" as const,
      reason: "resource Customer#c_9 is not Customer#c_1",
      ts: "2026-11-26T10:02:00Z",
    },
    {
      id: "e3",
      capabilityId: "elsewhere",
      tool: "x",
      outcome: "allowed" as const,
      reason: null,
      ts: "2026-11-26T10:03:00Z",
    },
  ];
  const g = buildDerivationGraph(caps, calls);

  it("links each capability to its parent with what the step narrowed", () => {
    expect(g.edges.map((e) => [e.source, e.target])).toEqual([
      ["r", "a"],
      ["a", "a1"],
    ]);
    expect(g.edges.find((e) => e.target === "a1")?.label).toBe("Customer ids c_1");
  });

  it("hangs calls on the capability that authorized them, denied first, and counts descendants", () => {
    const a1 = g.nodes.find((n) => n.id === "a1");
    expect(a1?.calls).toEqual({ allowed: 1, denied: 1, error: 0 });
    expect(a1?.shownCalls.map((c) => c.outcome)).toEqual(["denied", "allowed"]);
    expect(g.nodes.find((n) => n.id === "r")?.descendants).toBe(2);
    // A parent outside the graph makes the node a root of its own.
    expect(g.nodes.find((n) => n.id === "orphan")?.parentId).toBeNull();
    expect(g.nodes.find((n) => n.id === "esc")?.kind).toBe("escalation");
  });

  it("caps the node count and says so", () => {
    const many = Array.from({ length: 30 }, (_, i) => child({ id: `n${i}` }));
    const small = buildDerivationGraph([root, ...many], [], { maxNodes: 10 });
    expect(small.nodes).toHaveLength(10);
    expect(small.truncated).toBe(true);
  });
});
