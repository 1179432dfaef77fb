import { sql } from "drizzle-orm";
import type { Database, Executor } from "./client";

export class UnsafePostgresError extends Error {
  override name = "UnsafePostgresError";
}

/**
 * Production refuses a PostgreSQL that can lose committed audit events: fsync and
 * synchronous_commit must be on. Returns the settings read so callers can log them.
 */
export async function checkDurability(
  database: Database,
  opts: { production: boolean },
): Promise<{ fsync: string; synchronousCommit: string }> {
  if (database.kind !== "postgres") return { fsync: "n/a", synchronousCommit: "n/a" };
  const row = async (name: string) => {
    const res = (await database.db.execute(sql`select current_setting(${name}) as value`)) as {
      rows: { value: string }[];
    };
    return String(res.rows[0]?.value);
  };
  const fsync = await row("fsync");
  const synchronousCommit = await row("synchronous_commit");
  const unsafe: string[] = [];
  if (fsync !== "on") unsafe.push(`fsync=${fsync}`);
  if (synchronousCommit === "off") unsafe.push(`synchronous_commit=${synchronousCommit}`);
  if (unsafe.length > 0 && opts.production) {
    throw new UnsafePostgresError(
      `Refusing to run in production on PostgreSQL with ${unsafe.join(", ")}: committed audit events could be lost. ` +
        "Turn fsync and synchronous_commit on.",
    );
  }
  return { fsync, synchronousCommit };
}

/**
 * Makes the current transaction commit only once its WAL is flushed, whatever the connection's
 * default: what the background process writes as evidence (signed checkpoints, opened alerts and
 * their audit events) must survive a crash even though its bookkeeping commits asynchronously
 * (DatabaseTarget.asyncCommit). A no-op where synchronous_commit is on already.
 */
export async function durableCommit(tx: Executor): Promise<void> {
  await tx.execute(sql`set local synchronous_commit = on`);
}
