import { CapabilityError } from "./errors.js";
import { assertKid, type IssuerPublicKey, parsePublicKeyBytes, rootKeyIdOf } from "./keys.js";

export interface KeysetEntry {
  kid: string;
  rootKeyId: number;
  publicKey: Uint8Array;
  status: "active" | "retired";
}

/**
 * The public keys a verifier trusts, looked up by the token's root key id. Retired keys still
 * verify (tokens they signed stay valid until they expire); a compromised key is removed.
 */
export interface Keyset {
  byRootKeyId(id: number): KeysetEntry | undefined;
  /** Used for tokens without a root key id (e.g. the Biscuit conformance samples). */
  readonly fallback: KeysetEntry | undefined;
  readonly entries: readonly KeysetEntry[];
}

export function createKeyset(
  keys: readonly IssuerPublicKey[],
  options: { fallbackKid?: string } = {},
): Keyset {
  const byId = new Map<number, KeysetEntry>();
  const entries: KeysetEntry[] = [];
  for (const key of keys) {
    assertKid(key.kid);
    const entry: KeysetEntry = {
      kid: key.kid,
      rootKeyId: rootKeyIdOf(key.kid),
      publicKey: parsePublicKeyBytes(key.publicKey),
      status: key.status ?? "active",
    };
    const clash = byId.get(entry.rootKeyId);
    if (clash) throw new CapabilityError("invalid_argument", `kids ${clash.kid} and ${key.kid} collide`);
    byId.set(entry.rootKeyId, entry);
    entries.push(entry);
  }
  const fallback = options.fallbackKid ? entries.find((e) => e.kid === options.fallbackKid) : undefined;
  if (options.fallbackKid && !fallback) {
    throw new CapabilityError("invalid_argument", `fallback kid ${options.fallbackKid} is not in the keyset`);
  }
  return { byRootKeyId: (id) => byId.get(id), fallback, entries };
}
