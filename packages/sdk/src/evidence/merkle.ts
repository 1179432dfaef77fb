// RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) proof verification, on plain numbers
// (sizes below 2^53; no 32-bit bitwise operators, which would wrap past 2^31 leaves).
import { equalBytes } from "./bytes.js";
import { nodeHash, sha256 } from "./crypto.js";

export const HASH_BYTES = 32;
const half = (x: number) => Math.floor(x / 2);
const odd = (x: number) => x % 2 === 1;

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && !odd(x)) x = half(x);
  return x === 1;
}

const wellFormed = (proof: readonly Uint8Array[]) => proof.every((h) => h.length === HASH_BYTES);

/** Does `proof` show the leaf with hash `leaf` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(args: {
  index: number;
  size: number;
  leaf: Uint8Array;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}): boolean {
  const { index, size, leaf, proof, root } = args;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!wellFormed(proof) || leaf.length !== HASH_BYTES) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, root);
}

/** Does `proof` show that the tree of `size2` with `root2` extends the one of `size1` with `root1`? */
export function verifyConsistency(args: {
  size1: number;
  size2: number;
  proof: readonly Uint8Array[];
  root1: Uint8Array;
  root2: Uint8Array;
}): boolean {
  const { size1, size2, root1, root2 } = args;
  let proof = args.proof;
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2)
    return false;
  if (!wellFormed(proof)) return false;
  if (size1 === size2) {
    const empty = sha256(new Uint8Array(0));
    return proof.length === 0 && equalBytes(root1, root2) && (size1 > 0 || equalBytes(root1, empty));
  }
  if (size1 === 0 || proof.length === 0) return false;
  if (isPowerOfTwo(size1)) proof = [root1, ...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = proof[0] as Uint8Array;
  let sr = proof[0] as Uint8Array;
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}
