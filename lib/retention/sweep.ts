// Retention (issue 17 point 2; docs/retention.md). A tenant's admin sets how many days its events
// are kept (tenants.settings.retentionDays; none: forever). Events go a whole month of
// received_at at a time, once the month is older than that: the tenant's chain prefix up to the
// last such event is written to an archive, the archive is read back
// and verified, the cut is recorded (a retention_cuts row and a console.retention.cut event in
// the tenant's own chain), and only then are the rows deleted. A month's partition is dropped
// once no tenant has rows left in it. One instance runs this at a time (lib/jobs.ts).
import path from "node:path";
import { and, eq, gt, isNull, lt, lte, max, sql } from "drizzle-orm";
import type { Db, Executor, Tx } from "@/db/client";
import { durableCommit } from "@/db/durability";
import { ensureEventPartitions, listEventPartitions, monthStart } from "@/db/partitions";
import {
  checkpoints,
  type Event,
  events,
  issuers,
  retentionCuts,
  tenants,
  treeCheckpoints,
} from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { GENESIS_HASH } from "@/lib/audit/chain";
import { type CheckpointSigner, signCheckpoint } from "@/lib/audit/checkpoint";
import { consoleEvents } from "@/lib/audit/console-event";
import { latestCut } from "@/lib/audit/cuts";
import { subtractFromRollups } from "@/lib/audit/rollups";
import { ContentUnverifiable, saltsOf, shareSubjectKeys, subjectsOf } from "@/lib/audit/subjects";
import { loadConfig } from "@/lib/config";
import { runExclusive } from "@/lib/jobs";
import { nodeKey, nodesForRoot } from "@/lib/merkle/proof";
import { publicKeyOfSigner, signTreeCheckpoint, treeOrigin } from "@/lib/merkle/sign";
import { fetchNodes, keepEdgeBelowStoredLevel, treeRoot } from "@/lib/merkle/store";
import { type Rounds, startRounds } from "@/lib/rounds";
import {
  ARCHIVE_FORMAT,
  type ArchiveAnchor,
  type ArchiveHeader,
  verifyArchive,
  writeArchive,
} from "./archive";

export const MAX_RETENTION_DAYS = 36_500;
const PAGE = 2000;

/** A tenant's retention in days, or null (kept forever), from its settings. */
export function retentionDays(settings: Record<string, unknown> | undefined): number | null {
  const d = settings?.retentionDays;
  return typeof d === "number" && Number.isInteger(d) && d >= 1 && d <= MAX_RETENTION_DAYS ? d : null;
}

/** Events received before this instant have expired: the start of the month `days` ago is in. */
export function expiryBoundary(now: Date, days: number): Date {
  return monthStart(new Date(now.getTime() - days * 86_400_000));
}

export interface RetentionCut {
  tenant: string;
  fromSeq: number;
  toSeq: number;
  events: number;
  before: Date;
  archive: { file: string; sha256: string; bytes: number };
}

export class RetentionRefused extends Error {}

interface Due {
  tenant: string;
  before: Date;
  prev: number;
  to: number;
}

/** The tenants with a cut to make, oldest boundary first. Reads only; locks nothing. */
export async function dueCuts(db: Executor, now: Date): Promise<Due[]> {
  const rows = await db
    .select({ id: tenants.id, settings: tenants.settings })
    .from(tenants)
    .orderBy(tenants.id);
  const out: Due[] = [];
  for (const t of rows) {
    const days = retentionDays(t.settings);
    if (days === null) continue;
    const before = expiryBoundary(now, days);
    const [last] = await db
      .select({ seq: max(events.seq) })
      .from(events)
      .where(and(eq(events.tenant, t.id), lt(events.receivedAt, before)));
    const to = Number(last?.seq ?? 0);
    const prev = await latestCutSeq(db, t.id);
    if (to > prev) out.push({ tenant: t.id, before, prev, to });
  }
  return out;
}

async function latestCutSeq(db: Executor, tenant: string): Promise<number> {
  return (await latestCut(db, tenant))?.seq ?? 0;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The right edge of the tenant's tree at `size`, from stored nodes (keepEdgeBelowStoredLevel kept its low pieces). */
async function edgeAt(db: Executor, tenant: string, size: number): Promise<ArchiveAnchor["edge"]> {
  const ids = nodesForRoot(size);
  const nodes = await fetchNodes(db, tenant, ids);
  return ids.map((id) => {
    const h = nodes.get(nodeKey(id));
    if (!h)
      throw new RetentionRefused(
        `tenant ${tenant}: merkle node ${nodeKey(id)} of the tree at ${size} is missing`,
      );
    return { level: id.level, index: id.index, hash: hex(h) };
  });
}

/**
 * The signed chain checkpoint and tree checkpoint at `seq`, signing and storing any that is
 * missing (the cut is rarely at a head the checkpointer signed). The chain hash at seq is read
 * from the row; the segment is verified against it before anything is deleted.
 */
async function anchorAt(
  tx: Executor,
  args: { tenant: string; seq: number; hash: string; signer: CheckpointSigner; origin: string; now: Date },
): Promise<ArchiveAnchor> {
  const { tenant, seq, hash } = args;
  if (seq === 0) return { seq: 0, hash: GENESIS_HASH, checkpoint: null, treeNote: null, edge: [] };
  let [cp] = await tx
    .select()
    .from(checkpoints)
    .where(and(eq(checkpoints.tenant, tenant), eq(checkpoints.seq, seq), eq(checkpoints.hash, hash)))
    .limit(1);
  if (!cp) {
    const row = signCheckpoint(args.signer, { tenant, seq, hash }, args.now);
    [cp] = await tx.insert(checkpoints).values(row).returning();
  }
  let [tree] = await tx
    .select()
    .from(treeCheckpoints)
    .where(and(eq(treeCheckpoints.tenant, tenant), eq(treeCheckpoints.size, seq)));
  if (!tree) {
    const root = await treeRoot(tx, { tenant, size: seq });
    const note = signTreeCheckpoint(args.signer, { origin: args.origin, size: seq, root });
    await tx
      .insert(treeCheckpoints)
      .values({
        tenant,
        size: seq,
        root,
        origin: args.origin,
        note,
        signedAt: args.now,
        kid: args.signer.kid,
      })
      .onConflictDoNothing();
    [tree] = await tx
      .select()
      .from(treeCheckpoints)
      .where(and(eq(treeCheckpoints.tenant, tenant), eq(treeCheckpoints.size, seq)));
  }
  if (!cp || !tree)
    throw new RetentionRefused(`tenant ${tenant}: no checkpoint could be stored at seq ${seq}`);
  return {
    seq,
    hash,
    checkpoint: {
      tenant,
      seq: cp.seq,
      hash: cp.hash,
      signedAt: cp.signedAt.toISOString(),
      kid: cp.kid,
      signature: cp.signature,
    },
    treeNote: tree.note,
    edge: await edgeAt(tx, tenant, seq),
  };
}

async function* segment(tx: Executor, tenant: string, from: number, to: number): AsyncGenerator<Event[]> {
  const read = (after: number) =>
    tx
      .select()
      .from(events)
      .where(and(eq(events.tenant, tenant), gt(events.seq, after), lte(events.seq, to)))
      .orderBy(events.seq)
      .limit(PAGE);
  for (let after = from - 1; after < to; ) {
    let page = await read(after);
    if (page.length === 0) return;
    // Erasable rows carry their salts (lib/audit/subjects.ts): the archive verifies without the
    // subject keys, and discloses each event's values only. The keys are held `for share` until
    // the cut commits, so an erasure of these people waits; the page is read again under them,
    // so a row an erasure blanked meanwhile goes into the archive blanked, never in clear.
    const subjects = subjectsOf(page);
    const keys = await shareSubjectKeys(tx, tenant, subjects);
    if (subjects.length > 0) page = await read(after);
    yield page.map((row) => {
      let salts: Record<string, string> | null = null;
      try {
        salts = saltsOf(row, keys);
      } catch (err) {
        // No key and not erased: the archive's own check names the row, and the cut is refused.
        if (!(err instanceof ContentUnverifiable)) throw err;
      }
      return salts ? { ...row, salts } : row;
    });
    after = (page.at(-1) as Event).seq;
  }
}

/**
 * Cuts one tenant's chain at `due.to`: archive, verify the archive from the file, record, delete.
 * Throws RetentionRefused (nothing deleted) when the segment does not verify: a damaged or
 * tampered chain is evidence and is kept.
 */
async function cutTenant(
  tx: Tx,
  due: Due,
  opts: { signer: CheckpointSigner; archiveDir: string; logOrigin: string; now: Date },
): Promise<RetentionCut | null> {
  const { tenant, prev, to } = due;
  const origin = treeOrigin(opts.logOrigin, tenant);
  const prevCut = await latestCut(tx, tenant);
  // Read before the lock: another instance may have made this cut since (a second console).
  if ((prevCut?.seq ?? 0) !== prev) return null;
  const startHash = prevCut?.hash ?? GENESIS_HASH;
  const [end] = await tx
    .select({ hash: events.hash })
    .from(events)
    .where(and(eq(events.tenant, tenant), eq(events.seq, to)));
  if (!end) throw new RetentionRefused(`tenant ${tenant}: the row at seq ${to} is missing`);
  // The tree below its stored levels is derived from the rows: keep the edge pieces the cut ends
  // inside before they go (lib/merkle/store.ts), for the tree at `to` and the kept leaves' proofs.
  await keepEdgeBelowStoredLevel(tx, tenant, to);
  const common = { tenant, signer: opts.signer, origin, now: opts.now };
  const start = await anchorAt(tx, { ...common, seq: prev, hash: startHash });
  const finish = await anchorAt(tx, { ...common, seq: to, hash: end.hash });
  const publicKey = publicKeyOfSigner(opts.signer);
  const header: ArchiveHeader = {
    format: ARCHIVE_FORMAT,
    tenant,
    origin,
    before: due.before.toISOString(),
    createdAt: opts.now.toISOString(),
    events: to - prev,
    start,
    end: finish,
    keys: [
      ...new Map(
        [opts.signer.kid, start.checkpoint?.kid, finish.checkpoint?.kid]
          .filter((k): k is string => Boolean(k))
          .map((kid) => [kid, { kid, publicKey }]),
      ).values(),
    ],
  };
  // Keys that signed an earlier anchor may have been rotated: verify with every console key known.
  const known = await consoleKeys(tx);
  header.keys = header.keys.map((k) => ({ kid: k.kid, publicKey: known.get(k.kid) ?? k.publicKey }));
  const dir = path.join(opts.archiveDir, encodeURIComponent(tenant));
  const archive = await writeArchive(dir, header, segment(tx, tenant, prev + 1, to));
  const check = await verifyArchive(
    archive.file,
    known.size > 0 ? known : new Map([[opts.signer.kid, publicKey]]),
  );
  if (!check.ok)
    throw new RetentionRefused(
      `tenant ${tenant}: the segment seq ${prev + 1}..${to} does not verify, nothing was deleted: ${check.problems.slice(0, 3).join("; ")}`,
    );
  const root = Buffer.from(
    (
      await tx
        .select({ root: treeCheckpoints.root })
        .from(treeCheckpoints)
        .where(and(eq(treeCheckpoints.tenant, tenant), eq(treeCheckpoints.size, to)))
    )[0]?.root ?? new Uint8Array(),
  );
  await tx.insert(retentionCuts).values({
    tenant,
    seq: to,
    fromSeq: prev + 1,
    hash: end.hash,
    treeRoot: root,
    before: due.before,
    events: to - prev,
    archive: path.basename(archive.file),
    archiveSha256: archive.sha256,
    cutAt: opts.now,
  });
  // Recorded in the tenant's own chain, after the cut: verification checks the cut against it.
  await appendEvents(
    tx,
    consoleEvents({
      actor: { email: "console", sessionId: "retention" },
      type: "console.retention.cut",
      tenants: [tenant],
      resource: { type: "Tenant", id: tenant },
      meta: {
        fromSeq: prev + 1,
        toSeq: to,
        hash: end.hash,
        treeRoot: hex(root),
        before: due.before.toISOString(),
        events: to - prev,
        archive: path.basename(archive.file),
        archiveSha256: archive.sha256,
      },
      now: opts.now,
    }),
  );
  await subtractFromRollups(tx, tenant, to);
  await tx.delete(events).where(and(eq(events.tenant, tenant), lte(events.seq, to)));
  return { tenant, fromSeq: prev + 1, toSeq: to, events: to - prev, before: due.before, archive };
}

/**
 * kid → "ed25519/<hex>" of every console key the database holds: issuers without a tenant, as
 * lib/merkle/keys.ts publishes them (a rotation leaves the old key there).
 */
async function consoleKeys(db: Executor): Promise<Map<string, string>> {
  const rows = await db
    .select({ kid: issuers.kid, publicKey: issuers.publicKey })
    .from(issuers)
    .where(isNull(issuers.tenant));
  return new Map(rows.map((r) => [r.kid, r.publicKey]));
}

/** Past months (entirely before this month) with no rows left: dropped. */
async function dropEmptyMonths(tx: Executor, now: Date): Promise<string[]> {
  const current = monthStart(now);
  const dropped: string[] = [];
  for (const p of await listEventPartitions(tx)) {
    if (p.to > current) continue;
    const res = (await tx.execute(sql.raw(`select exists (select 1 from "${p.name}") as used`))) as {
      rows: { used: boolean }[];
    };
    if (res.rows[0]?.used) continue;
    await tx.execute(sql.raw(`drop table "${p.name}"`));
    dropped.push(p.name);
  }
  return dropped;
}

export interface RetentionRound {
  /** False when another instance held the job. */
  ran: boolean;
  created: string[];
  cuts: RetentionCut[];
  dropped: string[];
  /** A tenant whose segment did not verify: nothing of it was deleted. */
  refused: string[];
  /** More cuts are due (the next round should follow at once). */
  more: boolean;
}

/**
 * One retention round: creates the months ahead, makes at most one tenant's cut (a bounded batch:
 * a month of one tenant), then drops emptied months. Partition DDL waits at most 3 s for its lock
 * (a long read holding the events table must not make every writer queue behind the DDL); a
 * round that times out is retried on the next.
 */
export async function retentionRound(
  db: Db,
  opts: {
    signer: CheckpointSigner;
    archiveDir: string;
    logOrigin?: string;
    now?: Date;
    /** Tenants refused earlier in this process: tried after every other due tenant. */
    skip?: ReadonlySet<string>;
  },
): Promise<RetentionRound> {
  const now = opts.now ?? new Date();
  const logOrigin = opts.logOrigin ?? loadConfig().logOrigin;
  const out: RetentionRound = { ran: false, created: [], cuts: [], dropped: [], refused: [], more: false };
  const ddl = await runExclusive(db, "retention", async (tx) => {
    await tx.execute(sql`set local lock_timeout = '3s'`);
    return ensureEventPartitions(tx, { now });
  });
  if (!ddl.ran) return out;
  out.ran = true;
  out.created = ddl.value;
  const due = await dueCuts(db, now);
  const first = due.find((d) => !opts.skip?.has(d.tenant)) ?? due[0];
  if (first) {
    try {
      const cut = await runExclusive(db, "retention", async (tx) => {
        await durableCommit(tx);
        return cutTenant(tx, first, { signer: opts.signer, archiveDir: opts.archiveDir, logOrigin, now });
      });
      if (cut.ran && cut.value) out.cuts.push(cut.value);
    } catch (err) {
      if (!(err instanceof RetentionRefused)) throw err;
      out.refused.push(first.tenant);
      console.error(`[retention] ${err.message}`);
    }
    out.more = due.length > 1;
  }
  const drop = await runExclusive(db, "retention", async (tx) => {
    await tx.execute(sql`set local lock_timeout = '3s'`);
    return dropEmptyMonths(tx, now);
  });
  if (drop.ran) out.dropped = drop.value;
  return out;
}

export const RETENTION_INTERVAL_MS = 10 * 60_000;

export type RetentionJob = Rounds<RetentionRound>;

/** Runs retentionRound every intervalMs (and again at once while cuts are due). */
export function startRetention(
  db: Db,
  opts: {
    signer: CheckpointSigner;
    archiveDir: string;
    intervalMs?: number;
    log?: (m: string, e?: unknown) => void;
  },
): RetentionJob {
  const log = opts.log ?? ((m, e) => console.error(`[retention] ${m}`, e ?? ""));
  const refused = new Set<string>();
  return startRounds<RetentionRound>({
    intervalMs: opts.intervalMs ?? RETENTION_INTERVAL_MS,
    round: async () => {
      const r = await retentionRound(db, { signer: opts.signer, archiveDir: opts.archiveDir, skip: refused });
      for (const c of r.cuts)
        log(
          `tenant ${c.tenant}: archived and deleted seq ${c.fromSeq}..${c.toSeq} (${c.events} events) to ${c.archive.file}`,
        );
      for (const d of r.dropped) log(`dropped empty month ${d}`);
      // A refused tenant would stop the others behind it: it goes last from now on.
      for (const t of r.refused) refused.add(t);
      for (const c of r.cuts) refused.delete(c.tenant);
      return r;
    },
    empty: { ran: false, created: [], cuts: [], dropped: [], refused: [], more: false },
    log,
    again: (r) => r.more && r.refused.length === 0,
    // Soon after start (a console restarted more often than the interval still sweeps), not at once.
    firstMs: Math.min(60_000, opts.intervalMs ?? RETENTION_INTERVAL_MS),
  });
}
