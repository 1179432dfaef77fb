import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Candidate, type Seen, timeOrdered } from "@/lib/alerts/evaluate";

// The alert evaluator's windows over a group's history (issue 16): when times never go back along
// the chain, each member's window is found by binary search and distinct values slide along. The
// answers must equal the plain definition (filter the whole history per member) on every input.

const candidate = (seq: number, t: number): Candidate => ({
  seq,
  id: `e${seq}`,
  ts: new Date(t),
  type: "tool.call",
  principal: null,
  agent: null,
  session: null,
  request: null,
  tool: null,
  resourceType: null,
  resourceId: null,
  capabilityId: null,
});

describe("timeOrdered windows", () => {
  it("answers count, distinct and first as the plain filter does, members in chain order", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 5 }),
            seqGap: fc.integer({ min: 1, max: 3 }),
            v: fc.option(fc.constantFrom("a", "b", "c", "d"), { nil: null }),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 12 }),
        fc.array(
          fc.record({ seqGap: fc.integer({ min: 0, max: 4 }), gap: fc.integer({ min: -3, max: 6 }) }),
          { maxLength: 30 },
        ),
        (steps, windowMs, triggers) => {
          let seq = 0;
          let t = 1000;
          const history: Seen[] = steps.map((s) => {
            seq += s.seqGap;
            t += s.gap;
            return { seq, ts: new Date(t), v: s.v };
          });
          const w = timeOrdered(history, windowMs);
          expect(w).not.toBeNull();
          // Members: history entries (count, distinct) in chain order, and triggers of a sequence.
          let ms = 0;
          let mt = 1000;
          const others = triggers.map((x) => {
            ms += x.seqGap;
            mt = Math.max(1000, mt + x.gap);
            return candidate(ms, mt);
          });
          const inWindow = (e: Candidate, h: Seen) =>
            h.seq <= e.seq && h.ts.getTime() > e.ts.getTime() - windowMs && h.ts.getTime() <= e.ts.getTime();
          for (const h of history) {
            const e = candidate(h.seq, h.ts.getTime());
            const plain = history.filter((x) => inWindow(e, x));
            expect(w?.count(e, h.ts.getTime())).toBe(plain.length);
            expect(w?.distinct(e, h.ts.getTime())).toBe(
              new Set(plain.flatMap((x) => (x.v === null ? [] : [x.v]))).size,
            );
          }
          const w2 = timeOrdered(history, windowMs);
          for (const e of others)
            expect(w2?.first(e, e.ts.getTime())).toBe(history.find((x) => inWindow(e, x) && x.seq < e.seq));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives up (null) when a time goes back along the chain, so the caller filters exactly", () => {
    const h = (seq: number, t: number): Seen => ({ seq, ts: new Date(t), v: null });
    expect(timeOrdered([h(1, 10), h(2, 9)], 5)).toBeNull();
    expect(timeOrdered([h(1, 10), h(2, 10)], 5)).not.toBeNull();
  });
});
