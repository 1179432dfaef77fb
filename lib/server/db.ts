import "server-only";
import { type Database, type Db, openDatabase, redactUrl, targetFromConfig } from "@/db/client";
import { checkDurability } from "@/db/durability";
import { type ReadDb, type ReplicaRead, ReplicaRouter } from "@/db/replica";
import { loadConfig } from "@/lib/config";

// One database per server process, opened on first use. Held on globalThis so that dev-mode
// module reloads reuse it instead of opening the PGlite folder a second time. The read router
// (and the replica's pool, when DATABASE_REPLICA_URL is set) belongs to that database.
const holder = globalThis as typeof globalThis & {
  __consoleDb?: Promise<Database>;
  __consoleReads?: { primary: Db; router: Promise<{ router: ReplicaRouter; replica?: Database }> };
};

async function open(): Promise<Database> {
  const cfg = loadConfig();
  const database = await openDatabase(targetFromConfig(cfg));
  try {
    await checkDurability(database, { production: cfg.production });
  } catch (err) {
    await database.close();
    throw err;
  }
  // Said when the server starts (instrumentation opens the database), not at the first page.
  if (cfg.replicaUrl && database.kind !== "postgres")
    console.warn(
      "[db] DATABASE_REPLICA_URL is set but DATABASE_URL is not PostgreSQL: the replica is ignored, every read goes to the embedded database.",
    );
  else if (cfg.replicaUrl)
    console.info(
      `[db] read replica for the explorer's read-only pages: PostgreSQL ${redactUrl(cfg.replicaUrl)} (at most ${cfg.replicaMaxLagSeconds} s behind)`,
    );
  return database;
}

/** The replica's pool (it connects lazily: a replica that is down now is probed again later). */
async function openReplica(primary: Database, url: string | undefined): Promise<Database | undefined> {
  if (!url || primary.kind !== "postgres") return undefined;
  return openDatabase({
    kind: "postgres",
    url,
    poolSize: 5,
    connectTimeoutMs: 2_000,
    applicationName: "capability-console replica reads",
  });
}

function opened(): Promise<Database> {
  holder.__consoleDb ??= open().catch((err) => {
    holder.__consoleDb = undefined;
    throw err;
  });
  return holder.__consoleDb;
}

async function routerFor(database: Database): Promise<{ router: ReplicaRouter; replica?: Database }> {
  const cfg = loadConfig();
  const replica = await openReplica(database, cfg.replicaUrl);
  return {
    router: new ReplicaRouter({ primary: database.db, replica, maxLagSeconds: cfg.replicaMaxLagSeconds }),
    ...(replica ? { replica } : {}),
  };
}

/** The primary: every read that must be current and every write. */
export async function getDb(): Promise<Db> {
  return (await opened()).db;
}

/**
 * A handle for one of the named read-only queries of db/replica.ts (REPLICA_READS): the
 * replica when DATABASE_REPLICA_URL is set, reachable and within its lag, else the primary.
 * Only functions typed `ReadExecutor` accept it; show `source` on the page (ReadSourceNote).
 */
export async function getReadDb(purpose: ReplicaRead): Promise<ReadDb> {
  const database = await opened();
  if (holder.__consoleReads?.primary !== database.db) {
    const router = routerFor(database);
    holder.__consoleReads = { primary: database.db, router };
    router.catch(() => {
      if (holder.__consoleReads?.router === router) holder.__consoleReads = undefined;
    });
  }
  return (await holder.__consoleReads.router).router.read(purpose);
}

export async function closeDb(): Promise<void> {
  const pending = holder.__consoleDb;
  const reads = holder.__consoleReads;
  holder.__consoleDb = undefined;
  holder.__consoleReads = undefined;
  await (await reads?.router.catch(() => undefined))?.replica?.close();
  if (pending) await (await pending).close();
}
