// Issue 17 point 4: the explorer's free text is served by the trigram index (migration 0013),
// on PGlite and PostgreSQL alike, and the index changes no answer.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import type { Authority } from "@/lib/auth/authority";
import { listEvents, prepareEventsQuery } from "@/lib/data/events-query";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { HEAVY_TENANT, insertHeavyTenant } from "../support/heavy-fixtures";

describe.each(backends)("free text on $name", (backend) => {
  let database: Database;
  let investigator: Authority;
  let viewer: Authority;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, [HEAVY_TENANT]);
    await insertHeavyTenant(database.db, { events: 20_000, capabilities: 50 });
    // What autovacuum does soon after a bulk insert: merges the GIN index's pending list, which
    // the planner otherwise prices as a scan of every pending row.
    await database.db.execute(sql`vacuum analyze events`);
    investigator = await signedIn(database.db, {
      email: "i@x.test",
      role: "investigator",
      tenants: [HEAVY_TENANT],
    });
    viewer = await signedIn(database.db, { email: "v@x.test", role: "viewer", tenants: [HEAVY_TENANT] });
  });
  afterAll(() => database.close());

  it("plans a free-text search on the trigram index of each month", async () => {
    const prepared = prepareEventsQuery(investigator, "r_1234", new Date());
    if (!prepared.ok) throw new Error(prepared.error.message);
    const plan = (await database.db.execute(
      sql`explain (format json) select id from events where ${prepared.where} order by ts desc, id desc limit 50`,
    )) as { rows: { "QUERY PLAN": unknown }[] };
    const children = (await database.db.execute(
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events_text_trgm'::regclass`,
    )) as { rows: { name: string }[] };
    expect(children.rows.length).toBeGreaterThan(0);
    const text = JSON.stringify(plan.rows[0]?.["QUERY PLAN"]);
    expect(children.rows.some((c) => text.includes(`"Index Name":"${c.name}"`))).toBe(true);
  });

  it("finds what each column holds, and a viewer never matches on a reason", async () => {
    const res = await listEvents(database.db, investigator, { q: "r_1234", limit: 50 });
    expect(res.error).toBeUndefined();
    // r_1234 and r_12340..r_12349 (resource ids; reasons name the same resource).
    expect(res.rows.map((r) => r.resourceId).sort()).toEqual(
      ["r_1234", ...Array.from({ length: 10 }, (_, i) => `r_1234${i}`)].sort(),
    );
    const byReason = await listEvents(database.db, investigator, { q: "refused", limit: 5 });
    expect(byReason.rows).toHaveLength(5);
    const asViewer = await listEvents(database.db, viewer, { q: "refused", limit: 5 });
    expect(asViewer.rows).toHaveLength(0);
    const none = await listEvents(database.db, investigator, { q: "nowhere-to-be-found", limit: 5 });
    expect(none.rows).toHaveLength(0);
  });
});
