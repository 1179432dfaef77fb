import { and, asc, count, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events } from "@/db/schema";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import {
  countEvents,
  EVENT_DETAIL_COLUMNS,
  EVENT_SUMMARY_COLUMNS,
  EventsQueryError,
  exportEvents,
  listEvents,
  prepareEventsQuery,
} from "@/lib/data/events-query";
import { pgTimestampToCursorTs, pgTimestampToDate } from "@/lib/query/cursor";
import { backends } from "../support/db";
import {
  ALL_EVENTS,
  authority,
  BULK_PRINCIPAL,
  CAP,
  CAPABILITY_ROWS,
  type CapName,
  type FixtureEvent,
  INJECTION,
  insertQueryFixtures,
  MICRO_SHIFTED,
  NOW,
  subtreeOf,
} from "../support/query-fixtures";

const acmeInvestigator = authority({ role: "investigator", tenants: ["acme"] });
const acmeViewer = authority({ role: "viewer", tenants: ["acme"] });
const admin = authority({ role: "admin", tenants: ["acme", "globex"] });

/** The oracle: the fixture events a query should return, computed in JavaScript. */
function expected(pred: (e: FixtureEvent) => boolean, tenants: string[] = ["acme"]): string[] {
  return ALL_EVENTS.filter((e) => tenants.includes(e.tenant) && pred(e))
    .map((e) => e.id)
    .sort();
}
const under = (name: CapName) => (e: FixtureEvent) => e.cap !== null && subtreeOf(name).includes(e.cap);

describe.each(backends)("events query on $name", (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await backend.open();
    await insertQueryFixtures(database.db);
  });
  afterAll(() => database.close());

  async function ids(who: Authority, q: string): Promise<string[]> {
    const res = await listEvents(database.db, who, { q, now: NOW, limit: 200 });
    expect(res.error).toBeUndefined();
    expect(res.nextCursor).toBeNull();
    return res.rows.map((r) => r.id).sort();
  }

  it("under: returns exactly the events of a capability's subtree", async () => {
    for (const name of ["R1", "C1", "C2", "G1", "R2"] as const) {
      expect(await ids(acmeInvestigator, `under:${CAP[name]}`)).toEqual(expected(under(name)));
    }
    expect(await ids(acmeInvestigator, `under:${CAP.C1}`)).toEqual(["a02", "a03", "a05", "a08"]);
    // Another tenant's tree is invisible, whoever holds its id.
    expect(await ids(acmeInvestigator, `under:${CAP.R3}`)).toEqual([]);
    expect(await ids(admin, `under:${CAP.R3}`)).toEqual(["g01", "g02", "g03"]);
  });

  it("under: and cap: with a prefix stay inside the tenant scope", async () => {
    // G4 (globex) shares R1's first 16 hex characters.
    const prefix = `${CAP.R1.slice(0, 12)}…`;
    expect(await ids(acmeInvestigator, `under:${prefix}`)).toEqual(expected(under("R1")));
    expect(await ids(admin, `under:${prefix}`)).toEqual(
      expected((e) => under("R1")(e) || e.cap === "G4", ["acme", "globex"]),
    );
    expect(await ids(acmeInvestigator, `cap:${CAP.R1.slice(0, 10)}`)).toEqual(["a10"]);
    expect(await ids(admin, `cap:${CAP.R1.slice(0, 10)}`)).toEqual(["a10", "g01"]);
    expect(await ids(admin, `cap:${CAP.G1}`)).toEqual(["a02", "a03"]);
  });

  it("cap.right: finds uses of capabilities whose summary grants that right", async () => {
    type Rights = { resource: string; actions: string[] }[];
    const granting = (pred: (rights: Rights) => boolean) => {
      const ids = CAPABILITY_ROWS.filter((c) => pred((c.summary as { rights: Rights }).rights)).map(
        (c) => c.id,
      );
      return (e: FixtureEvent) => e.cap !== null && ids.includes(CAP[e.cap]);
    };
    expect(await ids(acmeInvestigator, "cap.right:Order/write")).toEqual(
      expected(granting((r) => r.some((x) => x.resource === "Order" && x.actions.includes("write")))),
    );
    expect(await ids(acmeInvestigator, "cap.right:Order/write")).toEqual(["a02", "a03", "a08", "a10"]);
    expect(await ids(acmeInvestigator, "cap.right:Customer")).toEqual(["a01", "a09", "a10", "a13"]);
    expect(await ids(acmeInvestigator, "cap.right:*/read")).toEqual(
      expected(granting((r) => r.some((x) => x.actions.includes("read")))),
    );
    expect(await ids(admin, "cap.right:Order/write tenant:globex")).toEqual(["g01", "g02", "g03"]);
  });

  it("answers: did anything derived from X ever write an Order?", async () => {
    const q = (x: CapName) => `under:${CAP[x]} resource:Order action:write outcome:allowed`;
    expect(await ids(acmeInvestigator, q("C1"))).toEqual(["a02"]);
    expect(await ids(acmeInvestigator, q("R1"))).toEqual(["a02"]);
    expect(await ids(acmeInvestigator, q("C2"))).toEqual([]);
  });

  it("negation keeps rows whose column is null, and OR binds tighter than AND", async () => {
    expect(await ids(acmeInvestigator, "-principal:alice@acme.example")).toEqual(
      expected((e) => e.principal !== "alice@acme.example"),
    );
    expect(await ids(acmeInvestigator, "-principal:alice@acme.example")).toContain("a12");
    expect(await ids(acmeInvestigator, "NOT outcome:allowed")).toEqual(
      expected((e) => e.outcome !== "allowed"),
    );
    expect(await ids(acmeInvestigator, "outcome:denied OR outcome:error")).toEqual([
      "a03",
      "a08",
      "a09",
      "a11",
    ]);
    expect(await ids(acmeInvestigator, "tool:crm.update_order outcome:denied OR outcome:error")).toEqual([
      "a03",
      "a08",
    ]);
    expect(await ids(acmeInvestigator, "-(tool:crm.* OR principal:bulk@acme.example)")).toEqual(
      expected((e) => !e.tool?.startsWith("crm.") && e.principal !== BULK_PRINCIPAL),
    );
  });

  it("wildcards map * to % and keep % _ \\ literal", async () => {
    expect(await ids(acmeInvestigator, "tool:crm.*")).toEqual(expected((e) => !!e.tool?.startsWith("crm.")));
    expect(await ids(acmeInvestigator, "type:escalation.*")).toEqual(["a06", "a07"]);
    expect(await ids(acmeInvestigator, "tool:crm.%*")).toEqual(["a11"]);
    expect(await ids(acmeInvestigator, "tool:crm._*")).toEqual([]);
    expect(await ids(acmeInvestigator, 'tool:"crm.%_\\\\odd"')).toEqual(["a11"]);
    expect(await ids(acmeInvestigator, "reason:100%")).toEqual(["a11"]);
    expect(await ids(acmeInvestigator, "reason:_")).toEqual(expected((e) => !!e.reason?.includes("_")));
    // Unescaped, `_` would match the "%" of "100% sure_thing".
    expect(await ids(acmeInvestigator, "reason:100_")).toEqual([]);
    expect(await ids(acmeInvestigator, "principal:*@acme.example")).toEqual(
      expected((e) => !!e.principal?.endsWith("@acme.example")),
    );
  });

  it("treats an SQL-injection-looking value as a literal", async () => {
    expect(await ids(acmeInvestigator, `principal:"${INJECTION}"`)).toEqual(["a11"]);
    expect(await ids(acmeInvestigator, `"${INJECTION}"`)).toEqual(["a11"]);
    expect(await ids(acmeInvestigator, "session:'||'1'='1")).toEqual([]);
    expect(await ids(acmeInvestigator, "cap.right:Order\"}]}'::jsonb/write")).toEqual([]);
    const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(events);
    expect(row?.n).toBe(ALL_EVENTS.length);
  });

  it("covers the other keys: session, request, resource, action, field, reason, free text, time", async () => {
    expect(await ids(acmeInvestigator, "session:sess_bob")).toEqual(["a04"]);
    expect(await ids(acmeInvestigator, "request:req_a05")).toEqual(["a05"]);
    expect(await ids(acmeInvestigator, "resource:Order#o_2")).toEqual(["a03", "a06", "a07"]);
    expect(await ids(acmeInvestigator, "resource:Invoice action:read")).toEqual(["a04"]);
    expect(await ids(acmeInvestigator, "field:name")).toEqual(["a01"]);
    expect(await ids(acmeInvestigator, 'reason:"not customer"')).toEqual(["a09"]);
    expect(await ids(acmeInvestigator, "agent:bob-bot/*")).toEqual(["a04"]);
    expect(await ids(acmeInvestigator, "TIMEOUT")).toEqual(["a08"]);
    // Free text: tool, principal, agent, resource id and (for investigators) reason.
    expect(await ids(acmeInvestigator, "c_381")).toEqual(["a01", "a09"]);
    expect(await ids(acmeViewer, "c_381")).toEqual(["a01"]);
    expect(await ids(acmeInvestigator, "after:yesterday before:today")).toEqual(
      expected((e) => e.ts.toISOString().startsWith("2026-11-26")),
    );
    expect(await ids(acmeInvestigator, "after:2026-11-25T23:59:59.999Z before:2026-11-26")).toEqual(["a13"]);
    expect(await ids(acmeInvestigator, "after:1h")).toEqual(["a12"]);
    expect(await ids(acmeInvestigator, "after:now-40m")).toEqual(["a12"]);
  });

  it("keeps other tenants out, and tenant: outside the scope yields nothing without confirming it", async () => {
    const all = await ids(acmeInvestigator, "");
    expect(all).toEqual(expected(() => true));
    expect(await ids(acmeInvestigator, "globex-secret")).toEqual([]);
    expect(await ids(acmeInvestigator, "tenant:acme")).toEqual(all);
    const known = await listEvents(database.db, acmeInvestigator, { q: "tenant:globex", now: NOW });
    const unknown = await listEvents(database.db, acmeInvestigator, { q: "tenant:nosuchtenant", now: NOW });
    expect(known.rows).toEqual([]);
    expect(unknown.rows).toEqual([]);
    expect(known.error?.message).toBe("tenant: not in your scope.");
    expect(unknown.error).toEqual({ ...known.error, length: "tenant:nosuchtenant".length });
    expect(known.error?.hint).not.toContain("globex");
    expect(await ids(admin, "tenant:globex")).toEqual(expected(() => true, ["globex"]));
    const adminOnAcme = { ...admin, activeTenant: "acme" };
    expect((await listEvents(database.db, adminOnAcme, { q: "tenant:globex", now: NOW })).rows).toEqual([]);
    expect(
      (await countEvents(database.db, acmeInvestigator, { q: "principal:alice@acme.example" })).count,
    ).toBe(expected((e) => e.principal === "alice@acme.example").length);
  });

  it("pages with keyset cursors: every row exactly once, in both orders, across ties on ts", async () => {
    // Some rows differ only in microseconds, which a JavaScript Date cannot carry.
    const [micro] = await database.db
      .select({ n: count() })
      .from(events)
      .where(sql`date_trunc('milliseconds', ${events.ts}) <> ${events.ts}`);
    expect(micro?.n).toBe(MICRO_SHIFTED.length);
    for (const q of [`principal:${BULK_PRINCIPAL}`, ""]) {
      for (const sort of ["ts_desc", "ts_asc"] as const) {
        const order =
          sort === "ts_desc" ? [desc(events.ts), desc(events.id)] : [asc(events.ts), asc(events.id)];
        const truth = await database.db
          .select({ id: events.id })
          .from(events)
          .where(and(eq(events.tenant, "acme"), q === "" ? undefined : eq(events.principal, BULK_PRINCIPAL)))
          .orderBy(...order);
        const want = truth.map((r) => r.id);
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 100; pages++) {
          const res = await listEvents(database.db, acmeInvestigator, {
            q,
            sort,
            cursor,
            limit: 7,
            now: NOW,
          });
          expect(res.error).toBeUndefined();
          expect(res.rows.length).toBeLessThanOrEqual(7);
          seen.push(...res.rows.map((r) => r.id));
          cursor = res.nextCursor;
          if (!cursor) break;
        }
        expect(seen).toEqual(want);
      }
    }
  });

  it("over several tenants, each tenant's first rows merged give the pages one sort of every match gives", async () => {
    // listEvents reads a page over several tenants as each tenant's newest rows merged (issue 17);
    // the truth here is the same condition sorted whole. Free text takes the one-statement path.
    // Pages forward and back, both orders, with filters that keep one tenant, both or neither.
    const queries = [
      "",
      "outcome:denied",
      `principal:${BULK_PRINCIPAL}`,
      "tenant:globex",
      "NOT outcome:allowed OR tool:crm.*",
      "alice",
      `after:${new Date(NOW.getTime() - 3 * 86_400_000).toISOString()}`,
      "tenant:nowhere",
    ];
    // An admin of acme and a tenant with no events: globex's rows exist and must never show.
    const acmeAndEmpty = authority({ role: "admin", tenants: ["acme", "initech"] });
    const globexIds = new Set(ALL_EVENTS.filter((e) => e.tenant === "globex").map((e) => e.id));
    for (const [who, q] of [
      ...queries.map((q) => [admin, q] as const),
      ...["", "outcome:denied", "tenant:globex"].map((q) => [acmeAndEmpty, q] as const),
    ]) {
      const prepared = prepareEventsQuery(who, q, NOW);
      if (!prepared.ok) throw new Error(prepared.error.message);
      expect(prepared.perTenant === undefined, q).toBe(q === "alice");
      for (const sort of ["ts_desc", "ts_asc"] as const) {
        const dir = sort === "ts_desc" ? sql`desc` : sql`asc`;
        const truth = (await database.db.execute(
          sql`select "id" from "events" where ${prepared.where} order by "ts" ${dir}, "id" ${dir}`,
        )) as unknown as { rows: { id: string }[] };
        const want = truth.rows.map((r) => r.id);
        const pages: string[][] = [];
        const prevs: (string | null)[] = [];
        let cursor: string | null = null;
        for (let guard = 0; guard < 100; guard++) {
          const res = await listEvents(database.db, who, { q, sort, cursor, limit: 6, now: NOW });
          if (q === "tenant:nowhere" || (who === acmeAndEmpty && q === "tenant:globex"))
            expect(res.error?.message).toMatch(/not in your scope/);
          else expect(res.error).toBeUndefined();
          pages.push(res.rows.map((r) => r.id));
          prevs.push(res.prevCursor);
          cursor = res.nextCursor;
          if (!cursor) break;
        }
        expect(pages.flat(), `${q} ${sort}`).toEqual(want);
        if (who === acmeAndEmpty) for (const id of pages.flat()) expect(globexIds.has(id)).toBe(false);
        for (let i = pages.length - 1; i > 0; i--) {
          const back = await listEvents(database.db, who, {
            q,
            sort,
            before: prevs[i],
            limit: 6,
            now: NOW,
          });
          expect(
            back.rows.map((r) => r.id),
            `${q} ${sort} back to page ${i - 1}`,
          ).toEqual(pages[i - 1]);
        }
      }
      if (q === "") expect(new Set(ALL_EVENTS.map((e) => e.tenant)).size).toBeGreaterThan(1);
    }
  });

  it("reads each row's timestamps exactly, whatever the session's time zone", async () => {
    // Rows come back with ts as Postgres's text, in the session's zone; the Dates and the cursor
    // (to the microsecond) are read from it. Checked against the database's own UTC rendering…
    const instants = [
      "1900-01-01 00:00:00.5+00",
      "1969-12-31 23:59:59.999999+00",
      "1970-01-01 00:00:00+00",
      "2026-03-29 01:30:00.000001+00",
      "2026-11-26 09:14:03.51225+00",
      "0050-06-01 12:00:00+00",
      "9999-12-31 23:59:59.999999+00",
    ];
    const zones = ["UTC", "Europe/Amsterdam", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati"];
    for (const zone of zones) {
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('TimeZone', ${zone}, true)`);
        const res = (await tx.execute(
          sql`select t, to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as utc
                from (values ${sql.join(
                  instants.map((i) => sql`(${i}::timestamptz)`),
                  sql`, `,
                )}) as v(t)`,
        )) as unknown as { rows: { t: string; utc: string }[] };
        expect(res.rows).toHaveLength(instants.length);
        for (const { t, utc } of res.rows) {
          expect(pgTimestampToCursorTs(t), `${zone}: ${t}`).toBe(utc);
          expect(pgTimestampToDate(t).toISOString(), `${zone}: ${t}`).toBe(`${utc.slice(0, 23)}Z`);
        }
      });
    }
    // …and through the explorer: every page in an odd zone, rows and Dates as in UTC.
    const truth = await database.db
      .select({ id: events.id, ts: events.ts, receivedAt: events.receivedAt })
      .from(events)
      .where(eq(events.tenant, "acme"))
      .orderBy(desc(events.ts), desc(events.id));
    for (const zone of ["Asia/Kathmandu", "America/St_Johns"]) {
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('TimeZone', ${zone}, true)`);
        const seen: { id: string; ts: Date; receivedAt: Date }[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 100; pages++) {
          const res = await listEvents(tx, acmeInvestigator, { cursor, limit: 7, now: NOW });
          expect(res.error).toBeUndefined();
          if (res.detail !== "full") throw new Error("investigators get the full rows");
          seen.push(...res.rows.map((r) => ({ id: r.id, ts: r.ts, receivedAt: r.receivedAt })));
          cursor = res.nextCursor;
          if (!cursor) break;
        }
        expect(seen).toEqual(truth);
      });
    }
  });

  it("refuses a forged or mismatched cursor instead of guessing", async () => {
    const first = await listEvents(database.db, acmeInvestigator, { limit: 3, now: NOW });
    expect(first.nextCursor).not.toBeNull();
    for (const cursor of ["garbage", "eyJ4IjoxfQ", Buffer.from("{}").toString("base64url")]) {
      const res = await listEvents(database.db, acmeInvestigator, { cursor, now: NOW });
      expect(res.rows).toEqual([]);
      expect(res.error?.message).toMatch(/no longer valid/);
    }
    const flipped = await listEvents(database.db, acmeInvestigator, {
      cursor: first.nextCursor,
      sort: "ts_asc",
      now: NOW,
    });
    expect(flipped.error).toBeDefined();
  });

  it("gives viewers the summary columns and refuses them the detail keys", async () => {
    const asViewer = await listEvents(database.db, acmeViewer, { q: "tool:crm.*", now: NOW });
    expect(asViewer.detail).toBe("summary");
    expect(Object.keys(asViewer.rows[0] ?? {}).sort()).toEqual([...EVENT_SUMMARY_COLUMNS].sort());
    const asInvestigator = await listEvents(database.db, acmeInvestigator, { q: "tool:crm.*", now: NOW });
    expect(asInvestigator.detail).toBe("full");
    expect(Object.keys(asInvestigator.rows[0] ?? {}).sort()).toEqual([...EVENT_DETAIL_COLUMNS].sort());
    for (const hidden of ["hash", "prevHash", "seq", "contentHash"])
      expect(EVENT_DETAIL_COLUMNS).not.toContain(hidden);
    for (const hidden of ["reason", "capabilityId", "capabilityHash", "inputDigest", "meta", "traceId"])
      expect(EVENT_SUMMARY_COLUMNS).not.toContain(hidden);
    for (const q of ["reason:timeout", `under:${CAP.R1}`, `cap:${CAP.R1}`, "cap.right:Order/write"]) {
      const res = await listEvents(database.db, acmeViewer, { q, now: NOW });
      expect(res.rows).toEqual([]);
      expect(res.error?.message).toMatch(/needs the investigator role/);
    }
    // Free text does not reach the reason for viewers.
    expect((await listEvents(database.db, acmeViewer, { q: "timeout", now: NOW })).rows).toEqual([]);
  });

  it("returns parse errors with a position instead of rows, and checks the role", async () => {
    const res = await listEvents(database.db, acmeInvestigator, {
      q: "outcome:denied princpal:bob",
      now: NOW,
    });
    expect(res.rows).toEqual([]);
    expect(res.error).toMatchObject({ position: 15, length: 8, hint: 'Did you mean "principal"?' });
    const stranger = authority({ role: "nobody" as Authority["role"], tenants: ["acme"] });
    await expect(listEvents(database.db, stranger, {})).rejects.toBeInstanceOf(ForbiddenError);
    await expect(countEvents(database.db, stranger, {})).rejects.toBeInstanceOf(ForbiddenError);
    await expect(exportEvents(database.db, stranger, {}).next()).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("counts up to a cap and exports every row once in keyset batches", async () => {
    const total = expected(() => true).length;
    expect(await countEvents(database.db, acmeInvestigator, { max: 10 })).toEqual({
      count: 10,
      capped: true,
    });
    expect(await countEvents(database.db, acmeInvestigator, {})).toEqual({ count: total, capped: false });
    const exported: string[] = [];
    for await (const row of exportEvents(database.db, acmeViewer, { batchSize: 7, sort: "ts_asc" })) {
      expect(row).not.toHaveProperty("reason");
      exported.push(row.id);
    }
    expect(exported).toHaveLength(total);
    expect([...exported].sort()).toEqual(expected(() => true));
    await expect(
      exportEvents(database.db, acmeInvestigator, { q: "outcome:maybe" }).next(),
    ).rejects.toBeInstanceOf(EventsQueryError);
  });
});
