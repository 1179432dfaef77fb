// The background rounds' pace: stream delivery and rule evaluation together keep to a share of
// wall time, so ingest keeps the machine while they catch up.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backgroundShare, Pace, startRounds } from "@/lib/rounds";

describe("Pace", () => {
  it("after a round of W ms, waits W × (1 − share) / share, from any worker sharing it", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 5_000 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (share, rounds) => {
          const pace = new Pace(share);
          // Rounds back to back, each starting as soon as the pace allows: busy time stays within
          // the share of the elapsed time (up to the end of the last rest).
          let now = 0;
          let busy = 0;
          for (const [gap, length] of rounds) {
            now += gap;
            now += pace.wait(now);
            pace.ran(now, now + length);
            busy += length;
            now += length;
          }
          const end = now + pace.wait(now);
          expect(busy).toBeLessThanOrEqual(share * end + 1e-6);
          const last = (rounds.at(-1) as [number, number])[1];
          expect(pace.wait(now)).toBeCloseTo((last * (1 - share)) / share, 6);
        },
      ),
    );
  });

  it("refuses a share outside (0, 1]; the env setting is clamped to 0.05–1", () => {
    expect(() => new Pace(0)).toThrow(/share/);
    expect(() => new Pace(1.5)).toThrow(/share/);
    expect(backgroundShare({})).toBe(0.3);
    expect(backgroundShare({ CONSOLE_BACKGROUND_SHARE: "0.25" })).toBe(0.25);
    expect(backgroundShare({ CONSOLE_BACKGROUND_SHARE: "0" })).toBe(0.05);
    expect(backgroundShare({ CONSOLE_BACKGROUND_SHARE: "7" })).toBe(1);
    expect(backgroundShare({ CONSOLE_BACKGROUND_SHARE: "lots" })).toBe(0.3);
  });

  it("holds back the rounds of two workers that share it", async () => {
    const pace = new Pace(0.5);
    const starts: { who: string; at: number }[] = [];
    const t0 = performance.now();
    const worker = (who: string, ms: number) =>
      startRounds({
        intervalMs: 1,
        empty: null,
        log: () => {},
        pace,
        again: () => true,
        round: async () => {
          starts.push({ who, at: performance.now() - t0 });
          const until = performance.now() + ms;
          while (performance.now() < until) await new Promise((r) => setTimeout(r, 5));
          return null;
        },
      });
    const a = worker("a", 60);
    const b = worker("b", 60);
    await new Promise((r) => setTimeout(r, 700));
    await Promise.all([a.stop(), b.stop()]);
    // Without the pace each would start about 700/60 ≈ 11 rounds; together at half the time
    // they get about 700 / 120 ≈ 6, the two workers' rounds interleaved.
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts.length).toBeLessThanOrEqual(9);
    // Never two at once, each followed by its rest; the one waiting longer goes next.
    for (let i = 1; i < starts.length; i++)
      expect((starts[i]?.at ?? 0) - (starts[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(115);
    const of = (who: string) => starts.filter((s) => s.who === who).length;
    expect(Math.abs(of("a") - of("b"))).toBeLessThanOrEqual(1);
  });
});
