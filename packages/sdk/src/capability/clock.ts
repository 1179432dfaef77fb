/**
 * Every time decision in the capability layer (minting, expiry, authorization) reads this
 * interface, never Date.now(), so tests can stand exactly on an expiry boundary.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface TestClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function createTestClock(startMs = Date.UTC(2026, 10, 26, 9, 0, 0)): TestClock {
  let current = startMs;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
