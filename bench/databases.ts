import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Database, openDatabase } from "../db/client";
import { createScratchDatabase, obtainPostgres } from "../scripts/postgres";

/**
 * Runs `measure` on a scratch database of the configured or a throwaway PostgreSQL, then drops it.
 * Without PostgreSQL it says so (`missing` names what goes unmeasured) and returns null.
 */
export async function onScratchPostgres<T>(
  args: { prefix: string; poolSize: number; progress: (s: string) => void; missing: string },
  /** `url`: the scratch database's address, for processes the measurement starts. */
  measure: (database: Database, url: string) => Promise<T>,
): Promise<T | null> {
  const pg = await obtainPostgres();
  if (!pg) {
    args.progress(`postgres: not available (no DATABASE_URL, no initdb): ${args.missing}`);
    return null;
  }
  const scratch = await createScratchDatabase(pg.url, args.prefix);
  const database = await openDatabase({ kind: "postgres", url: scratch.url, poolSize: args.poolSize });
  try {
    return await measure(database, scratch.url);
  } finally {
    await database.close();
    await scratch.drop();
    pg.stop();
  }
}

/** Runs `measure` on a PGlite database in a fresh temporary folder, then removes the folder. */
export async function onScratchPglite<T>(
  prefix: string,
  measure: (database: Database) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-${randomBytes(3).toString("hex")}-`));
  const database = await openDatabase({ kind: "pglite", dataDir: dir });
  try {
    return await measure(database);
  } finally {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
