// Proofs for a Merkle log whose store keeps every *perfect* subtree hash: node (level, index)
// covers leaves [index·2^level, (index+1)·2^level). Appending leaf i completes one node per
// trailing one bit of i+1, so storing them costs one row per leaf on average, and any proof
// needs O(log n) of them: the hash of D[a:b] for an aligned start a is the right fold of the
// perfect pieces that tile it. Proof generation is split in two so a database is asked once:
// plan which nodes a proof needs (`nodesFor…`), fetch them, then build it (`…Proof`).
import { EMPTY_ROOT, type Hash, nodeHash, splitPoint } from "./hash";

export interface NodeId {
  level: number;
  index: number;
}

export type NodeSource = (id: NodeId) => Hash;

export const nodeKey = (id: NodeId) => `${id.level}/${id.index}`;

/** The perfect subtrees that tile [a, b), largest first (a aligned as the proofs need). */
export function perfectPieces(a: number, b: number): NodeId[] {
  const pieces: NodeId[] = [];
  let at = a;
  while (at < b) {
    let level = 0;
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= b) level++;
    pieces.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return pieces;
}

/** MTH(D[a:b]) from stored perfect nodes. */
export function rangeHash(a: number, b: number, get: NodeSource): Hash {
  const pieces = perfectPieces(a, b);
  if (pieces.length === 0) return EMPTY_ROOT;
  let h = get(pieces[pieces.length - 1] as NodeId);
  for (let i = pieces.length - 2; i >= 0; i--) h = nodeHash(get(pieces[i] as NodeId), h);
  return h;
}

type Range = [number, number];

/** RFC 9162 PATH(m, D[lo:hi]) as the ranges whose hashes make it, leaf's sibling first. */
function inclusionRanges(m: number, lo: number, hi: number): Range[] {
  if (hi - lo <= 1) return [];
  const k = splitPoint(hi - lo);
  return m < lo + k
    ? [...inclusionRanges(m, lo, lo + k), [lo + k, hi]]
    : [...inclusionRanges(m, lo + k, hi), [lo, lo + k]];
}

/** RFC 9162 SUBPROOF(m, D[lo:hi], b) as ranges. */
function consistencyRanges(m: number, lo: number, hi: number, whole: boolean): Range[] {
  const n = hi - lo;
  if (m === n) return whole ? [] : [[lo, hi]];
  const k = splitPoint(n);
  return m <= k
    ? [...consistencyRanges(m, lo, lo + k, whole), [lo + k, hi]]
    : [...consistencyRanges(m - k, lo + k, hi, false), [lo, lo + k]];
}

function checkSizes(what: string, a: number, b: number) {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || a > b)
    throw new RangeError(`${what}: sizes out of range (${a}, ${b})`);
}

function inclusionPlan(index: number, size: number): Range[] {
  checkSizes("inclusion proof", index, size);
  if (index >= size) throw new RangeError(`inclusion proof: leaf ${index} is not in a tree of ${size}`);
  return inclusionRanges(index, 0, size);
}

function consistencyPlan(from: number, to: number): Range[] {
  checkSizes("consistency proof", from, to);
  return from === 0 || from === to ? [] : consistencyRanges(from, 0, to, true);
}

const nodesOf = (ranges: Range[]) => ranges.flatMap(([a, b]) => perfectPieces(a, b));

export const nodesForInclusion = (index: number, size: number) => nodesOf(inclusionPlan(index, size));
export const nodesForConsistency = (from: number, to: number) => nodesOf(consistencyPlan(from, to));
export const nodesForRoot = (size: number) => perfectPieces(0, size);

export function inclusionProof(index: number, size: number, get: NodeSource): Hash[] {
  return inclusionPlan(index, size).map(([a, b]) => rangeHash(a, b, get));
}

export function consistencyProof(from: number, to: number, get: NodeSource): Hash[] {
  return consistencyPlan(from, to).map(([a, b]) => rangeHash(a, b, get));
}

export const rootFromNodes = (size: number, get: NodeSource) => rangeHash(0, size, get);

/** A source over a map of fetched nodes that names a missing node instead of guessing. */
export function mapSource(nodes: ReadonlyMap<string, Hash>): NodeSource {
  return (id) => {
    const h = nodes.get(nodeKey(id));
    if (!h) throw new Error(`merkle node ${nodeKey(id)} is missing from the store`);
    return h;
  };
}

/**
 * Appending leaves: the perfect nodes each new leaf completes, for the store. `left` finds an
 * already stored node (the left sibling of a node being completed); nodes completed earlier in
 * the same call are found first among the new ones.
 */
export function appendLeaves(
  size: number,
  leaves: readonly Hash[],
  left: NodeSource,
): { nodes: (NodeId & { hash: Hash })[]; size: number } {
  const created = new Map<string, Hash>();
  const out: (NodeId & { hash: Hash })[] = [];
  const get: NodeSource = (id) => created.get(nodeKey(id)) ?? left(id);
  let n = size;
  for (const leaf of leaves) {
    let id: NodeId = { level: 0, index: n };
    let hash = leaf;
    for (;;) {
      created.set(nodeKey(id), hash);
      out.push({ ...id, hash });
      if (id.index % 2 === 0) break;
      const sibling = get({ level: id.level, index: id.index - 1 });
      id = { level: id.level + 1, index: (id.index - 1) / 2 };
      hash = nodeHash(sibling, hash);
    }
    n++;
  }
  return { nodes: out, size: n };
}
