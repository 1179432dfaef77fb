// The agent platform's side of verification: public keys from GET /api/v1/keys, revocations
// from GET /api/v1/revocations?since=CURSOR. Tokens are verified locally with public keys only;
// the console is asked only for what changed.
import type { z } from "zod";
import {
  CapabilityError,
  type Clock,
  createRevocationList,
  createVerifier,
  decodeToken,
  type MutableRevocationList,
  readRootKeyId,
  type Verifier,
  type VerifyResult,
} from "../capability/index.js";
import {
  keysResponseSchema,
  type PublishedKey,
  type RevocationFeedEntry,
  type RevocationFeedPage,
  revocationFeedPageSchema,
} from "../schema/wire.js";
import {
  type ConsoleClientOptions,
  consoleRequest,
  DEFAULT_TIMEOUT_MS,
  parseBody,
} from "./console-client.js";

export type { ConsoleClientOptions, PublishedKey, RevocationFeedEntry, RevocationFeedPage };

async function getJson<S extends z.ZodType>(
  o: ConsoleClientOptions,
  pathAndQuery: string,
  schema: S,
): Promise<z.output<S>> {
  const res = await consoleRequest(o, pathAndQuery);
  if (!res.ok) throw new Error(`GET ${pathAndQuery}: ${res.status} ${await res.text().catch(() => "")}`);
  return parseBody(res, schema, `GET ${pathAndQuery}`);
}

/** The issuer public keys the console publishes for the API key's tenant (and its own). */
export function fetchKeys(o: ConsoleClientOptions): Promise<PublishedKey[]> {
  return getJson(o, "/api/v1/keys", keysResponseSchema).then((b) => b.keys);
}

/** One page of the revocation feed after `since`. */
export function fetchRevocations(o: ConsoleClientOptions, since: number): Promise<RevocationFeedPage> {
  return getJson(o, `/api/v1/revocations?since=${since}`, revocationFeedPageSchema);
}

/** Applies one feed entry to a revocation list; capability entries carry every id they cut. */
export function applyRevocation(list: MutableRevocationList, entry: RevocationFeedEntry): void {
  if (entry.kind === "session") list.revokeSession(entry.target);
  else if (entry.kind === "principal") list.revokePrincipal(entry.target);
  else if (entry.kind === "capability") list.revokeCapability(entry.target);
  for (const id of entry.revokedIds) list.revokeCapability(id);
}

/**
 * Polls the revocation feed. A revocation recorded in the console is applied here within
 * `maxDelayMs` = interval + request timeout (a poll that fails is retried at the next tick).
 */
export class RevocationFollower {
  readonly list: MutableRevocationList = createRevocationList();
  cursor = 0;
  lastError: Error | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling: Promise<number> | undefined;

  constructor(private readonly o: ConsoleClientOptions & { intervalMs?: number }) {}

  get maxDelayMs(): number {
    return (this.o.intervalMs ?? 1000) + (this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  /** Fetches every entry after the cursor (following pages); returns how many were applied. */
  pollOnce(): Promise<number> {
    this.polling ??= (async () => {
      let applied = 0;
      for (;;) {
        const page = await fetchRevocations(this.o, this.cursor);
        // Cursors are per tenant (console migration 0003). A cursor above the feed's head was not
        // handed out by this tenant's feed (kept from another console, a restored database): read
        // the feed again from the start. Applying an entry twice changes nothing.
        if (page.head !== undefined && page.head < this.cursor) {
          this.cursor = 0;
          continue;
        }
        for (const entry of page.revocations) applyRevocation(this.list, entry);
        applied += page.revocations.length;
        const advanced = page.next > this.cursor;
        this.cursor = Math.max(this.cursor, page.next);
        if (!advanced || page.revocations.length === 0) return applied;
      }
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.pollOnce().then(
        () => {
          this.lastError = undefined;
        },
        (err: unknown) => {
          this.lastError = err instanceof Error ? err : new Error(String(err));
        },
      );
    }, this.o.intervalMs ?? 1000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface PlatformVerifier {
  verify(token: string | Uint8Array): VerifyResult;
  readonly follower: RevocationFollower;
  /** Re-reads the published keys now (after a rotation); also done every `keysRefreshMs`. */
  refreshKeys(): Promise<void>;
  close(): void;
}

/**
 * A verifier for an agent platform: keys from the console, revocations followed live. A retired
 * key is refused from its `verifiesUntil` on, by this verifier's clock, without waiting for the
 * next key refresh; the key is the one that verified the token (chosen by the token's root key
 * id, as parsing does), whatever the token's own blocks claim. Keys are re-read every
 * `keysRefreshMs` (default 10 s), so a key retired in the console with no grace period is
 * refused within that; refreshes that finish out of order never replace a newer key list.
 */
export async function createPlatformVerifier(
  o: ConsoleClientOptions & { clock: Clock; pollIntervalMs?: number; keysRefreshMs?: number },
): Promise<PlatformVerifier> {
  const follower = new RevocationFollower({ ...o, intervalMs: o.pollIntervalMs });
  await follower.pollOnce();
  interface Current {
    verifier: Verifier;
    /** kid -> end of its grace period (ms), for retired keys only. */
    graceEnds: Map<string, number>;
  }
  let started = 0;
  let applied = 0;
  const build = async (): Promise<void> => {
    const seq = ++started;
    const keys = await fetchKeys(o);
    const verifier = await createVerifier({ keys, clock: o.clock, revocations: follower.list });
    if (seq < applied) return; // a later refresh already landed
    applied = seq;
    current = {
      verifier,
      graceEnds: new Map(
        keys.filter((k) => k.verifiesUntil).map((k) => [k.kid, Date.parse(k.verifiesUntil as string)]),
      ),
    };
  };
  let current: Current | undefined;
  await build();
  follower.start();
  const refresh = setInterval(() => {
    build().catch(() => {
      // Keep the keys we have; the next tick tries again.
    });
  }, o.keysRefreshMs ?? 10_000);
  refresh.unref?.();

  /** The kid of the key that verifies this token, when that key is retired. */
  function retiredKid(c: Current, token: string | Uint8Array): string | undefined {
    if (c.graceEnds.size === 0) return undefined;
    try {
      const id = readRootKeyId(decodeToken(token));
      const entry = id === undefined ? c.verifier.keyset.fallback : c.verifier.keyset.byRootKeyId(id);
      return entry && c.graceEnds.has(entry.kid) ? entry.kid : undefined;
    } catch {
      return undefined; // malformed: verify() says so
    }
  }

  return {
    verify: (token) => {
      const c = current as Current;
      const kid = retiredKid(c, token);
      const until = kid ? c.graceEnds.get(kid) : undefined;
      if (until !== undefined && o.clock.now() >= until)
        return {
          ok: false,
          error: new CapabilityError(
            "unknown_key",
            `issuer key ${kid} was retired and its grace period ended at ${new Date(until).toISOString()}`,
          ),
        };
      return c.verifier.verify(token);
    },
    follower,
    refreshKeys: build,
    close: () => {
      follower.stop();
      clearInterval(refresh);
    },
  };
}
