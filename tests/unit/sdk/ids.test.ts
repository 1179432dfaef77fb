import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../../packages/sdk/src/ids";

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuidv7", () => {
  it("is an RFC 9562 version 7 UUID whose first 48 bits are the millisecond time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (ms) => {
        const id = uuidv7(ms);
        expect(id).toMatch(V7);
        expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(ms);
      }),
    );
  });

  it("sorts by time as text, and ids of the same millisecond differ", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        fc.integer({ min: 1, max: 10_000 }),
        (ms, later) => {
          const b = Math.min(2 ** 48 - 1, ms + later);
          expect(uuidv7(ms) < uuidv7(b)).toBe(true);
        },
      ),
    );
    const same = new Set(Array.from({ length: 10_000 }, () => uuidv7(1_700_000_000_000)));
    expect(same.size).toBe(10_000);
  });
});
