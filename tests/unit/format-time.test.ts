import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatClock,
  formatDay,
  formatDuration,
  formatRelative,
  formatTime,
  plural,
} from "@/lib/format/time";

describe("formatTime", () => {
  const at = new Date("2026-12-02T12:07:42.123Z");
  it("writes UTC with the zone, at each precision", () => {
    expect(formatTime(at)).toBe("2026-12-02 12:07:42 UTC");
    expect(formatTime(at, "min")).toBe("2026-12-02 12:07 UTC");
    expect(formatTime(at, "ms")).toBe("2026-12-02 12:07:42.123 UTC");
    expect(formatTime("2026-12-02T12:07:42.123Z")).toBe("2026-12-02 12:07:42 UTC");
    expect(formatClock(at)).toBe("12:07:42 UTC");
    expect(formatDay(at)).toBe("2026-12-02");
  });
  it("shows the fallback for missing or invalid values instead of 'Invalid Date'", () => {
    expect(formatTime(null)).toBe("—");
    expect(formatTime(undefined, "s", "never")).toBe("never");
    expect(formatTime("not a date")).toBe("—");
    expect(formatClock("nope")).toBe("—");
  });
  it("round-trips: the shown second parses back to the same second", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const shown = formatTime(ms);
        const back = Date.parse(`${shown.slice(0, 19).replace(" ", "T")}Z`);
        expect(back).toBe(Math.floor(ms / 1000) * 1000);
      }),
    );
  });
});

describe("durations and plurals", () => {
  it("reads like a person would say it", () => {
    expect(formatDuration(250)).toBe("250 ms");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(4 * 60_000 + 5_000)).toBe("4 min");
    expect(formatDuration(125 * 60_000)).toBe("2 h 5 min");
    expect(formatDuration(3 * 86_400_000)).toBe("3 d");
    expect(formatDuration(-1)).toBe("—");
    expect(formatRelative(10_000 + 42_000, 10_000)).toBe("in 42 s");
    expect(formatRelative(10_000, 10_000 + 180_000)).toBe("3 min ago");
  });
  it("agrees in number", () => {
    expect(plural(1, "capability", "capabilities")).toBe("1 capability");
    expect(plural(0, "session")).toBe("0 sessions");
    expect(plural(1204, "event")).toBe("1,204 events");
  });
});

describe("describeOperation", () => {
  it("says the one operation in words, never raw JSON", async () => {
    const { describeOperation } = await import("@/lib/format/operation");
    expect(
      describeOperation({
        tool: "crm.update_order",
        resourceType: "Order",
        resourceId: "o_381",
        action: "write",
      }),
    ).toBe("write Order o_381 with crm.update_order");
    expect(describeOperation({ tool: "fs.read", argDigest: "hmac-sha256:x" })).toBe(
      "call fs.read (these arguments only)",
    );
    expect(describeOperation({ tool: 42, nested: { a: 1 } })).toBe("an operation");
  });
});
