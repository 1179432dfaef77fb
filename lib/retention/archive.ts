// A retention archive (issue 17 point 2; docs/retention.md): one tenant's chain segment, seq
// (start.seq, end.seq], as gzip'd JSON Lines. The first line is the header: where the segment
// starts and ends in the chain (hash, signed chain checkpoint, signed Merkle tree checkpoint, and
// the tree's right edge at the start), and the console public keys that signed them. Every other
// line is one event row exactly as stored. verifyArchive checks all of it offline: each row's
// content hash, every chain link from the start anchor to the signed end, and the Merkle tree
// grown from the start's signed edge to the end's signed root. A restored archive is put back
// only after it verifies (lib/retention/restore.ts).
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { createGunzip, createGzip } from "node:zlib";
import type { Event } from "@/db/schema";
import { chainHash, contentHash, contentHashOpened, GENESIS_HASH } from "@/lib/audit/chain";
import { type CheckpointKeys, checkpointVerifier } from "@/lib/audit/checkpoint";
import { ContentUnverifiable, commitmentsFromSalts } from "@/lib/audit/subjects";
import { Frontier, type TreeNode } from "@/lib/merkle/frontier";
import { equalHash } from "@/lib/merkle/hash";
import { NoteError, openNote, parseCheckpointText, parseVkey, vkey } from "@/lib/merkle/note";
import { rawPublicKey, treeOrigin } from "@/lib/merkle/sign";
import { leafOfContentHash } from "@/lib/merkle/store";

/**
 * Version 2: erasable rows carry `salts` (lib/audit/subjects.ts). A reader of version 1 would
 * call those rows edited, so it refuses the file by its format instead. Version 1 is still read.
 */
export const ARCHIVE_FORMAT = "capability-console-archive/2";
const ARCHIVE_FORMAT_V1 = "capability-console-archive/1";

export interface ChainCheckpointJson {
  tenant: string;
  seq: number;
  hash: string;
  signedAt: string;
  kid: string;
  signature: string;
}

export interface ArchiveAnchor {
  seq: number;
  hash: string;
  /** The signed chain checkpoint at seq (null only at genesis, seq 0). */
  checkpoint: ChainCheckpointJson | null;
  /** The signed tree checkpoint note of size seq (null only at genesis). */
  treeNote: string | null;
  /** The tree's right edge at seq: hex hashes of nodesForRoot(seq), largest first. */
  edge: { level: number; index: number; hash: string }[];
}

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT | typeof ARCHIVE_FORMAT_V1;
  tenant: string;
  /** The Merkle log's origin for this tenant (the tree notes' first line). */
  origin: string;
  /** Events received before this instant had expired (the month the cut ends at). */
  before: string;
  createdAt: string;
  events: number;
  start: ArchiveAnchor;
  end: ArchiveAnchor;
  /** The console keys that signed the checkpoints (verify with keys you trust, not these). */
  keys: { kid: string; publicKey: string }[];
}

type Row = Omit<Event, "ts" | "receivedAt"> & { ts: string; receivedAt: string };

/** A row as archived: an erasable, not erased, row also carries its salts by field (hex). */
export type ArchivedEvent = Event & { salts?: Record<string, string> };

export function archiveFileName(tenant: string, fromSeq: number, toSeq: number): string {
  return `${encodeURIComponent(tenant)}-seq-${fromSeq}-${toSeq}.ccarchive.jsonl.gz`;
}

/** Writes an archive: header, then each row; fsyncs, then renames into place. */
export async function writeArchive(
  dir: string,
  header: ArchiveHeader,
  rows: AsyncIterable<readonly Event[]>,
): Promise<{ file: string; sha256: string; bytes: number }> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, archiveFileName(header.tenant, header.start.seq + 1, header.end.seq));
  const tmp = `${file}.partial`;
  const gzip = createGzip();
  const out = createWriteStream(tmp, { mode: 0o600 });
  const hash = createHash("sha256");
  let bytes = 0;
  gzip.on("data", (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  gzip.pipe(out);
  const write = (line: string) =>
    new Promise<void>((resolve, reject) => gzip.write(`${line}\n`, (err) => (err ? reject(err) : resolve())));
  try {
    await write(JSON.stringify(header));
    for await (const page of rows)
      for (const row of page)
        await write(
          JSON.stringify({ ...row, ts: row.ts.toISOString(), receivedAt: row.receivedAt.toISOString() }),
        );
    await new Promise<void>((resolve, reject) => {
      out.on("finish", resolve);
      out.on("error", reject);
      gzip.end();
    });
    const fd = await open(tmp, "r");
    await fd.sync();
    await fd.close();
    await rename(tmp, file);
  } catch (err) {
    gzip.destroy();
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  return { file, sha256: `sha256:${hash.digest("hex")}`, bytes };
}

/** The header and the rows of an archive, read as a stream (memory stays flat). */
export async function* readArchive(
  file: string,
): AsyncGenerator<{ header: ArchiveHeader } | { row: ArchivedEvent; line: number }> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n += 1;
    if (text === "") continue;
    const value = JSON.parse(text) as unknown;
    if (n === 1) {
      const h = value as ArchiveHeader;
      if (h?.format !== ARCHIVE_FORMAT && h?.format !== ARCHIVE_FORMAT_V1)
        throw new Error(`${file}: not a ${ARCHIVE_FORMAT} (or /1) archive`);
      yield { header: h };
    } else {
      const r = value as Row;
      yield {
        row: { ...r, ts: new Date(r.ts), receivedAt: new Date(r.receivedAt) } as ArchivedEvent,
        line: n,
      };
    }
  }
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

export interface ArchiveVerification {
  ok: boolean;
  header: ArchiveHeader | null;
  rows: number;
  problems: string[];
  /** True when no keys were given and the archive's own were used (proves integrity, not origin). */
  selfKeyed: boolean;
}

function edgeOf(anchor: ArchiveAnchor): TreeNode[] {
  return anchor.edge.map((n) => ({
    level: n.level,
    index: n.index,
    hash: Uint8Array.from(Buffer.from(n.hash, "hex")),
  }));
}

/** The root a signed tree note states, or a problem. */
function noteRoot(
  note: string,
  origin: string,
  size: number,
  keys: ReadonlyMap<string, string>,
): Uint8Array | string {
  const verifiers = [...keys.values()].flatMap((k) => {
    try {
      return [parseVkey(vkey(origin, rawPublicKey(k)))];
    } catch {
      return [];
    }
  });
  try {
    const body = parseCheckpointText(openNote(note, verifiers).text);
    if (body.origin !== origin) return `names another log (${body.origin})`;
    if (body.size !== size) return `is of size ${body.size}, not ${size}`;
    return body.root;
  } catch (err) {
    return err instanceof NoteError ? err.message : "unreadable";
  }
}

/**
 * Verifies an archive offline. `keys`: the console public keys you trust (GET /api/v1/keys, or
 * the evidence bundle's); without them the archive's own are used, which shows the file is whole
 * and self-consistent but not that the console signed it (selfKeyed says so).
 */
export async function verifyArchive(file: string, keys?: CheckpointKeys): Promise<ArchiveVerification> {
  const problems: string[] = [];
  const report = (p: string) => {
    if (problems.length < 20) problems.push(p);
  };
  let header: ArchiveHeader | null = null;
  let rows = 0;
  let trusted: Map<string, string> = new Map();
  let frontier = new Frontier();
  let prevHash = GENESIS_HASH;
  let expected = 1;
  let verifyChainCp: ReturnType<typeof checkpointVerifier> | null = null;
  try {
    for await (const item of readArchive(file)) {
      if ("header" in item) {
        header = item.header;
        const given = keys
          ? keys instanceof Map
            ? [...keys.entries()]
            : (keys as { kid: string; publicKey: string }[]).map(
                (k) => [k.kid, k.publicKey] as [string, string],
              )
          : header.keys.map((k) => [k.kid, k.publicKey] as [string, string]);
        trusted = new Map(given);
        verifyChainCp = checkpointVerifier(trusted);
        const { start, end } = header;
        if (!header.origin.endsWith(treeOrigin("", header.tenant)))
          report(`the tree origin ${header.origin} is not tenant ${header.tenant}'s`);
        if (end.seq < start.seq) report(`the segment ends (${end.seq}) before it starts (${start.seq})`);
        if (header.events !== end.seq - start.seq)
          report(`the header says ${header.events} events for seq ${start.seq + 1}..${end.seq}`);
        for (const [name, a] of [
          ["start", start],
          ["end", end],
        ] as const) {
          if (a.seq === 0) {
            if (a.hash !== GENESIS_HASH || a.edge.length > 0) report(`${name}: seq 0 is not the genesis`);
            continue;
          }
          const cp = a.checkpoint;
          if (!cp) report(`${name}: no signed checkpoint at seq ${a.seq}`);
          else {
            const sig = verifyChainCp({ ...cp, signedAt: new Date(cp.signedAt) });
            if (sig !== "ok")
              report(
                `${name}: the chain checkpoint at seq ${a.seq} ${sig === "unknown_kid" ? `is signed by unknown key ${cp.kid}` : "has a bad signature"}`,
              );
            if (cp.tenant !== header.tenant || cp.seq !== a.seq || cp.hash !== a.hash)
              report(`${name}: the signed chain checkpoint does not say seq ${a.seq} and hash ${a.hash}`);
          }
          if (!a.treeNote) report(`${name}: no signed tree checkpoint of size ${a.seq}`);
          else {
            const root = noteRoot(a.treeNote, header.origin, a.seq, trusted);
            if (typeof root === "string") report(`${name}: the tree checkpoint ${root}`);
            else {
              try {
                const f = Frontier.fromEdge(a.seq, edgeOf(a));
                if (!equalHash(f.root(), root))
                  report(`${name}: the tree edge does not hash to the signed root`);
              } catch (err) {
                report(`${name}: ${(err as Error).message}`);
              }
            }
          }
        }
        try {
          frontier = Frontier.fromEdge(start.seq, edgeOf(start));
        } catch {
          frontier = new Frontier();
          frontier.size = start.seq;
        }
        prevHash = start.hash;
        expected = start.seq + 1;
        continue;
      }
      if (!header) break;
      const { row } = item;
      rows += 1;
      const at = `seq ${row.seq} (line ${item.line})`;
      if (row.tenant !== header.tenant) report(`${at}: belongs to tenant ${row.tenant}`);
      if (row.seq !== expected)
        report(`${at}: expected seq ${expected} (rows missing, repeated or reordered)`);
      if (row.prevHash !== prevHash) report(`${at}: prev_hash does not link to the previous row`);
      // An erasable row carries the salts of its commitments (the subject keys stay behind).
      const salts = (row as ArchivedEvent).salts;
      let content: string;
      try {
        content = salts ? contentHashOpened(row, commitmentsFromSalts(row, salts)) : contentHash(row);
      } catch (err) {
        if (!(err instanceof ContentUnverifiable)) throw err;
        report(`${at}: ${err.message}`);
        content = "";
      }
      if (content && content !== row.contentHash)
        report(`${at}: content differs from its content hash (row edited)`);
      if (
        chainHash({
          tenant: header.tenant,
          seq: row.seq,
          prevHash: row.prevHash,
          contentHash: row.contentHash,
        }) !== row.hash
      )
        report(`${at}: hash does not match seq, prev_hash and content hash`);
      try {
        // A row already reported keeps the tree going on its stored hash (one problem, not two).
        frontier.append(leafOfContentHash(content || row.contentHash));
      } catch {
        report(`${at}: content hash unreadable`);
      }
      prevHash = row.hash;
      expected = row.seq + 1;
    }
  } catch (err) {
    report(`unreadable: ${(err as Error).message}`);
  }
  if (!header)
    return {
      ok: false,
      header: null,
      rows,
      problems: problems.length ? problems : ["no header"],
      selfKeyed: !keys,
    };
  if (expected - 1 !== header.end.seq)
    report(`rows end at seq ${expected - 1}, the header says ${header.end.seq}`);
  if (prevHash !== header.end.hash)
    report(`the last row's hash differs from the signed end (${header.end.hash})`);
  if (header.end.treeNote) {
    const root = noteRoot(header.end.treeNote, header.origin, header.end.seq, trusted);
    if (typeof root !== "string" && !equalHash(frontier.root(), root))
      report(`the rows' Merkle tree differs from the signed tree checkpoint of size ${header.end.seq}`);
  }
  return { ok: problems.length === 0, header, rows, problems, selfKeyed: !keys };
}
