import { and, eq, gt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { type Checkpoint, chainHeads, checkpoints, events } from "@/db/schema";
import { type CheckpointSigner, signCheckpoint } from "./checkpoint";

/**
 * The promise docs/ingest.md makes: every committed event, whoever wrote it (ingest, a server
 * action, a sign-in), is covered by a signed checkpoint within this many milliseconds.
 */
export const CHECKPOINT_BOUND_MS = 5_000;
/** How often each console process looks for moved heads; the bound leaves room for a slow round. */
export const CHECKPOINT_INTERVAL_MS = 1_000;

// One round at a time across every console instance on one PostgreSQL: a transaction-level
// advisory lock, so two instances never sign the same head. The number is arbitrary but fixed.
const ROUND_LOCK = 0x63_63_70_74; // "ccpt"

export interface SignedCheckpoint extends Omit<Checkpoint, "id"> {
  /** How long the oldest event it newly covers waited for a checkpoint (received_at to signing). */
  lagMs: number;
}

/**
 * Signs a checkpoint for every tenant whose chain head moved past its latest checkpoint. Reads
 * only committed heads and never locks chain_heads, so ingest and console writes never wait for
 * it, and a checkpoint can never name a head that is later rolled back. Returns what it signed:
 * nothing when another instance holds the round.
 */
export async function checkpointMovedHeads(
  db: Db,
  args: { signer: CheckpointSigner; now?: () => Date },
): Promise<SignedCheckpoint[]> {
  return db.transaction(async (tx) => {
    const lock = (await tx.execute(sql`select pg_try_advisory_xact_lock(${ROUND_LOCK}) as ok`)) as {
      rows: { ok: boolean }[];
    };
    if (!lock.rows[0]?.ok) return [];
    // Taken after the lock: a round that just committed elsewhere is visible (READ COMMITTED).
    const covered = sql`coalesce((select max(c.seq) from ${checkpoints} c where c.tenant = ${chainHeads.tenant}), 0)`;
    const due = await tx
      .select({ tenant: chainHeads.tenant, seq: chainHeads.seq, hash: chainHeads.hash, covered })
      .from(chainHeads)
      .where(and(gt(chainHeads.seq, 0), sql`${chainHeads.seq} > ${covered}`))
      .orderBy(chainHeads.tenant);
    const signed: SignedCheckpoint[] = [];
    for (const head of due) {
      const row = signCheckpoint(
        args.signer,
        { tenant: head.tenant, seq: head.seq, hash: head.hash },
        args.now?.(),
      );
      await tx.insert(checkpoints).values(row);
      const [oldest] = await tx
        .select({ receivedAt: events.receivedAt })
        .from(events)
        .where(and(eq(events.tenant, head.tenant), eq(events.seq, Number(head.covered) + 1)));
      const lagMs = oldest ? row.signedAt.getTime() - oldest.receivedAt.getTime() : 0;
      signed.push({ ...row, lagMs });
    }
    return signed;
  });
}

export interface Checkpointer {
  /** Runs one round now (after any round in flight); what it signed. */
  tick(): Promise<SignedCheckpoint[]>;
  /** Stops the timer and waits for a round in flight. */
  stop(): Promise<void>;
}

/**
 * Runs checkpointMovedHeads every intervalMs in this process until stopped. Rounds never
 * overlap (the next is scheduled when one ends), the timer does not keep the process alive, and
 * a failed round is logged and retried on the next tick. A round whose oldest newly covered
 * event waited longer than the bound is logged, so a missed bound is visible, not silent.
 */
export function startCheckpointer(
  db: Db,
  opts: {
    signer: CheckpointSigner;
    intervalMs?: number;
    log?: (message: string, err?: unknown) => void;
  },
): Checkpointer {
  const interval = opts.intervalMs ?? CHECKPOINT_INTERVAL_MS;
  const log = opts.log ?? ((m, e) => console.error(`[checkpointer] ${m}`, e ?? ""));
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SignedCheckpoint[]> = Promise.resolve([]);

  const round = async (): Promise<SignedCheckpoint[]> => {
    const signed = await checkpointMovedHeads(db, { signer: opts.signer });
    for (const c of signed)
      if (c.lagMs > CHECKPOINT_BOUND_MS)
        log(
          `tenant ${c.tenant}: events waited ${c.lagMs} ms for checkpoint seq ${c.seq} (bound ${CHECKPOINT_BOUND_MS} ms)`,
        );
    return signed;
  };
  const tick = () => {
    running = running.catch(() => []).then(round);
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick()
        .catch((err) => log("round failed; retrying on the next tick", err))
        .finally(schedule);
    }, interval);
    timer.unref();
  };
  schedule();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => {});
    },
  };
}
