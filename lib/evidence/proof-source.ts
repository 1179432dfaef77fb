import "server-only";
import { asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { events } from "@/db/schema";
import type { Hash } from "@/lib/merkle/hash";
import { leafHash } from "@/lib/merkle/hash";
import { checkpointText, signNote, vkey } from "@/lib/merkle/note";
import { appendLeaves, inclusionProof, mapSource, nodeKey, rootFromNodes } from "@/lib/merkle/proof";

/** A signed tree checkpoint of one tenant's log (lib/merkle/store.ts's shape). */
export interface TreeCheckpoint {
  size: number;
  root: Uint8Array;
  /** The full C2SP signed note. */
  note: string;
  signedAt: Date;
  kid: string;
}

/**
 * What the bundle builder needs from the Merkle log (docs/evidence-contract §5), bound to one
 * database: the merkle helper's lib/merkle/store.ts functions, or an in-memory tree in tests.
 */
export interface ProofSource {
  /** Makes sure a signed checkpoint covers the tenant's head now (the checkpointer's round). */
  checkpointNow(tenant: string): Promise<void>;
  getLatestTreeCheckpoint(tenant: string): Promise<TreeCheckpoint | null>;
  getInclusionProofs(args: {
    tenant: string;
    indices: number[];
    size: number;
  }): Promise<Map<number, Uint8Array[]>>;
  /** vkeys of every console key (current and retired) for the tenant's origin. */
  logVerifierKeys(tenant: string): string[] | Promise<string[]>;
}

export interface NoteSigner {
  kid: string;
  publicKey: Uint8Array;
  sign: (message: Uint8Array) => Uint8Array;
}

/**
 * A proof source over an in-memory tree of leaf data (32-byte content hashes), per tenant:
 * tests, and a fallback that rebuilds the tree from the events table (`fromDb`).
 */
export function memoryProofSource(args: {
  origin: (tenant: string) => string;
  signers: readonly NoteSigner[];
  /** The tenant's leaf data in chain order (leaf i = seq i + 1). */
  leaves: (tenant: string) => Promise<Uint8Array[]>;
  now?: () => Date;
}): ProofSource {
  const signer = args.signers[0];
  if (!signer) throw new Error("memoryProofSource needs a signer");
  const trees = new Map<string, { size: number; nodes: Map<string, Hash>; checkpoint: TreeCheckpoint }>();
  async function build(tenant: string) {
    const leaves = await args.leaves(tenant);
    const nodes = new Map<string, Hash>();
    const { nodes: made } = appendLeaves(0, leaves.map(leafHash), mapSource(nodes));
    for (const n of made) nodes.set(nodeKey(n), n.hash);
    const size = leaves.length;
    const root = rootFromNodes(size, mapSource(nodes));
    const origin = args.origin(tenant);
    const note = signNote(checkpointText({ origin, size, root, extensions: [] }), {
      name: origin,
      publicKey: (signer as NoteSigner).publicKey,
      sign: (signer as NoteSigner).sign,
    });
    const tree = {
      size,
      nodes,
      checkpoint: { size, root, note, signedAt: args.now?.() ?? new Date(), kid: (signer as NoteSigner).kid },
    };
    trees.set(tenant, tree);
    return tree;
  }
  return {
    async checkpointNow(tenant) {
      await build(tenant);
    },
    async getLatestTreeCheckpoint(tenant) {
      const tree = trees.get(tenant) ?? (await build(tenant));
      return tree.size === 0 ? null : tree.checkpoint;
    },
    async getInclusionProofs({ tenant, indices, size }) {
      const tree = trees.get(tenant) ?? (await build(tenant));
      if (size > tree.size) throw new Error(`no tree of size ${size} for ${tenant}`);
      const get = mapSource(tree.nodes);
      return new Map(indices.map((i) => [i, inclusionProof(i, size, get)]));
    },
    logVerifierKeys(tenant) {
      return args.signers.map((s) => vkey(args.origin(tenant), s.publicKey));
    },
  };
}

/** The tenant's leaf data read from the events table in chain order (the fallback's input). */
export async function leavesFromDb(db: Db, tenant: string): Promise<Uint8Array[]> {
  const rows = await db
    .select({ contentHash: events.contentHash })
    .from(events)
    .where(eq(events.tenant, tenant))
    .orderBy(asc(events.seq));
  return rows.map((r) => Uint8Array.from(Buffer.from(r.contentHash.slice("sha256:".length), "hex")));
}
