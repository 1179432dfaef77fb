import { describe, expect, it } from "vitest";
import { type CallGroup, describeDone, describeTried, nounFor, summarizeDay } from "@/lib/summary/day";
import { buildDayGraph } from "@/lib/summary/day-graph";
import { categorizeDenial, DENIAL_LABEL, groupDenials } from "@/lib/summary/denials";
import { everAnswer, everQuestion } from "@/lib/summary/ever";
import { dayEventsHref, term } from "@/lib/summary/explorer-href";

const g = (x: Partial<CallGroup> & Pick<CallGroup, "calls">): CallGroup => ({
  tool: null,
  action: null,
  resourceType: null,
  outcome: "allowed",
  resources: 0,
  ...x,
});

describe("denial categories (from the wording of lib/capability, the gateway and the demo)", () => {
  it.each([
    ["no right grants write on Order#o_5000 (fields status)", "no-right"],
    ["action write is not read (check in block 1)", "no-right"],
    ["resource Order is not Customer#c_381 (check in block 2)", "outside-resources"],
    ["operation is outside the narrowed scope (check in block 1)", "outside-resources"],
    ["fields phone are outside name, email, tier (check in block 1)", "outside-fields"],
    [
      "capability expired at 2026-11-26T09:15:03.000Z (now 2026-11-26T09:16:00.000Z) (check in block 0)",
      "expired",
    ],
    ["escalation 0193 refused: the escalation has expired", "expired"],
    ["capability 9f1c2d3e4f50… is revoked", "revoked"],
    ["ancestor capability 9f1c2d3e4f50… (block 0) is revoked", "revoked"],
    ["session sess_carol_1126 is revoked", "revoked"],
    ["principal carol@acme.example is revoked", "revoked"],
    ["rows 500 exceeds budget 100 (check in block 1)", "budget"],
    ["no rule allows crm.export (read on Customer) for claude-desktop", "policy"],
    ["a deny policy matched", "policy"],
    ["check failed: time($t), $t < 2026 (check in block 3)", "policy"],
    ['authorizer check failed: tenant("acme")', "policy"],
    ["the moon is in the wrong phase", "other"],
  ])("%s → %s", (reason, category) => {
    expect(categorizeDenial(reason)).toBe(category);
  });

  it("calls a missing reason 'other', and groups with exact reasons kept, largest first", () => {
    expect(categorizeDenial(null)).toBe("other");
    const grouped = groupDenials([
      { reason: "no right grants write on Order#o_1", count: 2 },
      { reason: "no right grants write on Order#o_2", count: 1 },
      { reason: "session sess_x is revoked", count: 5 },
      { reason: null, count: 1 },
    ]);
    expect(grouped.map((x) => [x.label, x.count])).toEqual([
      [DENIAL_LABEL.revoked, 5],
      [DENIAL_LABEL["no-right"], 3],
      [DENIAL_LABEL.other, 1],
    ]);
    expect(grouped[1]?.reasons).toEqual([
      { reason: "no right grants write on Order#o_1", count: 2 },
      { reason: "no right grants write on Order#o_2", count: 1 },
    ]);
    expect(grouped[2]?.reasons[0]?.reason).toBe("no reason given");
  });
});

describe("the day in plain words", () => {
  it("uses the tool's own verb for reads, and counts distinct resources when they differ from calls", () => {
    expect(
      describeDone({
        tool: "crm.lookup_customer",
        action: "read",
        resourceType: "Customer",
        calls: 120,
        resources: 38,
      }),
    ).toBe("looked up 38 customers (120 calls)");
    expect(
      describeDone({
        tool: "crm.lookup_customer",
        action: "read",
        resourceType: "Customer",
        calls: 3,
        resources: 3,
      }),
    ).toBe("looked up 3 customers");
    expect(
      describeDone({
        tool: "db.query_table",
        action: "read",
        resourceType: "Order",
        calls: 80,
        resources: 0,
      }),
    ).toBe("queried orders 80 times");
    expect(
      describeDone({ tool: "docs.fetch", action: "read", resourceType: "Document", calls: 1, resources: 1 }),
    ).toBe("looked up 1 document");
  });

  it("falls back to naming the tool for unknown actions or no resource, never inventing a verb", () => {
    expect(
      describeDone({
        tool: "x.frobnicate",
        action: "frobnicate",
        resourceType: "Widget",
        calls: 4,
        resources: 4,
      }),
    ).toBe("called tool x.frobnicate 4 times");
    expect(
      describeDone({ tool: "web.search", action: null, resourceType: null, calls: 1, resources: 0 }),
    ).toBe("called tool web.search once");
    expect(describeDone({ tool: null, action: "read", resourceType: null, calls: 2, resources: 0 })).toBe(
      "made 2 calls naming no tool",
    );
    expect(
      describeTried({ tool: "admin.grant_role", action: "grant", resourceType: "Admin", count: 2 }),
    ).toBe("tried to grant an admin twice");
    expect(describeTried({ tool: "x.y", action: "zap", resourceType: "Thing", count: 3 })).toBe(
      "tried to call tool x.y 3 times",
    );
  });

  it("pluralizes resource type names as words", () => {
    expect(nounFor("Order", 2)).toBe("orders");
    expect(nounFor("Policy", 2)).toBe("policies");
    expect(nounFor("Address", 2)).toBe("addresses");
    expect(nounFor("PurchaseOrder", 1)).toBe("purchase order");
    expect(nounFor("support_ticket", 3)).toBe("support tickets");
  });

  it("says what was done, what was refused and why, and the errors, in one sentence", () => {
    const s = summarizeDay(
      [
        g({
          tool: "crm.lookup_customer",
          action: "read",
          resourceType: "Customer",
          calls: 120,
          resources: 120,
        }),
        g({ tool: "db.query_table", action: "read", resourceType: "Order", calls: 80 }),
        g({
          tool: "orders.update_status",
          action: "write",
          resourceType: "Order",
          outcome: "denied",
          calls: 3,
        }),
        g({ tool: "db.query_table", action: "read", resourceType: "Order", outcome: "error", calls: 2 }),
      ],
      [
        {
          tool: "orders.update_status",
          action: "write",
          resourceType: "Order",
          reason: "no right grants write on Order#o_5000 (fields status)",
          count: 3,
        },
      ],
    );
    expect(s.sentence).toBe(
      "looked up 120 customers and queried orders 80 times; tried to change an order 3 times and was refused: no right for this action; hit an error twice.",
    );
    expect(s.refused[0]?.denials[0]?.reasons[0]?.reason).toContain("no right grants write");
    expect(s.errors).toBe(2);
  });

  it("folds the tail into 'other calls' and says when nothing happened", () => {
    const many = Array.from({ length: 8 }, (_, i) =>
      g({ tool: `t${i}.lookup`, action: "read", resourceType: "Customer", calls: 10 - i, resources: 10 - i }),
    );
    expect(summarizeDay(many, [], 6).sentence).toMatch(/and made 7 other calls\.$/);
    expect(summarizeDay([], []).sentence).toBe("made no tool calls.");
  });
});

describe("the aggregated day graph", () => {
  const rows = [
    {
      agent: "alice-assistant",
      tool: "crm.lookup_customer",
      resourceType: "Customer",
      outcome: "allowed" as const,
      calls: 10,
    },
    {
      agent: "alice-assistant/research",
      tool: "db.query_table",
      resourceType: "Order",
      outcome: "allowed" as const,
      calls: 6,
    },
    {
      agent: "alice-assistant/research",
      tool: "orders.update_status",
      resourceType: "Order",
      outcome: "denied" as const,
      calls: 2,
    },
    {
      agent: "alice-assistant/summarizer",
      tool: "db.query_table",
      resourceType: "Document",
      outcome: "error" as const,
      calls: 1,
    },
  ];
  const graph = buildDayGraph("alice@acme.example", rows);
  const node = (id: string) => graph.nodes.find((n) => n.id === id);
  const edge = (from: string, to: string) => graph.edges.find((e) => e.from === from && e.to === to);

  it("counts calls, refusals and errors on every level: person → agent → sub-agents → tools → resources", () => {
    expect(node("person")).toMatchObject({ calls: 19, denied: 2, errors: 1, column: 0 });
    expect(node("agent:alice-assistant")).toMatchObject({
      calls: 19,
      denied: 2,
      column: 1,
      depth: 0,
      label: "alice-assistant",
    });
    expect(node("agent:alice-assistant/research")).toMatchObject({
      calls: 8,
      denied: 2,
      column: 1,
      depth: 1,
      label: "research",
    });
    expect(node("tool:db.query_table")).toMatchObject({ calls: 7, errors: 1, column: 2 });
    expect(node("resource:Order")).toMatchObject({ calls: 8, denied: 2, column: 3 });
    expect(edge("person", "agent:alice-assistant")?.calls).toBe(19);
    expect(edge("agent:alice-assistant", "agent:alice-assistant/research")).toMatchObject({
      calls: 8,
      denied: 2,
    });
    expect(edge("agent:alice-assistant/research", "tool:orders.update_status")).toMatchObject({
      calls: 2,
      denied: 2,
    });
    expect(edge("tool:db.query_table", "resource:Order")?.calls).toBe(6);
    expect(graph.columns.map((c) => c.title)).toEqual([
      "Person",
      "Agent and sub-agents",
      "Tools",
      "Resources",
    ]);
  });

  it("gives each node and edge the explorer terms of its calls", () => {
    expect(node("tool:orders.update_status")?.terms).toEqual({ tool: "orders.update_status" });
    expect(edge("agent:alice-assistant/research", "tool:orders.update_status")?.terms).toEqual({
      agent: "alice-assistant/research",
      tool: "orders.update_status",
    });
    const href = dayEventsHref({
      principal: "alice@acme.example",
      day: "2026-11-20",
      terms: { tool: "a b" },
      outcome: "denied",
    });
    expect(new URL(href, "http://x").searchParams.get("q")).toBe(
      'principal:alice@acme.example type:tool.call tool:"a b" outcome:denied after:2026-11-20 before:2026-11-21',
    );
    expect(term("resource", "Order")).toBe("resource:Order");
  });

  it("adds a parent agent that never called itself, and handles calls without an agent", () => {
    const gr = buildDayGraph("p", [
      { agent: "bot/sub/leaf", tool: null, resourceType: null, outcome: "allowed", calls: 1 },
    ]);
    expect(gr.nodes.map((n) => n.id)).toEqual([
      "person",
      "agent:bot",
      "agent:bot/sub",
      "agent:bot/sub/leaf",
      "tool:(no tool)",
    ]);
    const none = buildDayGraph("p", [
      { agent: null, tool: "t", resourceType: "R", outcome: "allowed", calls: 2 },
    ]);
    expect(none.nodes.find((n) => n.kind === "agent")?.terms).toEqual({});
  });
});

describe("did it ever…? in sentences", () => {
  it("answers yes with the count and first time, no with 0 of N calls, and notes refusals", () => {
    expect(everQuestion("write", "Order")).toBe(
      "Did this capability, or anything derived from it, ever write an Order?",
    );
    const first = new Date("2026-11-20T09:14:03.512Z");
    expect(
      everAnswer({ action: "write", resourceType: "Order", calls: 412, matches: 3, first, refused: 0 }),
    ).toEqual({
      yes: true,
      text: "Yes: 3 writes to Order, first at 2026-11-20 09:14:03 UTC.",
      refusedText: null,
    });
    const no = everAnswer({
      action: "write",
      resourceType: "Order",
      calls: 412,
      matches: 0,
      first: null,
      refused: 2,
    });
    expect(no.text).toBe("No: 0 of 412 calls under this capability wrote an Order.");
    expect(no.refusedText).toBe("2 attempts to write an Order were refused.");
    expect(
      everAnswer({ action: "zap", resourceType: "Thing", calls: 1, matches: 1, first, refused: 0 }).text,
    ).toBe("Yes: 1 zap call on Thing, first at 2026-11-20 09:14:03 UTC.");
    expect(
      everAnswer({ action: "zap", resourceType: "Thing", calls: 1, matches: 0, first: null, refused: 0 })
        .text,
    ).toBe("No: 0 of 1 call under this capability did zap on a Thing.");
  });
});
