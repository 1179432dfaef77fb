/**
 * An in-process token bucket per API key: `burst` requests at once, refilled at `perSecond`.
 * Per process, not shared: behind a load balancer with N instances a key gets up to N times the
 * rate; good enough to stop one runaway client, not a quota (documented in docs/ingest.md).
 */
export interface RateLimiter {
  /** Takes one token for `key`; when none is left, how long until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number };
}

export function createRateLimiter(args: {
  burst: number;
  perSecond: number;
  now?: () => number;
  /** Buckets kept at most; the least recently used are dropped (a full bucket again). */
  maxKeys?: number;
}): RateLimiter {
  const now = args.now ?? (() => performance.now());
  const maxKeys = args.maxKeys ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: args.burst, at: t };
      buckets.delete(key);
      b.tokens = Math.min(args.burst, b.tokens + ((t - b.at) / 1000) * args.perSecond);
      b.at = t;
      buckets.set(key, b);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / args.perSecond) * 1000) };
    },
  };
}

export const DEFAULT_RATE = { burst: 50, perSecond: 20 } as const;

/**
 * Each platform endpoint (escalation pick-up, use, introspection; one bucket set per route), per
 * API key: room for a platform polling about a hundred sessions a second for escalations (bursts
 * of 200), not for a loop that never sleeps.
 */
export const PLATFORM_RATE = { burst: 200, perSecond: 100 } as const;

/**
 * The 429 for a key over its rate (JSON error, Retry-After in whole seconds, not cacheable), or
 * undefined when the key may go on. Every API-key route answers this before any other work.
 */
export function rateLimited(limiter: RateLimiter | undefined, keyId: string): Response | undefined {
  const rate = limiter?.take(keyId);
  if (!rate || rate.ok) return undefined;
  return Response.json(
    { error: "rate limit exceeded for this API key" },
    {
      status: 429,
      headers: {
        "cache-control": "no-store",
        "retry-after": String(Math.max(1, Math.ceil(rate.retryAfterMs / 1000))),
      },
    },
  );
}
