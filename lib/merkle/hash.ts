// RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256: a leaf is hashed with a 0x00 prefix and
// an interior node with 0x01, so a leaf can never pass for a node (second-preimage resistance).
import { createHash } from "node:crypto";

export type Hash = Uint8Array;
export const HASH_BYTES = 32;

export function leafHash(data: Uint8Array): Hash {
  return createHash("sha256").update(Uint8Array.of(0)).update(data).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash("sha256").update(Uint8Array.of(1)).update(left).update(right).digest();
}

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = createHash("sha256").digest();

export function equalHash(a: Hash, b: Hash): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

/** The largest power of two strictly less than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) computed from all the leaf hashes: for tests and small trees only. */
export function rootOf(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0] as Hash;
  const k = splitPoint(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}
