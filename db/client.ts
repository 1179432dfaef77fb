import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
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
  | {
      kind: "postgres";
      url: string;
      poolSize?: number;
      /**
       * Its connections commit without waiting for the WAL flush (synchronous_commit=off). Only
       * for the background process's bookkeeping (stream cursors and leases, rule cursors), where
       * losing the last commits to a database crash means delivering events again under the same
       * ids; its evidence (checkpoints, alerts and their events) turns it back on per
       * transaction with durableCommit (db/durability.ts).
       */
      asyncCommit?: boolean;
      /** Shown in pg_stat_activity (which process holds which connection). */
      applicationName?: string;
      /** Give up connecting after this long (a read replica that is down must not hang a page). */
      connectTimeoutMs?: number;
    };

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

const timedPools = new WeakMap<Db, (timeoutMs: number) => Db>();

/**
 * The same PostgreSQL database through a small pool of its own whose connections carry
 * `statement_timeout` from the start: a bounded read then costs one round trip, not a
 * transaction around a SET LOCAL (three more), and heavy reads queue there rather than in the
 * pool that ingest and sign-in use. Undefined for PGlite (it cannot cancel a statement; see
 * lib/data/query-budget.ts) and for a transaction.
 */
export function withStatementTimeout(db: Db, timeoutMs: number): Db | undefined {
  return timedPools.get(db)?.(timeoutMs);
}

function newPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  // An idle client's error (e.g. the server restarting) must not crash the process.
  pool.on("error", (err) => console.error("[db] idle PostgreSQL client error:", err.message));
  return pool;
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === "postgres") {
    const options = {
      ...(target.asyncCommit ? { options: "-c synchronous_commit=off" } : {}),
      ...(target.applicationName ? { application_name: target.applicationName } : {}),
      ...(target.connectTimeoutMs ? { connectionTimeoutMillis: target.connectTimeoutMs } : {}),
    };
    const pool = newPool({ connectionString: target.url, max: target.poolSize ?? 10, ...options });
    const db = drizzleNodePg({ client: pool, schema }) as unknown as Db;
    const timed = new Map<number, { pool: pg.Pool; db: Db }>();
    timedPools.set(db, (timeoutMs) => {
      let entry = timed.get(timeoutMs);
      if (!entry) {
        const p = newPool({
          connectionString: target.url,
          max: target.poolSize ?? 10,
          statement_timeout: timeoutMs,
          ...options,
        });
        entry = { pool: p, db: drizzleNodePg({ client: p, schema }) as unknown as Db };
        timed.set(timeoutMs, entry);
      }
      return entry.db;
    });
    return {
      db,
      kind: "postgres",
      target,
      describe: `PostgreSQL ${redactUrl(target.url)}`,
      close: async () => {
        await Promise.all([...timed.values()].map((t) => t.pool.end()));
        await pool.end();
      },
    };
  }
  let lock: DirLock | undefined;
  let client: PGlite;
  // pg_trgm: the explorer's free-text index (migration 0013).
  const PGLITE_EXTENSIONS = { pg_trgm };
  if (target.dataDir) {
    lock = acquireDirLock(target.dataDir);
    try {
      client = await PGlite.create(path.join(target.dataDir, "pglite"), { extensions: PGLITE_EXTENSIONS });
    } catch (err) {
      lock.release();
      throw err;
    }
  } else {
    client = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
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
