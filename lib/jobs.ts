// Background jobs that must run in one console instance at a time, however many instances share
// one PostgreSQL: checkpoint signing now, retention later. Each round of such a job is one
// transaction that first tries the job's advisory lock (pg_try_advisory_xact_lock, which never
// waits): the instance that gets it runs the round, the others skip theirs. The lock goes with
// the transaction, on commit, rollback, or the holder's connection ending (a crashed or killed
// instance: PostgreSQL ends its backend), so any instance's next round takes over; there is no
// lease to expire and nothing to clean up. A job that has more to do than one round should do
// (a retention sweep) does a bounded batch per round and asks for the next at once (`again`).
//
// Work shared out per row instead (stream deliveries, alert rules) uses row leases, so several
// instances deliver different streams at the same time (lib/streams/deliver.ts,
// lib/alerts/runner.ts); a job belongs here when its rounds must not overlap at all.
import { sql } from "drizzle-orm";
import { ADVISORY_LOCKS } from "@/db/advisory-locks";
import type { Db, Tx } from "@/db/client";
import { type Pace, type Rounds, startRounds } from "@/lib/rounds";

/** Each exclusive job and its advisory lock key (db/advisory-locks.ts). */
export const EXCLUSIVE_JOBS = {
  checkpoint: ADVISORY_LOCKS.checkpointJob,
  retention: ADVISORY_LOCKS.retentionJob,
} as const satisfies Record<string, number>;

export type ExclusiveJob = keyof typeof EXCLUSIVE_JOBS;

/** A round's outcome: what the work returned, or that another instance held the job. */
export type Exclusive<T> = { ran: true; value: T } | { ran: false };

/**
 * Runs `work` inside a transaction holding the job's lock, or not at all (`ran: false`) while
 * another transaction, in this instance or another, holds it. `work` should use `tx`: what it
 * writes commits with the round, and a round that throws rolls back and frees the job.
 */
export async function runExclusive<T>(
  db: Db,
  job: ExclusiveJob,
  work: (tx: Tx) => Promise<T>,
): Promise<Exclusive<T>> {
  return db.transaction(async (tx) => {
    const lock = (await tx.execute(sql`select pg_try_advisory_xact_lock(${EXCLUSIVE_JOBS[job]}) as ok`)) as {
      rows: { ok: boolean }[];
    };
    if (!lock.rows[0]?.ok) return { ran: false } as const;
    return { ran: true, value: await work(tx) } as const;
  });
}

/**
 * Runs the job every `intervalMs` in this process (lib/rounds.ts: rounds never overlap here, the
 * timer keeps no process alive, a failed round is logged and retried), each round under the job's
 * lock, so across instances one round runs at a time. Every instance runs it; that is the
 * takeover: whichever instance ticks first after the holder is gone runs the next round.
 */
export function startExclusiveJob<T>(
  db: Db,
  opts: {
    job: ExclusiveJob;
    intervalMs: number;
    work: (tx: Tx) => Promise<T>;
    /** Run the next round at once (a bounded batch left more to do). */
    again?: (value: T) => boolean;
    log: (message: string, err?: unknown) => void;
    pace?: Pace;
  },
): Rounds<Exclusive<T>> {
  return startRounds<Exclusive<T>>({
    intervalMs: opts.intervalMs,
    round: () => runExclusive(db, opts.job, opts.work),
    empty: { ran: false },
    log: opts.log,
    again: (r) => r.ran && (opts.again?.(r.value) ?? false),
    pace: opts.pace,
  });
}
