/**
 * Concurrent long-lived responses (exports, live tails, the revocation feed's event stream) per
 * holder: a console user (`user:<id>`) or an API key (`key:<id>`). Each holds a pooled database
 * connection for a while, so a few of them from one holder could starve everyone else. Counted
 * in this process, like the rate limiter: behind N instances a holder gets up to N times the cap.
 */
export interface SlotLimiter {
  readonly max: number;
  /** A release function for a free slot (idempotent), or null when `holder` has `max` open. */
  acquire(holder: string): (() => void) | null;
  /** Slots `holder` has open now. */
  open(holder: string): number;
}

export function createSlotLimiter(max: number): SlotLimiter {
  const counts = new Map<string, number>();
  return {
    max,
    acquire(holder) {
      const n = counts.get(holder) ?? 0;
      if (n >= max) return null;
      counts.set(holder, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(holder) ?? 1) - 1;
        if (left <= 0) counts.delete(holder);
        else counts.set(holder, left);
      };
    },
    open: (holder) => counts.get(holder) ?? 0,
  };
}

export const STREAM_LIMITS = {
  /** Exports running at once per console user. */
  exports: 2,
  /** Explorer live tails open at once per console user (a few browser tabs). */
  tails: 3,
  /** Revocation-feed event streams open at once per API key (a few verifier processes). */
  feeds: 4,
} as const;

// One set per process, kept on globalThis so dev-mode module reloads do not reset the counts.
const holder = globalThis as typeof globalThis & {
  __streamSlots?: Record<keyof typeof STREAM_LIMITS, SlotLimiter>;
};
export function streamSlots(): Record<keyof typeof STREAM_LIMITS, SlotLimiter> {
  holder.__streamSlots ??= {
    exports: createSlotLimiter(STREAM_LIMITS.exports),
    tails: createSlotLimiter(STREAM_LIMITS.tails),
    feeds: createSlotLimiter(STREAM_LIMITS.feeds),
  };
  return holder.__streamSlots;
}

/** The 429 for a holder at its cap: what is limited, by how much, and what to do. */
export function tooManyStreams(what: string, max: number, by: "user" | "API key"): Response {
  return Response.json(
    {
      error: `Too many ${what} open at once: at most ${max} per ${by}. Close one (or wait for one to finish) and try again.`,
    },
    { status: 429, headers: { "cache-control": "no-store", "retry-after": "5" } },
  );
}
