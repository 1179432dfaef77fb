import path from "node:path";
import { sql } from "drizzle-orm";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { type Database, openDatabase } from "./client";

// Resolved from the working directory (the repo root for npm scripts, vitest and next start).
export const MIGRATIONS_DIR = path.resolve(
  process.env.MIGRATIONS_DIR ?? path.join(process.cwd(), "db", "migrations"),
);

// Serialises concurrent migrators (several console instances starting at once on PostgreSQL).
const MIGRATION_LOCK = 7_357_001;

export async function migrateDatabase(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_DIR };
  if (database.kind === "pglite") {
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants its driver's own class.
    await migratePglite(database.db as any, config);
    return;
  }
  if (database.target.kind !== "postgres") throw new Error("unreachable");
  // A session-level advisory lock needs one connection for lock, migrate and unlock.
  const single = await openDatabase({ kind: "postgres", url: database.target.url, poolSize: 1 });
  try {
    await single.db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK})`);
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants its driver's own class.
    await migrateNodePg(single.db as any, config);
    await single.db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK})`);
  } finally {
    await single.close();
  }
}
