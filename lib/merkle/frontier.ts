// A Merkle tree grown one leaf at a time keeping only its right edge (the perfect subtrees that
// tile [0, n), levels strictly decreasing): O(log n) memory for any n. Each append reports the
// nodes it completes, so a verifier can compare them with the stored ones as it streams events.
import { EMPTY_ROOT, type Hash, nodeHash } from "./hash";
import type { NodeId } from "./proof";

export type TreeNode = NodeId & { hash: Hash };

export class Frontier {
  private edge: TreeNode[] = [];
  size = 0;

  /**
   * The frontier of a tree of `size` leaves from its right edge: the perfect subtrees tiling
   * [0, size), largest first (nodesForRoot(size) in lib/merkle/proof.ts). Verification that starts
   * at a retention cut (docs/retention.md) grows the tree on from there.
   */
  static fromEdge(size: number, edge: readonly TreeNode[]): Frontier {
    let at = 0;
    for (const n of edge) {
      if (n.index * 2 ** n.level !== at)
        throw new Error(`node ${n.level}/${n.index} is not on the edge at ${at}`);
      at += 2 ** n.level;
    }
    if (at !== size) throw new Error(`the edge covers ${at} leaves, not ${size}`);
    const f = new Frontier();
    f.edge = edge.map((n) => ({ ...n }));
    f.size = size;
    return f;
  }

  /** The right edge (perfect subtrees tiling [0, size), largest first). */
  get nodes(): readonly TreeNode[] {
    return this.edge;
  }

  /** Adds leaf `size`; returns the nodes it completes, the leaf first. */
  append(leaf: Hash): TreeNode[] {
    const made: TreeNode[] = [{ level: 0, index: this.size, hash: leaf }];
    this.edge.push(made[0] as TreeNode);
    for (;;) {
      const right = this.edge.at(-1);
      const left = this.edge.at(-2);
      if (!right || !left || left.level !== right.level) break;
      this.edge.splice(-2, 2);
      const node = { level: left.level + 1, index: left.index / 2, hash: nodeHash(left.hash, right.hash) };
      this.edge.push(node);
      made.push(node);
    }
    this.size += 1;
    return made;
  }

  /** MTH of the leaves so far. */
  root(): Hash {
    let h = this.edge.at(-1)?.hash;
    if (!h) return EMPTY_ROOT;
    for (let i = this.edge.length - 2; i >= 0; i--) h = nodeHash((this.edge[i] as TreeNode).hash, h);
    return h;
  }
}
