import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, pgTimestampToCursorTs, pgTimestampToDate } from "@/lib/query/cursor";

// What the explorer reads a timestamptz from: Postgres's text (DateStyle ISO), in the session's
// time zone. The integration tests check the same functions against a live database.
describe("timestamptz text", () => {
  it("reads Postgres's forms: fraction or none, offsets to the hour, minute or second", () => {
    const cases: [string, string, string][] = [
      ["2026-11-26 09:14:03.51225+00", "2026-11-26T09:14:03.512250Z", "2026-11-26T09:14:03.512Z"],
      ["2026-11-26 09:14:03+00", "2026-11-26T09:14:03.000000Z", "2026-11-26T09:14:03.000Z"],
      ["2026-11-26 09:14:03.000001+00", "2026-11-26T09:14:03.000001Z", "2026-11-26T09:14:03.000Z"],
      ["2026-11-26 09:14:03.999999+00", "2026-11-26T09:14:03.999999Z", "2026-11-26T09:14:03.999Z"],
      ["2026-11-26 14:59:03.5+05:45", "2026-11-26T09:14:03.500000Z", "2026-11-26T09:14:03.500Z"],
      ["2026-11-26 05:44:03.5-03:30", "2026-11-26T09:14:03.500000Z", "2026-11-26T09:14:03.500Z"],
      ["2026-11-26 23:14:03-14", "2026-11-27T13:14:03.000000Z", "2026-11-27T13:14:03.000Z"],
      // Local mean time before standard zones: Amsterdam was +00:19:32 in 1900.
      ["1900-01-01 00:19:32.5+00:19:32", "1900-01-01T00:00:00.500000Z", "1900-01-01T00:00:00.500Z"],
      ["1969-12-31 23:59:59.999999+00", "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999Z"],
      ["1970-01-01 00:00:00+00", "1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00.000Z"],
      ["2024-02-29 23:00:00-01", "2024-03-01T00:00:00.000000Z", "2024-03-01T00:00:00.000Z"],
      ["0050-06-01 12:00:00+00", "0050-06-01T12:00:00.000000Z", "0050-06-01T12:00:00.000Z"],
      ["9999-12-31 23:59:59.999999+00", "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999Z"],
    ];
    for (const [text, cursorTs, iso] of cases) {
      expect(pgTimestampToCursorTs(text), text).toBe(cursorTs);
      expect(pgTimestampToDate(text).toISOString(), text).toBe(iso);
    }
  });

  it("reads years past 9999 and before 1 (BC), which Dates hold but cursors refuse", () => {
    expect(pgTimestampToDate("10000-01-01 13:59:59.5+14").toISOString()).toBe("9999-12-31T23:59:59.500Z");
    expect(pgTimestampToDate("10000-01-01 13:59:59.5+00").toISOString()).toBe("+010000-01-01T13:59:59.500Z");
    expect(pgTimestampToDate("0001-12-31 23:00:00+00 BC").toISOString()).toBe("0000-12-31T23:00:00.000Z");
    expect(pgTimestampToDate("0044-03-15 12:00:00+00 BC").toISOString()).toBe("-000043-03-15T12:00:00.000Z");
    const far = pgTimestampToCursorTs("10000-01-01 00:00:00+00");
    expect(decodeCursor(encodeCursor({ sort: "ts_desc", ts: far, id: "x" }), "ts_desc")).toBeNull();
  });

  it("refuses anything else rather than guess", () => {
    for (const text of [
      "",
      "infinity",
      "2026-11-26T09:14:03Z",
      "2026-11-26 09:14:03",
      "2026-11-26 09:14:03.+00",
      "2026-11-26 09:14:03.1234567+00",
      "2026-11-26 9:14:03+00",
      "11/26/2026 09:14:03.5 UTC",
      "Thu 26 Nov 09:14:03.5 2026 UTC",
      "2026-11-26 09:14:03+00 AD",
      "2026-11-26 09:14:03+0x",
    ]) {
      expect(() => pgTimestampToDate(text), text).toThrow(/timestamptz/);
      expect(() => pgTimestampToCursorTs(text), text).toThrow(/timestamptz/);
    }
  });

  it("agrees with the instant for any time and any offset, to the microsecond", () => {
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    // Postgres's text for an instant (microseconds since 1970) seen at an offset (seconds east).
    const pgText = (micros: bigint, offset: number) => {
      const local = micros + BigInt(offset) * 1_000_000n;
      const ms = Number(local / 1000n - (local % 1000n < 0n ? 1n : 0n));
      const d = new Date(ms);
      const fraction = Number(((local % 1_000_000n) + 1_000_000n) % 1_000_000n);
      const abs = Math.abs(offset);
      const [oh, om, os] = [Math.floor(abs / 3600), Math.floor((abs % 3600) / 60), abs % 60];
      return (
        `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
        `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` +
        (fraction ? `.${pad(fraction, 6).replace(/0+$/, "")}` : "") +
        `${offset < 0 ? "-" : "+"}${pad(oh)}${om || os ? `:${pad(om)}` : ""}${os ? `:${pad(os)}` : ""}`
      );
    };
    const instant = fc.bigInt({ min: -62_000_000_000_000_000n, max: 253_402_300_799_999_999n });
    const offset = fc.oneof(
      fc.integer({ min: -15 * 3600, max: 15 * 3600 }),
      fc.integer({ min: -15 * 4, max: 15 * 4 }).map((q) => q * 900),
    );
    fc.assert(
      fc.property(instant, offset, (micros, off) => {
        const text = pgText(micros, off);
        const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
        expect(pgTimestampToDate(text).getTime(), text).toBe(Number(ms));
        const cursorTs = pgTimestampToCursorTs(text);
        const wholeSecond = new Date(Number(ms - (((ms % 1000n) + 1000n) % 1000n))).toISOString();
        const fraction = pad(Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n), 6);
        expect(cursorTs, text).toBe(`${wholeSecond.slice(0, -5)}.${fraction}Z`);
      }),
      { numRuns: 5000 },
    );
  });
});
