import path from "node:path";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { ADVISORY_LOCKS, withSessionLock } from "./advisory-locks";
import type { Database } from "./client";
import { ensureEventPartitions } from "./partitions";

// Resolved from the working directory (the repo root for npm scripts, vitest and next start).
export const MIGRATIONS_DIR = path.resolve(
  process.env.MIGRATIONS_DIR ?? path.join(process.cwd(), "db", "migrations"),
);

export async function migrateDatabase(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_DIR };
  if (database.kind === "pglite") {
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants its driver's own class.
    await migratePglite(database.db as any, config);
    await ensureEventPartitions(database.db);
    return;
  }
  // Serialises concurrent migrators (several console instances starting at once on PostgreSQL):
  // the second waits, then finds every migration applied and does nothing.
  await withSessionLock(database, ADVISORY_LOCKS.migrate, async (single) => {
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants its driver's own class.
    await migrateNodePg(single.db as any, config);
    // The months ahead exist before this instance writes (the retention job keeps them ahead).
    await ensureEventPartitions(single.db);
  });
}
