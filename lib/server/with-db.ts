import "server-only";
import type { Db } from "@/db/client";
import { getDb } from "./db";

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
