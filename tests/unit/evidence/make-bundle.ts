// Builds evidence bundles without a database, the way lib/evidence/bundle.ts does: the events'
// canonical text (lib/audit/chain.ts), an RFC 6962 tree over their content hashes
// (lib/merkle/proof.ts), a checkpoint signed as a C2SP note (lib/merkle/note.ts).
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { type ChainedContent, canonicalContent } from "@/lib/audit/chain";
import { leafHash } from "@/lib/merkle/hash";
import { checkpointText, formatTlogProof, signNote, vkey } from "@/lib/merkle/note";
import {
  appendLeaves,
  consistencyProof,
  inclusionProof,
  mapSource,
  nodeKey,
  rootFromNodes,
} from "@/lib/merkle/proof";
import { BUNDLE_FORMAT, type EvidenceBundle, EXPORT_EVENT_TYPE } from "@/packages/sdk/src/evidence/bundle";

export const ORIGIN = "console.test/capability-console";

export interface TestKey {
  publicKey: Uint8Array;
  privateKey: KeyObject;
}

export function newKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return { publicKey: Uint8Array.from(raw), privateKey };
}

export const vkeyOf = (key: TestKey, tenant = "acme") => vkey(`${ORIGIN}/${tenant}`, key.publicKey);

export function signedCheckpoint(args: {
  tenant: string;
  size: number;
  root: Uint8Array;
  key: TestKey;
}): string {
  const origin = `${ORIGIN}/${args.tenant}`;
  return signNote(checkpointText({ origin, size: args.size, root: args.root, extensions: [] }), {
    name: origin,
    publicKey: args.key.publicKey,
    sign: (m) => sign(null, m, args.key.privateKey),
  });
}

export function event(tenant: string, i: number, extra: Partial<ChainedContent> = {}): ChainedContent {
  return {
    id: `0192a0b0-0000-7000-8000-${String(i).padStart(12, "0")}`,
    ts: new Date(Date.UTC(2026, 10, 1, 12, 0, 0, i)),
    tenant,
    type: "tool.call",
    principal: "alice@acme.example",
    agent: "support-bot",
    session: "sess-1",
    request: `req-${Math.floor(i / 3)}`,
    tool: "crm.update_order",
    action: "write",
    resourceType: "Order",
    resourceId: `o_${i}`,
    outcome: i % 5 === 0 ? "denied" : "allowed",
    reason: i % 5 === 0 ? "no right write(Order)" : null,
    inputDigest: `sha256:${"ab".repeat(32)}`,
    latencyMs: 12 + i,
    meta: { note: 'quote " and é' },
    ...extra,
  };
}

function tree(leafData: Uint8Array[]) {
  const nodes = new Map<string, Uint8Array>();
  const { nodes: made } = appendLeaves(0, leafData.map(leafHash), mapSource(nodes));
  for (const n of made) nodes.set(nodeKey(n), n.hash);
  return mapSource(nodes);
}

const sha = (s: string) => Uint8Array.from(createHash("sha256").update(s).digest());

export interface Made {
  bundle: EvidenceBundle;
  bytes: Uint8Array;
  key: TestKey;
  /** The tenant's whole log (all leaf data) and a source over its tree, for later checkpoints. */
  consistencyTo(size: number): { checkpoint: string; proof: string };
}

/**
 * A tenant log of `logSize` events (plus the export event at the end); the bundle holds the
 * events at `picked` positions and is proved against a checkpoint of the head.
 */
export function makeBundle(args: {
  tenant?: string;
  logSize: number;
  picked?: number[];
  key?: TestKey;
  /** More events appended after the checkpoint (for consistency proofs). */
  after?: number;
}): Made {
  const tenant = args.tenant ?? "acme";
  const key = args.key ?? newKey();
  const log = Array.from({ length: args.logSize }, (_, i) => canonicalContent(event(tenant, i)));
  const picked = args.picked ?? log.map((_, i) => i);
  const leaves = picked.map((i) => sha(log[i] as string));
  const leavesDigest = `sha256:${createHash("sha256").update(Buffer.concat(leaves)).digest("hex")}`;
  const times = picked.map((i) => event(tenant, i).ts as Date);
  const source = {
    kind: "query" as const,
    query: "tool:crm.update_order",
    from: times.length ? (times[0] as Date).toISOString() : null,
    to: times.length ? (times[times.length - 1] as Date).toISOString() : null,
  };
  const exportedBy = { email: "ivy@acme.example", userId: "user-ivy" };
  const exportContent = {
    ...event(tenant, args.logSize, {
      type: EXPORT_EVENT_TYPE,
      principal: exportedBy.email,
      agent: "console",
      tool: null,
      request: null,
      inputDigest: null,
      reason: null,
      outcome: "allowed",
      meta: { source, eventCount: picked.length, leavesDigest, exportedBy, format: BUNDLE_FORMAT },
    }),
  };
  log.push(canonicalContent(exportContent));
  for (let j = 0; j < (args.after ?? 0); j++) log.push(canonicalContent(event(tenant, args.logSize + 1 + j)));
  const all = log.map(sha);
  const get = tree(all);
  const size = args.logSize + 1;
  const checkpoint = signedCheckpoint({ tenant, size, root: rootFromNodes(size, get), key });
  const entry = (i: number) => ({
    canonical: log[i] as string,
    proof: formatTlogProof({ index: i, proof: inclusionProof(i, size, get), signedCheckpoint: checkpoint }),
  });
  const exportCanonical = JSON.parse(log[args.logSize] as string) as { id: string; ts: string };
  const bundle: EvidenceBundle = {
    format: BUNDLE_FORMAT,
    manifest: {
      tenant,
      exportedBy,
      exportedAt: exportCanonical.ts,
      source,
      eventCount: picked.length,
      leavesDigest,
      exportEventId: exportCanonical.id,
    },
    vkeys: [vkeyOf(key, tenant)],
    checkpoint,
    exportEvent: entry(args.logSize),
    events: picked.map(entry),
  };
  return {
    bundle,
    bytes: new TextEncoder().encode(JSON.stringify(bundle)),
    key,
    consistencyTo(to) {
      const later = signedCheckpoint({ tenant, size: to, root: rootFromNodes(to, get), key });
      const proof = consistencyProof(size, to, get).map((h) => Buffer.from(h).toString("base64"));
      return { checkpoint: later, proof: `${proof.join("\n")}\n` };
    },
  };
}

export const encode = (b: EvidenceBundle) => new TextEncoder().encode(JSON.stringify(b));
