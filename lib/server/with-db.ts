import "server-only";
import type { Db } from "@/db/client";
import { getDb } from "./db";
import { type ConsoleKey, getConsoleKey } from "./issuer-key";

/** Runs a route handler with the database, or answers 503 (retry later) when it cannot be opened. */
export async function withDb(handle: (db: Db) => Promise<Response>): Promise<Response> {
  let db: Db;
  try {
    db = await getDb();
  } catch (err) {
    console.error("[api] database not ready:", err instanceof Error ? err.message : err);
    return Response.json({ error: "the console is not ready; retry later" }, { status: 503 });
  }
  return handle(db);
}

/** As withDb, with the console's own key too (checkpoint signing, escalations, introspection). */
export function withDbAndKey(handle: (db: Db, key: ConsoleKey) => Promise<Response>): Promise<Response> {
  return withDb(async (db) => {
    let key: ConsoleKey;
    try {
      key = getConsoleKey();
    } catch (err) {
      console.error("[api] console key unavailable:", err instanceof Error ? err.message : err);
      return Response.json({ error: "the console is not ready; retry later" }, { status: 503 });
    }
    return handle(db, key);
  });
}
