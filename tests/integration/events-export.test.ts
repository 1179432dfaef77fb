import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events } from "@/db/schema";
import { csvCell, startExport } from "@/lib/data/events-export";
import { listEvents } from "@/lib/data/events-query";
import { backends } from "../support/db";
import { authority, BULK_PRINCIPAL, continueChains, insertQueryFixtures } from "../support/query-fixtures";

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

/** A small CSV reader for the test: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  return rows;
}

describe("csvCell", () => {
  it("defuses formulas and quotes what needs quoting", () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    for (const s of ["+1", "-2", "@SUM(A1)", "\tx"])
      expect(csvCell(s).startsWith("'") || csvCell(s).startsWith(`"'`)).toBe(true);
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(new Date("2026-11-26T09:00:00Z"))).toBe("2026-11-26T09:00:00.000Z");
  });
});

describe.each(backends)("event export on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    await insertQueryFixtures(database.db);
    await continueChains(database.db);
  });
  afterAll(() => database.close());
  const investigator = authority({ role: "investigator", tenants: ["acme"] });
  const viewer = authority({ role: "viewer", tenants: ["acme"] });

  it("streams exactly the query's rows as CSV and records the export as an event", async () => {
    const q = `principal:${BULK_PRINCIPAL}`;
    const res = await startExport(database.db, investigator, { q, sort: "ts_desc", format: "csv" });
    if (!res.ok) throw new Error(res.error);
    const rows = parseCsv(await readAll(res.stream));
    const header = rows[0] ?? [];
    expect(header).toContain("reason");
    const page = await listEvents(database.db, investigator, { q, sort: "ts_desc", limit: 200 });
    expect(rows.slice(1).map((r) => r[header.indexOf("id")])).toEqual(page.rows.map((r) => r.id));
    const audit = await database.db.select().from(events).where(eq(events.type, "console.events.exported"));
    expect(audit.at(-1)?.meta).toMatchObject({ query: q, format: "csv" });
  });

  it("gives a viewer the summary columns only, in JSON Lines", async () => {
    const res = await startExport(database.db, viewer, { q: "", sort: "ts_asc", format: "jsonl" });
    if (!res.ok) throw new Error(res.error);
    const lines = (await readAll(res.stream))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => !("reason" in l) && !("capabilityId" in l) && !("inputDigest" in l))).toBe(
      true,
    );
    expect(lines.every((l) => l.tenant === "acme")).toBe(true);
  });

  it("refuses a query that does not parse, with its position, and exports nothing", async () => {
    const before = (await database.db.select().from(events).where(eq(events.type, "console.events.exported")))
      .length;
    const res = await startExport(database.db, investigator, {
      q: "outcome:maybe",
      sort: "ts_desc",
      format: "csv",
    });
    expect(res).toMatchObject({ ok: false, position: 8 });
    const after = (await database.db.select().from(events).where(eq(events.type, "console.events.exported")))
      .length;
    expect(after).toBe(before);
  });
});
