import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import { checkDurability, UnsafePostgresError } from "@/db/durability";
import { DataDirLockedError } from "@/db/lock";
import { migrateDatabase } from "@/db/migrate";
import { backends, hasPostgres, openTempPostgres } from "../support/db";

const tmpDirs: string[] = [];
function tmpDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-db-"));
  tmpDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe.each(backends)("migrations on $name", (backend) => {
  it("create every table of the data model and run again as a no-op", async () => {
    const database = await backend.open();
    try {
      await migrateDatabase(database);
      const res = (await database.db.execute(
        sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
      )) as { rows: { table_name: string }[] };
      expect(res.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining([
          "accounts",
          "api_keys",
          "capabilities",
          "chain_heads",
          "console_sessions",
          "console_users",
          "escalations",
          "events",
          "issuers",
          "login_attempts",
          "revocations",
          "saved_queries",
          "sessions",
          "tenants",
          "verification_tokens",
        ]),
      );
      const idx = (await database.db.execute(
        sql`select indexname from pg_indexes where schemaname = 'public'`,
      )) as { rows: { indexname: string }[] };
      expect(idx.rows.map((r) => r.indexname)).toEqual(
        expect.arrayContaining([
          "events_tenant_ts_idx",
          "capabilities_ancestors_gin",
          "capabilities_summary_gin",
        ]),
      );
    } finally {
      await database.close();
    }
  });
});

describe("the PGlite data folder lock", () => {
  it("keeps data across reopen and refuses a second open in the same process", async () => {
    const dir = tmpDir();
    const first = await openDatabase({ kind: "pglite", dataDir: dir });
    await migrateDatabase(first);
    await first.db.execute(sql`insert into tenants (id, name) values ('acme', 'Acme')`);
    await expect(openDatabase({ kind: "pglite", dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
    await first.close();
    const again = await openDatabase({ kind: "pglite", dataDir: dir });
    const res = (await again.db.execute(sql`select id from tenants`)) as { rows: { id: string }[] };
    expect(res.rows).toEqual([{ id: "acme" }]);
    await again.close();
  });

  it("makes a second process fail fast, naming the PID that holds the folder", async () => {
    const dir = tmpDir();
    const holder = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=react-server", "tests/support/hold-pglite.ts", dir],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on("data", (b: Buffer) => b.toString().includes("holding") && resolve());
        holder.on("exit", (code) => reject(new Error(`holder exited with ${code}`)));
      });
      const err = await openDatabase({ kind: "pglite", dataDir: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataDirLockedError);
      expect((err as DataDirLockedError).pid).toBe(holder.pid);
      expect((err as Error).message).toContain(`process ${holder.pid}`);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((r) => holder.once("exit", r));
    }
    // SIGKILL left the lock file behind; the dead holder's lock is taken over.
    expect(fs.existsSync(path.join(dir, "pglite.lock"))).toBe(true);
    const after = await openDatabase({ kind: "pglite", dataDir: dir });
    await after.close();
  });
});

describe.runIf(hasPostgres)("the PostgreSQL durability check", () => {
  it("refuses production when synchronous_commit is off, and allows it when on", async () => {
    const temp = await openTempPostgres({ migrate: false });
    try {
      const unsafe = await openDatabase({
        kind: "postgres",
        url: `${temp.url}?options=-c%20synchronous_commit%3Doff`,
      });
      try {
        await expect(checkDurability(unsafe, { production: true })).rejects.toBeInstanceOf(
          UnsafePostgresError,
        );
        expect(await checkDurability(unsafe, { production: false })).toMatchObject({
          synchronousCommit: "off",
        });
      } finally {
        await unsafe.close();
      }
      expect(await checkDurability(temp, { production: true })).toEqual({
        fsync: "on",
        synchronousCommit: "on",
      });
    } finally {
      await temp.close();
    }
  });
});
