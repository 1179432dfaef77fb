import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_ROOT, type Hash, leafHash, rootOf } from "@/lib/merkle/hash";
import {
  appendLeaves,
  consistencyProof,
  inclusionProof,
  mapSource,
  type NodeId,
  nodeKey,
  nodesForConsistency,
  nodesForInclusion,
  nodesForRoot,
  rootFromNodes,
} from "@/lib/merkle/proof";
import { verifyConsistency, verifyInclusion } from "@/lib/merkle/verify";

const b64 = (s: string) => Uint8Array.from(Buffer.from(s, "base64"));
const vectors = JSON.parse(
  fs.readFileSync(
    path.join(import.meta.dirname, "../../fixtures/merkle/transparency-dev-vectors.json"),
    "utf8",
  ),
) as {
  inclusion: {
    leafIdx: number;
    treeSize: number;
    root: string;
    leafHash: string;
    proof: string[] | null;
    wantErr: boolean;
    file: string;
  }[];
  consistency: {
    size1: number;
    size2: number;
    root1: string;
    root2: string;
    proof: string[] | null;
    wantErr: boolean;
    file: string;
  }[];
};

// RFC 6962's reference tree: the eight leaves the transparency-dev vectors are built on.
const RFC_LEAVES = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map((h) => leafHash(Uint8Array.from(Buffer.from(h, "hex"))));

/** A store built the way the console builds it: leaf by leaf through appendLeaves. */
function store(leaves: readonly Hash[], batches = 1) {
  const nodes = new Map<string, Hash>();
  let size = 0;
  const per = Math.max(1, Math.ceil(leaves.length / batches));
  for (let i = 0; i < leaves.length; i += per) {
    const out = appendLeaves(size, leaves.slice(i, i + per), mapSource(nodes));
    for (const n of out.nodes) nodes.set(nodeKey(n), n.hash);
    size = out.size;
  }
  return mapSource(nodes);
}

describe("RFC 6962 Merkle proofs against transparency-dev's vectors", () => {
  it("verifies every inclusion vector as expected (happy paths accepted, every mutation refused)", () => {
    for (const v of vectors.inclusion) {
      const ok = verifyInclusion({
        index: v.leafIdx,
        size: v.treeSize,
        leaf: b64(v.leafHash),
        proof: (v.proof ?? []).map(b64),
        root: b64(v.root),
      });
      expect(ok, v.file).toBe(!v.wantErr);
    }
  });

  it("verifies every consistency vector as expected", () => {
    for (const v of vectors.consistency) {
      const ok = verifyConsistency({
        size1: v.size1,
        size2: v.size2,
        proof: (v.proof ?? []).map(b64),
        root1: b64(v.root1),
        root2: b64(v.root2),
      });
      expect(ok, v.file).toBe(!v.wantErr);
    }
  });

  it("produces exactly the happy-path proofs from stored perfect nodes", () => {
    const get = store(RFC_LEAVES, 3);
    let checked = 0;
    // The numbered folders are built on RFC 6962's eight reference leaves.
    const rfcTree = (file: string) => /^(inclusion|consistency)\/[0-4]\//.test(file);
    for (const v of vectors.inclusion.filter((x) => !x.wantErr && rfcTree(x.file))) {
      expect(Buffer.from(rootFromNodes(v.treeSize, get)).toString("base64"), v.file).toBe(v.root);
      expect(
        inclusionProof(v.leafIdx, v.treeSize, get).map((h) => Buffer.from(h).toString("base64")),
        v.file,
      ).toEqual(v.proof ?? []);
      checked++;
    }
    for (const v of vectors.consistency.filter((x) => !x.wantErr && rfcTree(x.file))) {
      expect(
        consistencyProof(v.size1, v.size2, get).map((h) => Buffer.from(h).toString("base64")),
        v.file,
      ).toEqual(v.proof ?? []);
      checked++;
    }
    expect(checked).toBe(10);
    expect(rootFromNodes(0, get)).toEqual(EMPTY_ROOT);
  });
});

describe("proofs over random logs (fast-check)", () => {
  it("every leaf's proof verifies against the root, for any batching of appends, and needs only the planned nodes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 7 }),
        fc.nat(),
        (n, batches, pick) => {
          const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`event ${i}`)));
          const get = store(leaves, batches);
          const root = rootOf(leaves);
          expect(Buffer.from(rootFromNodes(n, get))).toEqual(Buffer.from(root));
          const index = pick % n;
          // Only the nodes the plan names are needed: a source that holds nothing else suffices.
          const only = new Map(nodesForInclusion(index, n).map((id: NodeId) => [nodeKey(id), get(id)]));
          const proof = inclusionProof(index, n, mapSource(only));
          expect(verifyInclusion({ index, size: n, leaf: leaves[index] as Hash, proof, root })).toBe(true);
          // The same proof does not pass for a neighbour or another size.
          if (n > 1) {
            const other = (index + 1) % n;
            expect(verifyInclusion({ index: other, size: n, leaf: leaves[index] as Hash, proof, root })).toBe(
              false,
            );
          }
          // (The size is bound to the root by the signed checkpoint, not by the proof.)
          const otherRoot = rootOf([...leaves, leafHash(Buffer.from("one more"))]);
          expect(
            verifyInclusion({ index, size: n, leaf: leaves[index] as Hash, proof, root: otherRoot }),
          ).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a later tree is proved consistent with every earlier one, and not with a rewritten one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(), (n, pick) => {
        const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`e${i}`)));
        const get = store(leaves, 2);
        const m = 1 + (pick % n);
        const only = new Map(nodesForConsistency(m, n).map((id) => [nodeKey(id), get(id)]));
        const proof = consistencyProof(m, n, mapSource(only));
        const root1 = rootOf(leaves.slice(0, m));
        const root2 = rootOf(leaves);
        expect(verifyConsistency({ size1: m, size2: n, proof, root1, root2 })).toBe(true);
        const rewritten = [...leaves];
        rewritten[pick % m] = leafHash(Buffer.from("forged"));
        expect(
          verifyConsistency({ size1: m, size2: n, proof, root1: rootOf(rewritten.slice(0, m)), root2 }),
        ).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("proof size is logarithmic: about 20 hashes at a million events", () => {
    const size = 1_000_000;
    expect(nodesForInclusion(123_456, size).length).toBeLessThanOrEqual(40);
    expect(nodesForRoot(size).length).toBe(size.toString(2).replaceAll("0", "").length);
    const fakeGet = () => leafHash(Buffer.from("x"));
    expect(inclusionProof(123_456, size, fakeGet)).toHaveLength(20);
    expect(consistencyProof(500_000, size, fakeGet).length).toBeLessThanOrEqual(40);
  });
});
