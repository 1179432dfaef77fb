// Proof verification as RFC 9162 §2.1.3.2 and §2.1.4.2 give it, on plain numbers (sizes stay
// below 2^53; no 32-bit bitwise operators, which would wrap past 2^31 leaves).
import { EMPTY_ROOT, equalHash, HASH_BYTES, type Hash, nodeHash } from "./hash";

const half = (x: number) => Math.floor(x / 2);
const odd = (x: number) => x % 2 === 1;

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && !odd(x)) x = half(x);
  return x === 1;
}

function wellFormed(proof: readonly Hash[]): boolean {
  return proof.every((h) => h.length === HASH_BYTES);
}

/** Does `proof` show the leaf with hash `leaf` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(args: {
  index: number;
  size: number;
  leaf: Hash;
  proof: readonly Hash[];
  root: Hash;
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
  return sn === 0 && equalHash(r, root);
}

/** Does `proof` show that the tree of `size2` with `root2` extends the one of `size1` with `root1`? */
export function verifyConsistency(args: {
  size1: number;
  size2: number;
  proof: readonly Hash[];
  root1: Hash;
  root2: Hash;
}): boolean {
  const { size1, size2, root1, root2 } = args;
  let proof = args.proof;
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2)
    return false;
  if (!wellFormed(proof)) return false;
  if (size1 === size2)
    return proof.length === 0 && equalHash(root1, root2) && (size1 > 0 || equalHash(root1, EMPTY_ROOT));
  // An empty first tree has nothing to prove against; refuse rather than accept any claim.
  if (size1 === 0) return false;
  if (proof.length === 0) return false;
  // A power-of-two first tree is a node of the second: its root starts the path.
  if (isPowerOfTwo(size1)) proof = [root1, ...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = proof[0] as Hash;
  let sr = proof[0] as Hash;
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
  return sn === 0 && equalHash(fr, root1) && equalHash(sr, root2);
}
