import { sql } from "drizzle-orm";
import { type Database, openDatabase } from "./client";

// The console's fixed advisory lock keys (single bigint form), in one list so no two uses share
// one by accident. A key never changes once released: an old and a new instance running side by
// side during a rolling upgrade must still exclude each other. Per-row locks keyed by a hash
// (sign-in limits, API keys, issuer keys) stay beside their statements.
export const ADVISORY_LOCKS = {
  /** db/migrate.ts: one migrator at a time (several instances starting at once). */
  migrate: 7_357_001,
  /** scripts/start.ts: one first start (console key registration, demo load, seed) at a time. */
  firstStart: 7_357_002,
  /** lib/jobs.ts "checkpoint": the checkpoint signing round (its key since issue 4: "ccpt"). */
  checkpointJob: 0x63_63_70_74,
  /** lib/jobs.ts "retention": partitions ahead, retention cuts, dropping emptied months ("ccrt"). */
  retentionJob: 0x63_63_72_74,
} as const;

/**
 * Runs `fn` while this process holds a session-level advisory lock, waiting for it if another
 * process holds it. The lock lives on a connection of its own (a session lock taken through a
 * pool could be released on another connection), and dies with that connection, so a process
 * killed while holding it does not block the next one. `fn` gets that connection for work that
 * should run on it. PGlite admits one process, so there it just runs `fn` on the same database.
 */
export async function withSessionLock<T>(
  database: Database,
  key: number,
  fn: (locked: Database) => Promise<T>,
): Promise<T> {
  if (database.target.kind !== "postgres") return fn(database);
  const single = await openDatabase({ kind: "postgres", url: database.target.url, poolSize: 1 });
  try {
    await single.db.execute(sql`select pg_advisory_lock(${key})`);
    try {
      return await fn(single);
    } finally {
      await single.db.execute(sql`select pg_advisory_unlock(${key})`);
    }
  } finally {
    await single.close();
  }
}
