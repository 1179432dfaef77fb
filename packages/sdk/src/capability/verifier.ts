import { Capability } from "./capability.js";
import type { Clock } from "./clock.js";
import { CapabilityError, fromBiscuitError } from "./errors.js";
import type { IssuerPublicKey } from "./keys.js";
import { createKeyset, type Keyset } from "./keyset.js";
import { LruCache } from "./lru.js";
import type { RevocationList } from "./revocation.js";
import { DEFAULT_RUN_LIMITS, decodeToken, parseToken, type RunLimits, tokenHash } from "./token.js";
import { loadBiscuit } from "./wasm-loader.js";

export type VerifyResult = { ok: true; capability: Capability } | { ok: false; error: CapabilityError };

export interface VerifierOptions {
  keys: readonly IssuerPublicKey[] | Keyset;
  clock: Clock;
  revocations?: RevocationList;
  limits?: RunLimits;
  /** Verified tokens kept by hash; 0 disables the cache. Revocation is checked on every hit. */
  cacheSize?: number;
}

export interface Verifier {
  /** Parses, checks signatures (key chosen by kid), issuer kid and revocation. Never throws. */
  verify(token: string | Uint8Array): VerifyResult;
  readonly keyset: Keyset;
}

function isKeyset(keys: VerifierOptions["keys"]): keys is Keyset {
  return !Array.isArray(keys);
}

export async function createVerifier(options: VerifierOptions): Promise<Verifier> {
  await loadBiscuit();
  const keyset = isKeyset(options.keys) ? options.keys : createKeyset(options.keys);
  const limits = options.limits ?? DEFAULT_RUN_LIMITS;
  const cacheSize = options.cacheSize ?? 1000;
  // An evicted capability may still be in a caller's hands: release() keeps it usable.
  const cache =
    cacheSize > 0 ? new LruCache<string, Capability>(cacheSize, (evicted) => evicted.release()) : undefined;

  function checkRevoked(capability: Capability): VerifyResult {
    const revoked = capability.revokedReason();
    return revoked ? { ok: false, error: new CapabilityError("revoked", revoked) } : { ok: true, capability };
  }

  function verifyCold(bytes: Uint8Array): Capability {
    const parsed = parseToken(bytes, keyset);
    const capability = new Capability({
      biscuit: parsed.biscuit,
      generation: parsed.generation,
      rootKey: parsed.key.publicKey,
      bytes,
      clock: options.clock,
      limits,
      revocations: options.revocations,
      revocationIds: parsed.revocationIds,
      context: parsed.context,
    });
    // The numeric root key id is a hash of the kid: insist the kid written in block 0 agrees.
    const ctx = capability.context;
    if (ctx && ctx.issuer !== parsed.key.kid) {
      throw new CapabilityError("unknown_key", "token names a different issuer than the key that signed it");
    }
    return capability;
  }

  return {
    keyset,
    verify(token) {
      try {
        const bytes = decodeToken(token);
        if (!cache) return checkRevoked(verifyCold(bytes));
        const key = tokenHash(bytes);
        let capability = cache.get(key);
        if (!capability) {
          capability = verifyCold(bytes);
          cache.set(key, capability);
        }
        return checkRevoked(capability);
      } catch (raw) {
        return { ok: false, error: fromBiscuitError(raw) };
      }
    },
  };
}
