import { getDb } from "./lib/server/db";

// Opens the database when the server starts, so a locked PGlite folder or an unsafe PostgreSQL
// stops the server at once with its reason instead of failing the first request.
try {
  await getDb();
} catch (err) {
  console.error(`[console] cannot open the database: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
