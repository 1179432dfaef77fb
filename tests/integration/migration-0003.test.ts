import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { describe, expect, it } from "vitest";
import { type Database, openDatabase } from "@/db/client";
import { MIGRATIONS_DIR, migrateDatabase } from "@/db/migrate";
import { appendEvents } from "@/lib/audit/append";
import { verifyTenantChain } from "@/lib/audit/verify";
import type { Authority } from "@/lib/auth/authority";
import { revokeSession } from "@/lib/data/revocations";
import { listRevocationsSince } from "@/lib/data/verifier-feed";
import { toEventContent } from "@/lib/ingest/rows";
import { storeBatch } from "@/lib/ingest/store";
import { validateBatch } from "@/lib/ingest/validate";
import { hasPostgres, openTempPostgres } from "../support/db";
import { makeEvent, verifyKeys } from "../support/ingest-fixtures";

// Issue 11: migration 0003 (tenant-first keys) on a database filled under 0000-0002, the schema
// that shipped before it. Nothing may be lost, the audit chain must still verify, and a
// verifier's saved feed cursor must still mean what it meant.

/** A migrations folder holding only 0000-0002: the database as it was before this change. */
function oldMigrations(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-mig-"));
  fs.mkdirSync(path.join(dir, "meta"));
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8"));
  journal.entries = journal.entries.filter((e: { idx: number }) => e.idx <= 2);
  fs.writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify(journal));
  for (const e of journal.entries as { tag: string }[])
    fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  return dir;
}

async function migrateTo(database: Database, folder: string) {
  // biome-ignore lint/suspicious/noExplicitAny: the migrators want their driver's own class.
  const db = database.db as any;
  if (database.kind === "pglite") await migratePglite(db, { migrationsFolder: folder });
  else await migrateNodePg(db, { migrationsFolder: folder });
}

const TABLES = [
  "events",
  "capabilities",
  "sessions",
  "revocations",
  "escalations",
  "api_keys",
  "chain_heads",
];

/** Every row of the tenant-owned tables as JSON, keyed by table and primary key. */
async function snapshot(database: Database): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const table of TABLES) {
    const res = (await database.db.execute(
      sql`select to_jsonb(t) as row from ${sql.identifier(table)} t`,
    )) as unknown as { rows: { row: Record<string, unknown> }[] };
    for (const { row } of res.rows) out.set(`${table}/${row.tenant}/${row.id ?? ""}`, row);
  }
  return out;
}

const admin: Authority = {
  userId: "00000000-0000-4000-8000-000000000001",
  email: "root@x.test",
  name: null,
  role: "admin",
  tenants: ["acme", "globex"],
  activeTenant: null,
  sessionId: "test",
  authTime: new Date(),
};

const opens = [
  { name: "pglite", open: () => openDatabase({ kind: "pglite" }) },
  ...(hasPostgres ? [{ name: "postgres", open: () => openTempPostgres({ migrate: false }) }] : []),
];

describe.each(opens)("migration 0003 on $name", (backend) => {
  it("keeps every row, the audit chain and old feed cursors; platform reports become reports", async () => {
    const database = await backend.open();
    const folder = oldMigrations();
    try {
      await migrateTo(database, folder);
      const db = database.db;
      await db.execute(sql`insert into tenants (id, name) values ('acme', 'Acme'), ('globex', 'Globex')`);
      // Events through the current chain code (the events table is the same before and after).
      const evs = [...Array.from({ length: 6 }, () => makeEvent("acme")), makeEvent("globex")];
      const checked = validateBatch({ events: evs });
      if (!checked.ok) throw new Error("fixture events invalid");
      // No Merkle tree before migration 0005 (it backfills the tree).
      // Version 1 (every event stored before migration 0016 is).
      await appendEvents(
        db,
        checked.events.map((e) => ({ ...toEventContent(e), contentVersion: 1 })),
        undefined,
        { tree: false, rollups: false },
      );
      await db.execute(sql`
        insert into capabilities (id, tenant, token_hash, parent_id, root_id, ancestors, depth, kind, session)
        values ('aa01', 'acme', 'sha256:1', null, 'aa01', '{}', 0, 'minted', 's1'),
               ('aa02', 'acme', 'sha256:2', 'aa01', 'aa01', '{aa01}', 1, 'attenuated', 's1'),
               ('bb01', 'globex', 'sha256:3', null, 'bb01', '{}', 0, 'minted', 'g1')`);
      await db.execute(sql`
        insert into sessions (id, tenant, principal, revoked_at, revoked_by, revoke_reason)
        values ('s1', 'acme', 'alice@acme.example', null, null, null),
               ('s2', 'acme', 'alice@acme.example', now(), 'root@x.test', 'console did it'),
               ('s3', 'acme', 'bob@acme.example', now(), 'root@x.test', 'a platform said so'),
               ('g1', 'globex', 'carol@globex.example', now(), 'root@x.test', 'left')`);
      // Interleaved tenants, so acme's old cursors have a gap (1, 3) as the global sequence made them.
      await db.execute(sql`
        insert into revocations (tenant, kind, target, reason, actor)
        values ('acme', 'session', 's2', 'console did it', 'root@x.test')`);
      await db.execute(sql`
        insert into revocations (tenant, kind, target, reason, actor)
        values ('globex', 'principal', 'carol@globex.example', 'left', 'root@x.test')`);
      await db.execute(sql`
        insert into revocations (tenant, kind, target, reason, actor, revoked_ids)
        values ('acme', 'capability', 'aa02', 'narrow', 'root@x.test', '{aa02}')`);
      await db.execute(sql`
        insert into escalations (tenant, requested_by, principal, session, operation, ttl_seconds, reason)
        values ('acme', 'root@x.test', 'alice@acme.example', 's1', '{"action":"write"}', 60, 'refund')`);
      await db.execute(sql`
        insert into api_keys (tenant, source, prefix, key_hash, created_by)
        values ('acme', 'platform', 'cc_abc', 'ffff', 'root@x.test')`);
      const before = await snapshot(database);

      await migrateDatabase(database);

      const after = await snapshot(database);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      const changed: string[] = [];
      for (const [key, row] of before) {
        const now = after.get(key) as Record<string, unknown>;
        const same = Object.entries(row).every(([col, v]) => JSON.stringify(now[col]) === JSON.stringify(v));
        if (!same) changed.push(key);
      }
      // Only the session no console revocation stands behind: it becomes the platform's report.
      expect(changed).toEqual(["sessions/acme/s3"]);
      expect(after.get("sessions/acme/s3")).toMatchObject({
        revoked_at: null,
        revoked_by: null,
        reported_by: "unknown (reported before the upgrade)",
        reported_reason: "a platform said so",
      });
      expect(after.get("sessions/acme/s3")?.reported_revoked_at).toBe(
        before.get("sessions/acme/s3")?.revoked_at,
      );
      for (const tenant of ["acme", "globex"])
        expect(await verifyTenantChain(db, { tenant, keys: verifyKeys })).toMatchObject({ ok: true });

      // A verifier's old cursors still hold: nothing skipped, nothing repeated.
      const feed = async (tenant: string, since: number) =>
        (await listRevocationsSince(db, { tenant, since })).revocations.map((r) => r.cursor);
      expect(await feed("acme", 0)).toEqual([1, 3]);
      expect(await feed("acme", 1)).toEqual([3]);
      expect(await feed("globex", 0)).toEqual([2]);
      // New entries continue each tenant's own sequence; the reported session is still revocable.
      const next = await revokeSession(db, admin, { tenant: "acme", session: "s3", reason: "for real" });
      expect(next.cursor).toBe(4);
      expect(await feed("acme", 3)).toEqual([4]);

      // The new keys: globex may now use acme's event id, and both rows stand.
      const taken = evs[0]?.id as string;
      const reuse = validateBatch({ events: [{ ...makeEvent("globex"), id: taken }] });
      if (!reuse.ok) throw new Error("fixture event invalid");
      const res = await storeBatch(db, { tenant: "globex", events: reuse.events });
      expect(res.results).toEqual([{ id: taken, status: "created" }]);
      for (const tenant of ["acme", "globex"])
        expect(await verifyTenantChain(db, { tenant, keys: verifyKeys })).toMatchObject({ ok: true });
    } finally {
      await database.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
