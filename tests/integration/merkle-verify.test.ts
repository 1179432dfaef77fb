import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import { verifyChains } from "@/lib/audit/verify";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends } from "../support/db";
import { append, content } from "../support/merkle-fixtures";

// Issue 15: verify-log (and Admin's "Verify audit log", which calls the same verifyChains)
// re-derives every tenant's Merkle tree from its rows in one snapshot, and names the first
// broken leaf (tenant, seq, event id) whatever was changed: an event, a stored leaf or interior
// node, a tree checkpoint. Hashing is RFC 6962's, checked on the public vectors in
// tests/unit/merkle (transparency-dev/merkle testdata, tests/fixtures/merkle/NOTE.md).

const keyA = generateConsoleKey();
const keyB = generateConsoleKey();
const both = [keyA, keyB].map((k) => ({ kid: k.kid, publicKey: k.publicKey }));

async function tenantWithLog(db: Database["db"], tenant: string) {
  await append(db, content(tenant, 9));
  await checkpointMovedHeads(db, { signer: keyA });
  await append(db, content(tenant, 7));
  await checkpointMovedHeads(db, { signer: keyB });
}

async function idAt(db: Database["db"], tenant: string, seq: number): Promise<string> {
  const res = (await db.execute(sql`select id from events where tenant = ${tenant} and seq = ${seq}`)) as {
    rows: { id: string }[];
  };
  return res.rows[0]?.id ?? "";
}

const verifyOne = async (db: Database["db"], tenant: string, keys = both) =>
  (await verifyChains(db, { tenants: [tenant], keys }))[0];

describe.each(backends)("verify-log's Merkle check on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    for (const t of ["intact", "leaf", "node", "event", "note", "tail"]) await tenantWithLog(database.db, t);
  });
  afterAll(() => database.close());

  it("verifies an intact tree across a key rotation, with both keys published", async () => {
    const r = await verifyOne(database.db, "intact");
    expect(r?.problems).toEqual([]);
    expect(r?.tree).toMatchObject({ checkpoints: 2, latestCheckpoint: { size: 16, kid: keyB.kid } });
    expect(r?.tree.firstBrokenLeaf).toBeNull();
    // Without the retired key A, its tree checkpoint is named as signed by an unknown key.
    const onlyB = await verifyOne(database.db, "intact", [both[1] as (typeof both)[number]]);
    expect(onlyB?.ok).toBe(false);
    expect(onlyB?.problems.map((p) => p.problem)).toContain(
      `Merkle tree: tree checkpoint of size 9 signed by unknown key ${keyA.kid}`,
    );
  });

  it("names a changed stored node and the first leaf under it", async () => {
    // Levels below STORED_FROM_LEVEL (4) are derived from the rows; 16 events make node 4/0.
    await database.db.execute(
      sql`update merkle_nodes set hash = sha256(hash) where tenant = 'node' and level = 4 and idx = 0`,
    );
    const r = await verifyOne(database.db, "node");
    expect(r?.ok).toBe(false);
    expect(r?.tree.firstBrokenLeaf).toEqual({ seq: 1, eventId: await idAt(database.db, "node", 1) });
    expect(r?.problems[0]?.problem).toMatch(/stored merkle node 4\/0 \(seq 1\.\.16\) differs/);
  });

  it("ignores stored rows below the stored levels (an older console wrote them); the rows decide", async () => {
    await database.db.execute(
      sql`insert into merkle_nodes (tenant, level, idx, hash) values ('leaf', 0, 4, sha256('x'::bytea))`,
    );
    const r = await verifyOne(database.db, "leaf");
    expect(r?.problems).toEqual([]);
  });

  it("names an edited event (its leaf no longer matches the tree nor the signed checkpoints)", async () => {
    await database.db.execute(sql`update events set reason = 'edited' where tenant = 'event' and seq = 7`);
    const r = await verifyOne(database.db, "event");
    const id = await idAt(database.db, "event", 7);
    expect(r?.tree.firstBrokenLeaf).toEqual({ seq: 7, eventId: id });
    expect(r?.problems.map((p) => p.problem)).toContain(
      `Merkle tree: leaf 6 (seq 7, event ${id}) differs from the stored tree`,
    );
    expect(r?.problems.map((p) => p.problem).join("\n")).toMatch(
      /tree of size 9 differs from its signed checkpoint/,
    );
  });

  it("refuses a tree checkpoint whose note was changed", async () => {
    await database.db.execute(
      sql`update tree_checkpoints set note = replace(note, E'\\n9\\n', E'\\n8\\n') where tenant = 'note' and size = 9`,
    );
    const r = await verifyOne(database.db, "note");
    expect(r?.ok).toBe(false);
    expect(r?.problems.map((p) => p.problem).join("\n")).toMatch(
      /Merkle tree: tree checkpoint of size 9: signature by \S+\/note does not verify/,
    );
  });

  it("finds a removed tail by the stored tree and the checkpoints", async () => {
    await database.db.execute(sql`delete from events where tenant = 'tail' and seq > 12`);
    const r = await verifyOne(database.db, "tail");
    const problems = r?.problems.map((p) => p.problem).join("\n");
    expect(problems).toMatch(/tree checkpoint covers size 16 but rows end at 12/);
    expect(problems).toMatch(/the stored tree covers 16 leaves but rows end at seq 12/);
  });
});

describe("npm run verify-log names the first broken Merkle leaf", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("exits 1 with tenant, seq and event id of an edited event", { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-merkle-verify-"));
    dirs.push(dir);
    const database = await openDatabase({ kind: "pglite", dataDir: dir });
    let id = "";
    try {
      await migrateDatabase(database);
      await tenantWithLog(database.db, "acme");
      await database.db.execute(sql`update events set reason = 'edited' where tenant = 'acme' and seq = 11`);
      id = await idAt(database.db, "acme", 11);
    } finally {
      await database.close();
    }
    const env = {
      ...process.env,
      DATA_DIR: dir,
      DATABASE_URL: "",
      CONSOLE_ISSUER_KEY: JSON.stringify(keyB),
      CONSOLE_CHECKPOINT_KEYS: JSON.stringify([both[0]]),
    };
    const out = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--conditions=react-server", path.join("scripts", "verify-log.ts")],
      { env },
    ).then(
      () => ({ code: 0, stdout: "" }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`BROKEN  acme: first broken seq 11`);
    expect(out.stdout).toContain(`first broken Merkle leaf: tenant acme, seq 11, event ${id}`);
  });
});
