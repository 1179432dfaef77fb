import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, withStatementTimeout } from "@/db/client";
import { hasPostgres, openTempPostgres } from "../support/db";

// Bounded reads on PostgreSQL go through pools whose connections carry statement_timeout from
// the start (one round trip per page, and heavy reads queue apart from ingest and sign-in).
describe.skipIf(!hasPostgres)("statement-timeout pools on PostgreSQL", () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTempPostgres();
  });
  afterAll(() => database.close());

  const setting = async (db: Database["db"]) =>
    ((await db.execute(sql`show statement_timeout`)) as unknown as { rows: { statement_timeout: string }[] })
      .rows[0]?.statement_timeout;

  it("carries the timeout on its own connections and leaves the main pool's alone", async () => {
    const timed = withStatementTimeout(database.db, 250);
    expect(timed).toBeDefined();
    if (!timed) return;
    expect(await setting(timed)).toBe("250ms");
    expect(await setting(database.db)).toBe("0");
    // One pool per timeout, reused.
    expect(withStatementTimeout(database.db, 250)).toBe(timed);
    await expect(timed.execute(sql`select pg_sleep(2)`)).rejects.toMatchObject({
      cause: expect.objectContaining({ code: "57014" }),
    });
    // The main pool is not bounded.
    await database.db.execute(sql`select pg_sleep(0.4)`);
  });

  it("has no timed pool inside a transaction", async () => {
    await database.db.transaction(async (tx) => {
      expect(withStatementTimeout(tx as unknown as Database["db"], 250)).toBeUndefined();
    });
  });
});
