import { createVerifier, toPublicKey } from "@capability-console/sdk/capability";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./fixtures";

/**
 * The run limit's time budget is wall-clock time inside wasm (biscuit reads performance.now()).
 * A stall that is not the token's doing (the thread descheduled on a busy machine) must not
 * deny a cheap operation; a token that really uses the time must still be stopped.
 */

let f: Fixture;
const realNow = performance.now;

beforeAll(async () => {
  f = await createFixture();
});

afterEach(() => {
  performance.now = realNow;
});

/** How many times one call reads the clock. */
function clockReadings(run: () => void): number {
  let readings = 0;
  performance.now = function now(this: Performance) {
    readings++;
    return realNow.call(this);
  };
  try {
    run();
  } finally {
    performance.now = realNow;
  }
  return readings;
}

/** The clock jumps by `ms` at each of readings 2..`last`, then runs normally again. */
function stallUntil(last: number, ms: number): { readings: () => number } {
  let readings = 0;
  let offset = 0;
  performance.now = function now(this: Performance) {
    readings++;
    if (readings >= 2 && readings <= last) offset += ms;
    return realNow.call(this) + offset;
  };
  return { readings: () => readings };
}

describe("run limits under a stalled clock", () => {
  it("a wall-clock stall that cost no CPU is retried once and the operation is allowed", async () => {
    const cap = (await f.mint()).narrowTo({ resource: "Customer", id: "c_1" });
    const op = { resource: "Customer", action: "read", id: "c_1" };
    const perAttempt = clockReadings(() => expect(cap.authorize(op).allowed).toBe(true));
    expect(perAttempt).toBeGreaterThan(2);
    // Every reading of the first attempt is a second later than the one before.
    const stall = stallUntil(perAttempt, 1_000);
    expect(cap.authorize(op)).toEqual({ allowed: true });
    // The first attempt stopped at its timeout; a second, complete attempt followed it.
    expect(stall.readings()).toBeGreaterThan(perAttempt + 1);
  });

  it("a token that really uses its time budget is still refused", async () => {
    const verifier = await createVerifier({
      keys: [toPublicKey(f.key)],
      clock: f.clock,
      // 1 us: any real evaluation burns more CPU than half of it, so no retry.
      limits: { maxFacts: 1000, maxIterations: 100, maxTimeMicros: 1 },
    });
    const verified = verifier.verify((await f.mint()).token);
    if (!verified.ok) throw verified.error;
    expect(verified.capability.authorize({ resource: "Customer", action: "read" })).toMatchObject({
      allowed: false,
      code: "run_limit",
    });
  });

  it("a stall on every attempt still ends in a refusal, after one retry", async () => {
    const cap = await f.mint();
    let readings = 0;
    performance.now = function now(this: Performance) {
      readings++;
      return realNow.call(this) + readings * 1_000;
    };
    expect(cap.authorize({ resource: "Customer", action: "read" })).toMatchObject({
      allowed: false,
      code: "run_limit",
    });
  });
});
