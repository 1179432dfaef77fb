import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { TABLE_PLACEMENT } from "@/db/distribution";
import * as schema from "@/db/schema";

// Issue 17 point 6: no statement locks or changes rows of more than one tenant. A static check of
// the sources (cheap, and blunt on purpose): every locking read, update and delete of a table
// distributed by tenant (db/distribution.ts) names one tenant with eq(table.tenant, …), never
// inArray over several; raw SQL takes no row locks; every advisory lock is listed here with why.
// What it cannot see (a tenant condition built far from its statement) is in docs/scale.md.

const ROOT = process.cwd();
const DIRS = ["lib", "app", "scripts", "db"];

/** Advisory locks lock no rows, but they are node-local on Citus: each one is known and placed. */
const ADVISORY_LOCKS: Record<string, string> = {
  "db/advisory-locks.ts":
    "session locks: one migrator, one first start at a time; both run against the coordinator",
  "lib/jobs.ts":
    "one round of an exclusive background job (checkpoint signing) at a time across console instances (on the coordinator)",
  "lib/data/tenant-admin.ts": "issuer keys (a reference table) added one at a time",
  "lib/data/api-keys-admin.ts": "one key per tenant and source at a time; keyed by the tenant",
  "lib/data/sign-in-limit.ts": "sign-in attempts per account and address (console plane, coordinator-local)",
};

/** Export name in db/schema.ts -> table name, for the distributed tables. */
const distributedExports = new Map(
  Object.entries(schema)
    .filter(([, v]) => is(v, PgTable))
    .map(([name, table]) => [name, getTableName(table as PgTable)] as const)
    .filter(([, table]) => TABLE_PLACEMENT[table]?.kind === "distributed"),
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "migrations" ? [] : sourceFiles(full);
    return /\.tsx?$/.test(name) ? [full] : [];
  });
}

/** Whether `where` (a statement's text) names one tenant of `table`, directly or by a local const. */
function namesOneTenant(source: string, where: string, table: string): boolean {
  const one = new RegExp(`eq\\(\\s*${table}\\.tenant\\b`);
  const many = new RegExp(`inArray\\(\\s*${table}\\.tenant\\b`);
  if (many.test(where)) return false;
  if (one.test(where)) return true;
  // `.where(fence)` or `.where(and(open, …))` with `const fence = and(eq(table.tenant, …), …)`
  // earlier in the file.
  return [...where.matchAll(/\b(\w+)\b/g)].some(([, name]) => {
    const defined = new RegExp(`const ${name} = ([^;]+);`).exec(source)?.[1];
    return Boolean(defined && one.test(defined) && !many.test(defined));
  });
}

function lockProblems(file: string, source: string): string[] {
  const problems: string[] = [];
  const at = (i: number) => `${file}:${source.slice(0, i).split("\n").length}`;
  for (const m of source.matchAll(/\.for\("(update|no key update|share|key share)"/g)) {
    const from = source.lastIndexOf(".from(", m.index);
    const table = /^\.from\((\w+)/.exec(source.slice(from))?.[1] ?? "?";
    if (!distributedExports.has(table)) continue;
    if (!namesOneTenant(source, source.slice(from, m.index), table))
      problems.push(`${at(m.index)}: locks ${table} rows without eq(${table}.tenant, …)`);
  }
  for (const m of source.matchAll(/\.(update|delete)\((\w+)\)/g)) {
    const table = m[2] as string;
    if (!distributedExports.has(table)) continue;
    const end = source.indexOf(";", m.index);
    if (!namesOneTenant(source, source.slice(m.index, end), table))
      problems.push(`${at(m.index)}: ${m[1]}s ${table} without eq(${table}.tenant, …)`);
  }
  for (const m of source.matchAll(/sql`[^`]*`/g))
    if (
      /\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b|\bskip\s+locked\b|\block\s+table\b/i.test(m[0])
    )
      problems.push(`${at(m.index)}: a row lock in raw SQL (write it with drizzle, for one tenant)`);
  if (/pg_(try_)?advisory/.test(source) && !ADVISORY_LOCKS[file])
    problems.push(`${file}: an advisory lock not listed in tests/unit/tenant-locks.test.ts`);
  return problems;
}

describe("statements lock and change rows of one tenant", () => {
  const files = DIRS.flatMap((d) => sourceFiles(path.join(ROOT, d)));

  it("holds for every source file", () => {
    expect(distributedExports.size).toBeGreaterThan(10);
    const problems = files.flatMap((f) => {
      const file = path.relative(ROOT, f).split(path.sep).join("/");
      return lockProblems(file, readFileSync(f, "utf8"));
    });
    expect(problems).toEqual([]);
  });

  it("lists only advisory locks that still exist", () => {
    for (const file of Object.keys(ADVISORY_LOCKS))
      expect(readFileSync(path.join(ROOT, file), "utf8"), file).toMatch(/pg_(try_)?advisory/);
  });

  it("reports what it is for", () => {
    const bad = [
      'await tx.select().from(streams).where(inArray(streams.tenant, ts)).for("update");',
      'await tx.select().from(cases).where(eq(cases.id, id)).for("update");',
      "await db.update(alertRules).set({ leaseOwner: o }).where(eq(alertRules.id, id));",
      "await db.delete(events).where(lt(events.ts, cutoff));",
      "await db.execute(sql`select 1 from streams for update skip locked`);",
      "await db.execute(sql`select pg_advisory_xact_lock(1)`);",
    ].join("\n");
    expect(lockProblems("lib/probe.ts", bad)).toHaveLength(6);
    const good = [
      "const fence = and(eq(alertRules.tenant, r.tenant), eq(alertRules.id, r.id));",
      'await tx.select().from(cases).where(and(eq(cases.tenant, t), eq(cases.id, id))).for("update");',
      "await db.update(alertRules).set({ leaseOwner: null }).where(fence);",
      "await db.update(consoleUsers).set({ role }).where(eq(consoleUsers.id, id));",
    ].join("\n");
    expect(lockProblems("lib/probe.ts", good)).toEqual([]);
  });
});
