import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import { type Database, openDatabase } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";

export interface Backend {
  name: "pglite" | "postgres";
  /** A fresh, migrated, empty database of this kind; close() drops it. */
  open(): Promise<Database>;
}

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl && process.env.REQUIRE_POSTGRES === "1") {
  throw new Error(
    "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the PostgreSQL half of the suite cannot run.",
  );
}

async function adminQuery(text: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A new database on the test server, so test files never share rows. */
export async function openTempPostgres(
  opts: { migrate?: boolean } = {},
): Promise<Database & { url: string }> {
  if (!adminUrl) throw new Error("TEST_DATABASE_URL is not set");
  const name = `cc_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ kind: "postgres", url: url.toString(), poolSize: 5 });
  if (opts.migrate !== false) await migrateDatabase(database);
  return {
    ...database,
    url: url.toString(),
    close: async () => {
      await database.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

async function openMemoryPglite(): Promise<Database> {
  const database = await openDatabase({ kind: "pglite" });
  await migrateDatabase(database);
  return database;
}

export const backends: Backend[] = [
  { name: "pglite", open: openMemoryPglite },
  ...(adminUrl ? [{ name: "postgres" as const, open: () => openTempPostgres() }] : []),
];

export const hasPostgres = Boolean(adminUrl);

/** Every row of every table as text, like the data section of pg_dump (for leak checks). */
export async function dumpAllTables(db: Database["db"]): Promise<string> {
  const tables = (await db.execute(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  )) as { rows: { table_name: string }[] };
  let dump = "";
  for (const { table_name } of tables.rows) {
    const rows = (await db.execute(sql`select t::text as line from ${sql.identifier(table_name)} t`)) as {
      rows: { line: string }[];
    };
    dump += `${rows.rows.map((r) => r.line).join("\n")}\n`;
  }
  return dump;
}
