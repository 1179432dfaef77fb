import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { acquireDirLock, type DirLock } from "./lock";
import * as schema from "./schema";

// Both backends speak the same dialect and run the same code; callers see only `Db`.
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;

export type DatabaseTarget =
  | { kind: "pglite"; dataDir?: string } // no dataDir: in memory (tests)
  | { kind: "postgres"; url: string; poolSize?: number };

export interface Database {
  db: Db;
  kind: DatabaseTarget["kind"];
  target: DatabaseTarget;
  /** A short description for logs, without credentials. */
  describe: string;
  close(): Promise<void>;
}

export function targetFromConfig(cfg: { databaseUrl?: string; dataDir: string }): DatabaseTarget {
  return cfg.databaseUrl
    ? { kind: "postgres", url: cfg.databaseUrl }
    : { kind: "pglite", dataDir: cfg.dataDir };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparseable URL)";
  }
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === "postgres") {
    const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
    // An idle client's error (e.g. the server restarting) must not crash the process.
    pool.on("error", (err) => console.error("[db] idle PostgreSQL client error:", err.message));
    const db = drizzleNodePg({ client: pool, schema }) as unknown as Db;
    return {
      db,
      kind: "postgres",
      target,
      describe: `PostgreSQL ${redactUrl(target.url)}`,
      close: () => pool.end(),
    };
  }
  let lock: DirLock | undefined;
  let client: PGlite;
  if (target.dataDir) {
    lock = acquireDirLock(target.dataDir);
    try {
      client = await PGlite.create(path.join(target.dataDir, "pglite"));
    } catch (err) {
      lock.release();
      throw err;
    }
  } else {
    client = await PGlite.create();
  }
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    target,
    describe: target.dataDir ? `PGlite in ${target.dataDir}` : "PGlite in memory",
    close: async () => {
      await client.close();
      lock?.release();
    },
  };
}
