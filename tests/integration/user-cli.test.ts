import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Database, openDatabase } from "@/db/client";
import { consoleUsers, events, tenants } from "@/db/schema";
import { hasPostgres, openTempPostgres } from "../support/db";

type Target = { env: Record<string, string>; open(): Promise<Database>; done(): Promise<void> };

async function pgliteTarget(): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-cli-"));
  return {
    env: { DATA_DIR: dir, DATABASE_URL: "" },
    open: () => openDatabase({ kind: "pglite", dataDir: dir }),
    done: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresTarget(): Promise<Target> {
  const temp = await openTempPostgres({ migrate: false });
  return {
    env: { DATABASE_URL: temp.url, DATA_DIR: os.tmpdir() },
    open: async () => ({ ...temp, close: async () => {} }),
    done: () => temp.close(),
  };
}

const targets = [
  { name: "pglite", make: pgliteTarget },
  ...(hasPostgres ? [{ name: "postgres", make: postgresTarget }] : []),
];

describe.each(targets)("npm run user on $name", ({ make }) => {
  // A dozen CLI processes in a row, each opening (and on PGlite loading) the database: on a busy
  // 2-core machine that took 85 s once, so this test has more than the suite's default minute.
  it("creates, lists and disables console users, refusing bad input by field", {
    timeout: 180_000,
  }, async () => {
    const target = await make();
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", "--conditions=react-server", "scripts/user.ts", ...args],
        {
          encoding: "utf8",
          env: { ...process.env, ...target.env },
        },
      );
    try {
      // The CLI migrates; the tenant must exist before a user can be placed in it.
      expect(cli("list").status).toBe(0);
      const db = await target.open();
      await db.db.insert(tenants).values({ id: "acme", name: "Acme" });
      await db.close();

      const bad = cli("create", "--email", "ana@x.test", "--role", "root", "--tenant", "acme");
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain("--role: Role must be one of viewer, investigator, admin.");

      const unknownTenant = cli("create", "--email", "ana@x.test", "--role", "viewer", "--tenant", "nowhere");
      expect(unknownTenant.status).toBe(1);
      expect(unknownTenant.stderr).toContain("Unknown tenant: nowhere.");

      const created = cli("create", "--email", "Ana@X.test", "--role", "investigator", "--tenant", "acme");
      expect(created.status).toBe(0);
      expect(created.stdout).toMatch(/Password: \S{16}/);
      expect(cli("list").stdout).toContain("ana@x.test\tinvestigator\tacme\tactive");

      expect(cli("disable", "--email", "ana@x.test").status).toBe(0);
      expect(cli("list").stdout).toContain("ana@x.test\tinvestigator\tacme\tdisabled");
      expect(cli("disable", "--email", "nobody@x.test").status).toBe(1);

      const check = await target.open();
      try {
        const [user] = await check.db.select().from(consoleUsers).where(eq(consoleUsers.email, "ana@x.test"));
        expect(user?.disabledAt).not.toBeNull();
        const audit = await check.db.select().from(events).where(eq(events.principal, "system:cli"));
        expect(audit.map((e) => e.type).sort()).toEqual(["console.user.created", "console.user.disabled"]);
      } finally {
        await check.close();
      }
    } finally {
      await target.done();
    }
  });
});
