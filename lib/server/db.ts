import "server-only";
import { type Database, type Db, openDatabase, targetFromConfig } from "@/db/client";
import { checkDurability } from "@/db/durability";
import { loadConfig } from "@/lib/config";

// One database per server process, opened on first use. Held on globalThis so that dev-mode
// module reloads reuse it instead of opening the PGlite folder a second time.
const holder = globalThis as typeof globalThis & { __consoleDb?: Promise<Database> };

async function open(): Promise<Database> {
  const cfg = loadConfig();
  const database = await openDatabase(targetFromConfig(cfg));
  try {
    await checkDurability(database, { production: cfg.production });
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

export async function getDb(): Promise<Db> {
  holder.__consoleDb ??= open().catch((err) => {
    holder.__consoleDb = undefined;
    throw err;
  });
  return (await holder.__consoleDb).db;
}

export async function closeDb(): Promise<void> {
  const pending = holder.__consoleDb;
  holder.__consoleDb = undefined;
  if (pending) await (await pending).close();
}
