import { asc, eq, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { type Event, type TreeCheckpoint, treeCheckpoints } from "@/db/schema";
import { Frontier, type TreeNode } from "@/lib/merkle/frontier";
import { equalHash } from "@/lib/merkle/hash";
import { NoteError, openNote, parseCheckpointText, parseVkey, vkey } from "@/lib/merkle/note";
import { nodeKey, nodesForRoot } from "@/lib/merkle/proof";
import { rawPublicKey, treeOrigin } from "@/lib/merkle/sign";
import { fetchNodes, leafOfContentHash, STORED_FROM_LEVEL } from "@/lib/merkle/store";
import { contentHash } from "./chain";
import type { CheckpointKeys } from "./checkpoint";
import type { SubjectKeys } from "./subjects";

// The Merkle half of verify-log (issue 15): re-derives the tenant's tree from its rows, leaf by
// leaf with O(log n) memory (Frontier), and compares every node the rows complete with the
// stored one, every tree checkpoint's root with the tree at its size, and each checkpoint's
// signature with the console key that signed it. Runs inside verifyTenantChainIn's snapshot.

export interface TreeProblem {
  seq: number;
  eventId: string | null;
  problem: string;
}

function publicKeyMap(keys: CheckpointKeys): Map<string, string> {
  return keys instanceof Map
    ? new Map(keys)
    : new Map((keys as { kid: string; publicKey: string }[]).map((k) => [k.kid, k.publicKey]));
}

/**
 * The ranges of stored nodes completed by leaves [a, b): per level, node i ends at leaf
 * (i+1)·2^l − 1. Levels below STORED_FROM_LEVEL are derived from the rows themselves, not stored.
 */
function completedRanges(a: number, b: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let level = STORED_FROM_LEVEL; 2 ** level <= b; level++) {
    const w = 2 ** level;
    const lo = Math.ceil((a + 1) / w) - 1;
    const hi = Math.floor(b / w) - 1;
    if (lo <= hi) out.push([level, lo, hi]);
  }
  return out;
}

export class TreeVerifier {
  private frontier = new Frontier();
  private cps: TreeCheckpoint[] = [];
  private nextCp = 0;
  /** Nodes whose stored hash differs from the recomputed one: their ancestors differ as a consequence. */
  private mismatched = new Set<string>();
  /** Leaves whose row no longer matches its stored content hash (already named). */
  private editedLeaves: number[] = [];
  readonly problems: TreeProblem[] = [];

  private constructor(
    private db: Executor,
    private tenant: string,
  ) {}

  /**
   * `anchor`: the size of the tenant's latest retention cut (docs/retention.md). The rows below
   * it are gone; the tree grows on from its right edge as stored, which must hash to the root of
   * a signed tree checkpoint of exactly that size.
   */
  static async start(
    db: Executor,
    args: { tenant: string; keys: CheckpointKeys; anchor?: number },
  ): Promise<TreeVerifier> {
    const v = new TreeVerifier(db, args.tenant);
    v.cps = await db
      .select()
      .from(treeCheckpoints)
      .where(eq(treeCheckpoints.tenant, args.tenant))
      .orderBy(asc(treeCheckpoints.size));
    const keys = publicKeyMap(args.keys);
    for (const cp of v.cps) v.checkNote(cp, keys.get(cp.kid));
    const anchor = args.anchor ?? 0;
    if (anchor > 0) {
      const ids = nodesForRoot(anchor);
      const nodes = await fetchNodes(db, args.tenant, ids);
      const edge: TreeNode[] = [];
      for (const id of ids) {
        const hash = nodes.get(nodeKey(id));
        if (hash) edge.push({ ...id, hash });
        else
          v.report(
            anchor,
            null,
            `merkle node ${nodeKey(id)} of the tree at the retention cut (${anchor}) is missing`,
          );
      }
      if (edge.length === ids.length) v.frontier = Frontier.fromEdge(anchor, edge);
      else v.frontier.size = anchor;
      while (v.nextCp < v.cps.length && (v.cps[v.nextCp] as TreeCheckpoint).size < anchor) v.nextCp++;
      const at = v.cps[v.nextCp];
      if (!at || at.size !== anchor)
        v.report(anchor, null, `no signed tree checkpoint of size ${anchor} (the retention cut)`);
      else if (edge.length === ids.length) {
        v.nextCp++;
        if (!equalHash(at.root, v.frontier.root()))
          v.report(
            anchor,
            null,
            `the stored tree at the retention cut (${anchor}) differs from its signed checkpoint`,
          );
      }
    }
    return v;
  }

  get checkpoints() {
    return this.cps;
  }

  private report(seq: number, eventId: string | null, problem: string) {
    this.problems.push({ seq, eventId, problem });
  }

  private checkNote(cp: TreeCheckpoint, publicKey: string | undefined) {
    const at = `tree checkpoint of size ${cp.size}`;
    if (!publicKey) return this.report(cp.size, null, `${at} signed by unknown key ${cp.kid}`);
    // The log's own name (CONSOLE_LOG_ORIGIN) is the deployment's; the tenant part must be this tenant's.
    if (!cp.origin.endsWith(treeOrigin("", this.tenant)))
      return this.report(cp.size, null, `${at} names another log (${cp.origin})`);
    try {
      const key = parseVkey(vkey(cp.origin, rawPublicKey(publicKey)));
      const body = parseCheckpointText(openNote(cp.note, [key]).text);
      if (body.origin !== cp.origin || body.size !== cp.size || !equalHash(body.root, cp.root))
        this.report(cp.size, null, `${at}: the signed note does not say the stored size and root`);
    } catch (err) {
      this.report(cp.size, null, `${at}: ${err instanceof NoteError ? err.message : "note unreadable"}`);
    }
  }

  /** One page of the tenant's rows, in seq order, continuing the last page. */
  async page(rows: readonly Event[], keys?: SubjectKeys): Promise<void> {
    if (rows.length === 0) return;
    const a = this.frontier.size;
    const b = a + rows.length;
    const stored = await this.fetch(completedRanges(a, b));
    const seen = new Set<string>();
    rows.forEach((row, i) => {
      const index = a + i;
      // The leaf from the row's content as stored now: an edited row breaks its leaf.
      let leaf: Uint8Array;
      try {
        leaf = leafOfContentHash(contentHash(row, keys));
      } catch {
        leaf = new Uint8Array(32);
      }
      // The stored tree's leaf is the one of the row's stored content hash (the levels below
      // STORED_FROM_LEVEL are derived from it): an edited row no longer matches it.
      let storedLeaf: Uint8Array | null = null;
      try {
        storedLeaf = leafOfContentHash(row.contentHash);
      } catch {}
      if (!storedLeaf || !equalHash(storedLeaf, leaf)) {
        this.editedLeaves.push(index);
        this.report(
          index + 1,
          row.id,
          `leaf ${index} (seq ${index + 1}, event ${row.id}) differs from the stored tree`,
        );
      }
      for (const node of this.frontier.append(leaf)) {
        if (node.level < STORED_FROM_LEVEL) continue;
        seen.add(nodeKey(node));
        const firstRow = rows[node.index * 2 ** node.level - a];
        this.compare(node, stored.get(nodeKey(node)), firstRow?.id ?? null, index);
      }
      while (this.nextCp < this.cps.length && (this.cps[this.nextCp] as TreeCheckpoint).size === index + 1) {
        const cp = this.cps[this.nextCp++] as TreeCheckpoint;
        if (!equalHash(cp.root, this.frontier.root()))
          this.report(
            index + 1,
            row.id,
            `the tree of size ${cp.size} differs from its signed checkpoint (tree rewritten up to seq ${index + 1}, event ${row.id})`,
          );
      }
    });
    for (const key of stored.keys())
      if (!seen.has(key)) this.report(a + 1, null, `stored merkle node ${key} is not part of the tree`);
  }

  /** `firstEventId`: the event of the node's first leaf, when it is in the page at hand. */
  private compare(
    node: TreeNode,
    stored: Uint8Array | undefined,
    firstEventId: string | null,
    index: number,
  ) {
    const first = node.index * 2 ** node.level + 1;
    const covers = `seq ${first}..${index + 1}`;
    if (!stored) {
      this.report(first, firstEventId, `merkle node ${nodeKey(node)} (${covers}) is missing from the store`);
      return;
    }
    if (equalHash(stored, node.hash)) return;
    this.mismatched.add(nodeKey(node));
    const children = [0, 1].map((j) => nodeKey({ level: node.level - 1, index: node.index * 2 + j }));
    // Named once, where it starts: an edited row, or else the lowest stored node that differs.
    if (children.some((c) => this.mismatched.has(c))) return;
    const lo = node.index * 2 ** node.level;
    if (this.editedLeaves.some((i) => i >= lo && i < lo + 2 ** node.level)) return;
    this.report(
      first,
      firstEventId,
      node.level === STORED_FROM_LEVEL
        ? `stored merkle node ${nodeKey(node)} (${covers}) differs from the tree of those rows: one of them was edited or the node rewritten`
        : `stored merkle node ${nodeKey(node)} (${covers}) differs from the recomputed tree`,
    );
  }

  private async fetch(ranges: [number, number, number][]): Promise<Map<string, Uint8Array>> {
    if (ranges.length === 0) return new Map();
    // One index range scan per level (a join against a JSON list scanned the whole tree).
    const where = sql.join(
      ranges.map(([level, lo, hi]) => sql`(level = ${level} and idx between ${lo} and ${hi})`),
      sql` or `,
    );
    const res = (await this.db.execute(sql`
      select level, idx, encode(hash, 'hex') as hash from merkle_nodes
       where tenant = ${this.tenant} and (${where})`)) as {
      rows: { level: number; idx: string | number; hash: string }[];
    };
    return new Map(
      res.rows.map((r) => [
        nodeKey({ level: Number(r.level), index: Number(r.idx) }),
        Uint8Array.from(Buffer.from(r.hash, "hex")),
      ]),
    );
  }

  /** After the last row: checkpoints and stored leaves past it mean a removed tail. */
  async finish(): Promise<void> {
    const rows = this.frontier.size;
    for (const cp of this.cps.slice(this.nextCp))
      this.report(
        rows + 1,
        null,
        `tree checkpoint covers size ${cp.size} but rows end at ${rows} (tail removed)`,
      );
    // A stored node reaching past the last row: rows it covered were removed.
    const res = (await this.db.execute(
      sql`select coalesce(max((idx + 1) * (1::bigint << level)), 0)::bigint as n from merkle_nodes
           where tenant = ${this.tenant} and level >= ${STORED_FROM_LEVEL}`,
    )) as { rows: { n: string | number }[] };
    const covered = Number(res.rows[0]?.n ?? 0);
    if (covered > rows)
      this.report(
        rows + 1,
        null,
        `the stored tree covers ${covered} leaves but rows end at seq ${rows}: rows removed`,
      );
  }
}
