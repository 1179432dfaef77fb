import { describe, expect, it } from "vitest";
import { buildWaterfall, decisionOf, type WaterfallCall } from "@/lib/graph/waterfall";

const T0 = Date.parse("2026-12-02T12:00:00.000Z");
const call = (id: string, capabilityId: string | null, at: number, over: Partial<WaterfallCall> = {}) =>
  ({
    id,
    ts: new Date(T0 + at),
    capabilityId,
    agent: null,
    tool: `tool.${id}`,
    outcome: "allowed",
    reason: null,
    latencyMs: null,
    ...over,
  }) satisfies WaterfallCall;

const caps = [
  { id: "root", parentId: null, kind: "minted" as const, agent: "planner" },
  { id: "late", parentId: "root", kind: "attenuated" as const, agent: "writer" },
  { id: "early", parentId: "root", kind: "attenuated" as const, agent: "reader" },
  { id: "grand", parentId: "early", kind: "attenuated" as const, agent: "fetcher" },
  { id: "esc", parentId: null, kind: "escalation" as const, agent: "planner" },
];

describe("buildWaterfall", () => {
  const w = buildWaterfall(caps, [
    call("c4", "late", 4000, { latencyMs: 500 }),
    call("c1", "root", 0, { latencyMs: 100 }),
    call("c2", "early", 1000),
    call("c3", "grand", 2000, { outcome: "denied", reason: "right(Order, write) not granted" }),
    call("c5", "grand", 3000, { outcome: "denied", reason: "session s1 is revoked" }),
    call("c6", "esc", 3500),
    call("c7", null, 5000, { outcome: "error" }),
  ]);

  it("nests calls under their capability and sub-agents by first use, loose calls last", () => {
    expect(
      w.rows.map((r) =>
        r.kind === "span" ? `${"  ".repeat(r.level)}[${r.agent}]` : `${"  ".repeat(r.level)}${r.tool}`,
      ),
    ).toEqual([
      "[planner]",
      "  tool.c1",
      "  [reader]",
      "    tool.c2",
      "    [fetcher]",
      "      tool.c3",
      "      tool.c5",
      "  [writer]",
      "    tool.c4",
      "[planner]",
      "  tool.c6",
      "[no capability]",
      "  tool.c7",
    ]);
  });

  it("places bars in ms from the first call, spans from first to last use", () => {
    expect(w.origin?.toISOString()).toBe("2026-12-02T12:00:00.000Z");
    expect(w.total).toBe(5000);
    const span = (id: string) => w.rows.find((r) => r.kind === "span" && r.capabilityId === id);
    expect(span("grand")).toMatchObject({ start: 2000, end: 3000 });
    expect(span("late")).toMatchObject({ start: 4000, end: 4500 });
    // The root's span covers its own calls only; a capability that made none has no span.
    expect(span("root")).toMatchObject({ start: 0, end: 100 });
    const noCalls = buildWaterfall(caps.slice(0, 1), []);
    expect(noCalls.rows).toEqual([expect.objectContaining({ kind: "span", start: null, end: null })]);
    expect(noCalls.origin).toBeNull();
  });

  it("classifies decisions: escalated, revoked, denied, error", () => {
    expect(w.counts).toEqual({ allowed: 3, denied: 1, escalated: 1, revoked: 1, error: 1 });
    const decided = Object.fromEntries(
      w.rows.flatMap((r) => (r.kind === "call" ? [[r.id, r.decision]] : [])),
    );
    expect(decided).toMatchObject({
      c3: "denied",
      c5: "revoked",
      c6: "escalated",
      c7: "error",
      c1: "allowed",
    });
    expect(decisionOf({ outcome: "allowed", reason: null }, "escalation")).toBe("escalated");
  });

  it("starts the axis at an earlier minting time, never later than the first call", () => {
    const minted = buildWaterfall(caps, [call("c1", "root", 1000)], { origin: new Date(T0) });
    expect(minted.rows[1]).toMatchObject({ kind: "call", start: 1000 });
    const late = buildWaterfall(caps, [call("c1", "root", 1000)], { origin: new Date(T0 + 5000) });
    expect(late.rows[1]).toMatchObject({ kind: "call", start: 0 });
  });

  it("survives a parent cycle in bad data without looping", () => {
    const cyc = buildWaterfall(
      [
        { id: "a", parentId: "b", kind: "attenuated", agent: "x" },
        { id: "b", parentId: "a", kind: "attenuated", agent: "y" },
      ],
      [call("c1", "a", 0)],
    );
    // Neither is a root: both are drawn at the top level, and the call is not lost.
    expect(cyc.rows.filter((r) => r.kind === "call")).toHaveLength(1);
  });
});
