import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "@/db/client";
import { MIGRATIONS_DIR, migrateDatabase } from "@/db/migrate";
import { merkleNodes } from "@/db/schema";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import { verifyChains } from "@/lib/audit/verify";
import { rootOf } from "@/lib/merkle/hash";
import { appendLeaves, mapSource, nodeKey } from "@/lib/merkle/proof";
import {
  catchUpTree,
  getInclusionProofs,
  getLatestTreeCheckpoint,
  STORED_FROM_LEVEL,
} from "@/lib/merkle/store";
import { verifyInclusion } from "@/lib/merkle/verify";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { hasPostgres, openTempPostgres } from "../support/db";
import { append, content, leavesOf } from "../support/merkle-fixtures";

// Issue 15: migration 0005 on a database that already holds events (the demo seed, a console
// upgraded in place) backfills every tenant's tree in SQL, so `npm start` on it just works: the
// checkpointer's next round signs tree checkpoints and every old event has an inclusion proof.

/**
 * A migrations folder holding the migrations before 0005: the database as it was then. (Drizzle
 * applies only migrations newer than the last applied one, so the later ones wait too.)
 */
function migrationsBefore0005(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-mig-"));
  fs.mkdirSync(path.join(dir, "meta"));
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8"));
  journal.entries = journal.entries.filter((e: { tag: string }) => e.tag < "0005");
  fs.writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify(journal));
  for (const e of journal.entries as { tag: string }[])
    fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  return dir;
}

const backends = [
  {
    name: "pglite",
    open: async () => {
      const database = await openDatabase({ kind: "pglite" });
      await migratePglite(database.db as never, { migrationsFolder: migrationsBefore0005() });
      return database;
    },
  },
  ...(hasPostgres
    ? [
        {
          name: "postgres",
          open: async () => {
            const database = await openTempPostgres({ migrate: false });
            await migrateNodePg(database.db as never, { migrationsFolder: migrationsBefore0005() });
            return database;
          },
        },
      ]
    : []),
];

describe.each(backends)("migration 0005 on a $name database with events", (backend) => {
  let database: Database;
  const key = generateConsoleKey();
  // Sizes around powers of two, and one tenant with a single event.
  const sizes: Record<string, number> = { acme: 37, globex: 64, initech: 1, umbrella: 129 };

  beforeAll(async () => {
    database = await backend.open();
    for (const [tenant, n] of Object.entries(sizes))
      for (let done = 0; done < n; done += 10)
        await append(database.db, content(tenant, Math.min(10, n - done)), false);
    await migrateDatabase(database);
  });
  afterAll(() => database.close());

  it("backfills every tenant's nodes exactly as appendEvents would have written them", async () => {
    for (const tenant of Object.keys(sizes)) {
      const leaves = await leavesOf(database.db, tenant);
      expect(leaves.length).toBe(sizes[tenant]);
      const want = appendLeaves(0, leaves, mapSource(new Map())).nodes;
      const stored = await database.db
        .select({ level: merkleNodes.level, index: merkleNodes.idx, hash: merkleNodes.hash })
        .from(merkleNodes)
        .where(eq(merkleNodes.tenant, tenant));
      const asMap = (ns: { level: number; index: number; hash: Uint8Array }[]) =>
        new Map(ns.map((n) => [nodeKey(n), Buffer.from(n.hash).toString("hex")]));
      expect(asMap(stored)).toEqual(asMap(want));
    }
  });

  it("then appends continue the backfilled tree, the checkpointer signs it, and old events prove inclusion", async () => {
    await append(database.db, content("acme", 5));
    await checkpointMovedHeads(database.db, { signer: key, logOrigin: "test/log" });
    const leaves = await leavesOf(database.db, "acme");
    const cp = await getLatestTreeCheckpoint(database.db, "acme");
    expect(cp?.size).toBe(42);
    expect(Buffer.from(cp?.root ?? []).equals(Buffer.from(rootOf(leaves)))).toBe(true);
    const proofs = await getInclusionProofs(database.db, { tenant: "acme", indices: [0, 36, 41], size: 42 });
    for (const [index, proof] of proofs)
      expect(
        verifyInclusion({
          index,
          size: 42,
          leaf: leaves[index] as Uint8Array,
          proof,
          root: cp?.root ?? new Uint8Array(),
        }),
      ).toBe(true);
    const results = await verifyChains(database.db, { keys: [{ kid: key.kid, publicKey: key.publicKey }] });
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it("catchUpTree writes the stored nodes of events written around appendEvents (the bulk seed)", async () => {
    await append(database.db, content("bulk", 23), false);
    expect(await catchUpTree(database.db, "bulk")).toBe(23);
    await append(database.db, content("bulk", 4));
    expect(await catchUpTree(database.db, "bulk")).toBe(0);
    // Past the stored tree: 40 more events bypassing appendEvents complete blocks 1 and 2 (and 5/0).
    await append(database.db, content("bulk", 40), false);
    expect(await catchUpTree(database.db, "bulk")).toBe(51);
    const leaves = await leavesOf(database.db, "bulk");
    expect(leaves.length).toBe(67);
    const want = appendLeaves(0, leaves, mapSource(new Map())).nodes.filter(
      (n) => n.level >= STORED_FROM_LEVEL,
    );
    const stored = await database.db
      .select({ level: merkleNodes.level, index: merkleNodes.idx, hash: merkleNodes.hash })
      .from(merkleNodes)
      .where(eq(merkleNodes.tenant, "bulk"));
    const asMap = (ns: { level: number; index: number; hash: Uint8Array }[]) =>
      new Map(ns.map((n) => [nodeKey(n), Buffer.from(n.hash).toString("hex")]));
    expect(asMap(stored)).toEqual(asMap(want));
  });
});
