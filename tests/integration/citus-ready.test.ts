import { readFileSync } from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import {
  COLOCATION_TABLE,
  DISTRIBUTION_COLUMN,
  type Placement,
  SEQUENCE_DEFAULTS,
  TABLE_PLACEMENT,
} from "@/db/distribution";
import { cases } from "@/db/schema";
import { renameCase } from "@/lib/data/cases";
import { AmbiguousTenantError } from "@/lib/data/tenant-lookup";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

// Issue 17 point 6: the migrated schema, read from the catalog, is what Citus needs to distribute
// the tenant-owned tables by tenant (db/distribution.ts says where each table goes and why).
// No Citus server runs here: this checks Citus's documented rules on plain PostgreSQL and PGlite.

type Db = Database["db"];
const rows = async <T>(db: Db, query: ReturnType<typeof sql>) =>
  ((await db.execute(query)) as unknown as { rows: T[] }).rows;

/** Every way the public schema breaks the placement rules; empty when it is Citus-ready. */
async function citusProblems(db: Db, placement: Record<string, Placement>): Promise<string[]> {
  const problems: string[] = [];
  const tables = await rows<{ table: string }>(
    db,
    sql`select c.relname as "table" from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
  );
  const names = new Set(tables.map((t) => t.table));
  const columns = await rows<{
    table: string;
    column: string;
    nullable: string;
    dflt: string | null;
    identity: string;
  }>(
    db,
    sql`select table_name as "table", column_name as "column", is_nullable as nullable,
               column_default as dflt, is_identity as identity
        from information_schema.columns where table_schema = 'public'`,
  );
  const tenantColumn = new Map(
    columns.filter((c) => c.column === DISTRIBUTION_COLUMN).map((c) => [c.table, c.nullable === "NO"]),
  );
  const kindOf = (table: string) => placement[table]?.kind;

  for (const table of names) {
    const p = placement[table];
    if (!p) {
      problems.push(`${table}: not classified in db/distribution.ts (distributed, reference or local?)`);
      continue;
    }
    if (p.kind !== "distributed" && p.reason.trim().length < 20)
      problems.push(`${table}: ${p.kind} table without a written reason`);
    if (p.kind === "distributed" && !tenantColumn.has(table))
      problems.push(`${table}: distributed but has no ${DISTRIBUTION_COLUMN} column`);
    if (p.kind === "distributed" && tenantColumn.get(table) === false)
      problems.push(`${table}: ${DISTRIBUTION_COLUMN} is nullable (Citus refuses NULL distribution values)`);
  }
  for (const table of Object.keys(placement))
    if (!names.has(table)) problems.push(`${table}: classified but not in the schema`);
  if (kindOf(COLOCATION_TABLE) !== "distributed") problems.push(`${COLOCATION_TABLE}: must be distributed`);

  // Every primary key and unique index (constraints and partial unique indexes alike) of a
  // distributed table leads with the tenant: Citus needs the column in it, we want it first.
  const uniques = await rows<{ table: string; index: string; first: string | null }>(
    db,
    sql`select t.relname as "table", i.relname as "index", a.attname as "first"
        from pg_index x
        join pg_class t on t.oid = x.indrelid
        join pg_class i on i.oid = x.indexrelid
        join pg_namespace n on n.oid = t.relnamespace
        left join pg_attribute a on a.attrelid = t.oid and a.attnum = x.indkey[0]
        where n.nspname = 'public' and x.indisunique`,
  );
  for (const u of uniques)
    if (kindOf(u.table) === "distributed" && u.first !== DISTRIBUTION_COLUMN)
      problems.push(
        `${u.table}: unique index ${u.index} leads with ${u.first ?? "an expression"}, not ${DISTRIBUTION_COLUMN}`,
      );

  // Per-tenant counters come from rows: no sequence or identity default on a distributed table
  // unless db/distribution.ts says why that column is no counter.
  for (const c of columns) {
    if (kindOf(c.table) !== "distributed") continue;
    const fromSequence = (c.dflt ?? "").includes("nextval(") || c.identity === "YES";
    if (fromSequence && !SEQUENCE_DEFAULTS[`${c.table}.${c.column}`])
      problems.push(`${c.table}.${c.column}: default draws from a sequence (${c.dflt ?? "identity"})`);
  }
  for (const key of Object.keys(SEQUENCE_DEFAULTS)) {
    const [table, column] = key.split(".");
    const c = columns.find((x) => x.table === table && x.column === column);
    if (!c || !((c.dflt ?? "").includes("nextval(") || c.identity === "YES"))
      problems.push(`${key}: listed as a sequence default but has none`);
  }

  // Foreign keys: between distributed tables they must map tenant to tenant (co-located join);
  // distributed -> reference is fine; nothing may point from a reference or local table into a
  // distributed one, nor from a distributed or reference table into a local one.
  const fks = await rows<{ name: string; from: string; to: string; pairs: string[] }>(
    db,
    sql`select c.conname as name, f.relname as "from", r.relname as "to",
               array(select fa.attname || '=' || ra.attname
                     from unnest(c.conkey, c.confkey) as k(fk, rk)
                     join pg_attribute fa on fa.attrelid = c.conrelid and fa.attnum = k.fk
                     join pg_attribute ra on ra.attrelid = c.confrelid and ra.attnum = k.rk) as pairs
        from pg_constraint c
        join pg_class f on f.oid = c.conrelid
        join pg_class r on r.oid = c.confrelid
        join pg_namespace n on n.oid = f.relnamespace
        where n.nspname = 'public' and c.contype = 'f'`,
  );
  for (const fk of fks) {
    const [from, to] = [kindOf(fk.from), kindOf(fk.to)];
    const where = `${fk.from} -> ${fk.to} (${fk.name})`;
    if (from === "distributed" && to === "distributed") {
      const tenantPair = `${DISTRIBUTION_COLUMN}=${DISTRIBUTION_COLUMN}`;
      if (!fk.pairs.includes(tenantPair)) problems.push(`${where}: does not map ${tenantPair}`);
    } else if (to === "distributed")
      problems.push(`${where}: a ${from} table may not reference a distributed one`);
    else if (to === "local" && from !== "local")
      problems.push(`${where}: a ${from} table may not reference a local one`);
  }
  return problems.sort();
}

/** The table names in docs/scale.md's Citus script, in order, by the function that places them. */
function scriptOrder(): { name: string; call: string; args: string }[] {
  const doc = readFileSync(path.join(process.cwd(), "docs", "scale.md"), "utf8");
  return [...doc.matchAll(/select (create_distributed_table|create_reference_table)\('(\w+)'([^)]*)\)/g)].map(
    (m) => ({ call: m[1] as string, name: m[2] as string, args: m[3] as string }),
  );
}

describe.each(backends)("Citus-ready schema on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(() => database.close());

  it("places every table, keys every distributed table by tenant first, and draws no per-tenant counter from a sequence", async () => {
    expect(await citusProblems(database.db, TABLE_PLACEMENT)).toEqual([]);
  });

  it("locks a row named by id in the one tenant that holds it; an id in two of the caller's tenants is refused", async () => {
    const db = database.db;
    await addTenants(db, ["acme", "globex"]);
    const both = await signedIn(db, {
      email: "both@citus.test",
      role: "investigator",
      tenants: ["acme", "globex"],
    });
    const acmeOnly = await signedIn(db, {
      email: "acme@citus.test",
      role: "investigator",
      tenants: ["acme"],
    });
    const id = "01936f4e-6c1a-7b7e-9d5e-2a9c1f0b4e21";
    await db.insert(cases).values([
      { tenant: "acme", id, title: "acme's", createdBy: "x" },
      { tenant: "globex", id, title: "globex's", createdBy: "x" },
    ]);
    const titles = async () =>
      (
        await db.select({ tenant: cases.tenant, title: cases.title }).from(cases).where(eq(cases.id, id))
      ).sort((a, b) => a.tenant.localeCompare(b.tenant));
    await expect(renameCase(db, both, { id, title: "renamed" })).rejects.toThrow(AmbiguousTenantError);
    expect(await titles()).toEqual([
      { tenant: "acme", title: "acme's" },
      { tenant: "globex", title: "globex's" },
    ]);
    await renameCase(db, acmeOnly, { id, title: "renamed" });
    expect(await titles()).toEqual([
      { tenant: "acme", title: "renamed" },
      { tenant: "globex", title: "globex's" },
    ]);
  });

  it("docs/scale.md's script places each table after every placed table it references", async () => {
    const script = scriptOrder();
    const position = new Map(script.map((s, i) => [s.name, i]));
    expect(script.find((s) => s.call === "create_distributed_table")?.name).toBe(COLOCATION_TABLE);
    const fks = await rows<{ from: string; to: string }>(
      database.db,
      sql`select distinct f.relname as "from", r.relname as "to" from pg_constraint c
          join pg_class f on f.oid = c.conrelid join pg_class r on r.oid = c.confrelid
          join pg_namespace n on n.oid = f.relnamespace
          where n.nspname = 'public' and c.contype = 'f' and f.relname <> r.relname`,
    );
    const placed = fks.filter((fk) => position.has(fk.from));
    expect(placed.length).toBeGreaterThan(0);
    for (const fk of placed)
      expect(position.get(fk.to) ?? Number.POSITIVE_INFINITY, `${fk.from} -> ${fk.to}`).toBeLessThan(
        position.get(fk.from) as number,
      );
  });

  it("fails for an unclassified table, a key without the tenant first, a sequence counter and a cross-tenant foreign key", async () => {
    const db = database.db;
    await db.execute(sql`create table citus_probe_new (tenant text not null, id int primary key)`);
    await db.execute(
      sql`create table citus_probe_bad (id bigserial primary key, tenant text, ref text unique)`,
    );
    await db.execute(
      sql`create table citus_probe_child (tenant text not null, id text, cap text, primary key (tenant, id),
          foreign key (tenant, cap) references capabilities (tenant, id),
          foreign key (cap, tenant) references capabilities (tenant, id))`,
    );
    try {
      const probes: Record<string, Placement> = {
        ...TABLE_PLACEMENT,
        citus_probe_bad: { kind: "distributed" },
        citus_probe_child: { kind: "distributed" },
      };
      const problems = await citusProblems(db, probes);
      const mention = (table: string, what: string) =>
        problems.some((p) => p.startsWith(table) && p.includes(what));
      expect(mention("citus_probe_new", "not classified")).toBe(true);
      expect(mention("citus_probe_bad", "citus_probe_bad_pkey leads with id")).toBe(true);
      expect(mention("citus_probe_bad", "citus_probe_bad_ref_key leads with ref")).toBe(true);
      expect(mention("citus_probe_bad", "nullable")).toBe(true);
      expect(mention("citus_probe_bad.id", "sequence")).toBe(true);
      // The first foreign key maps tenant to tenant; the second maps cap to tenant: refused.
      expect(problems.filter((p) => p.startsWith("citus_probe_child -> capabilities"))).toHaveLength(1);
      // And a reference table pointing into a distributed one.
      const flipped = {
        ...probes,
        citus_probe_child: { kind: "reference", reason: "a probe of the rule only" },
      };
      expect(
        (await citusProblems(db, flipped as Record<string, Placement>)).filter((p) =>
          p.includes("may not reference a distributed one"),
        ),
      ).toHaveLength(2);
    } finally {
      await db.execute(sql`drop table citus_probe_child, citus_probe_bad, citus_probe_new`);
    }
  });
});

describe("docs/scale.md's Citus script", () => {
  const script = scriptOrder();

  it("places every table of db/distribution.ts as it says, distributed ones by tenant beside events", () => {
    const placedIn = (kind: Placement["kind"]) =>
      Object.entries(TABLE_PLACEMENT)
        .filter(([, p]) => p.kind === kind)
        .map(([name]) => name)
        .sort();
    expect(
      script
        .filter((s) => s.call === "create_reference_table")
        .map((s) => s.name)
        .sort(),
    ).toEqual(placedIn("reference"));
    const dist = script.filter((s) => s.call === "create_distributed_table");
    expect(dist.map((s) => s.name).sort()).toEqual(placedIn("distributed"));
    for (const s of dist) {
      expect(s.args, s.name).toContain(`'${DISTRIBUTION_COLUMN}'`);
      if (s.name !== COLOCATION_TABLE)
        expect(s.args, s.name).toContain(`colocate_with => '${COLOCATION_TABLE}'`);
    }
  });
});
