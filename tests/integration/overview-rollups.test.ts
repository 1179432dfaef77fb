// Issue 17 point 4: the Overview reads rollups kept at ingest. Whatever events arrive, in
// whatever batches, the rollups give exactly what aggregating the events gives, and still do
// after a retention cut takes rows away and a restore puts them back.
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import { rebuildRollups, subtractFromRollups } from "@/lib/audit/rollups";
import { aggregatesFromEvents, aggregatesFromRollups } from "@/lib/data/overview";
import { uuidv7 } from "@/lib/ids";
import { backends } from "../support/db";
import { addTenants } from "../support/fixtures";

const TENANTS = ["acme", "globex"];
const NOW = new Date();

const eventArb = fc.record({
  tenant: fc.constantFrom(...TENANTS),
  // From nine days back to four minutes ahead (inside the accepted clock skew).
  // Half of them in the last two hours, so batches share hours and days.
  offsetMs: fc.oneof(
    fc.integer({ min: -9 * 86_400_000, max: 4 * 60_000 }),
    fc.integer({ min: -2 * 3_600_000, max: 4 * 60_000 }),
  ),
  type: fc.constantFrom("tool.call", "tool.call", "session.started", "console.test"),
  outcome: fc.constantFrom("allowed", "denied", "error") as fc.Arbitrary<"allowed" | "denied" | "error">,
  principal: fc.option(fc.constantFrom("alice@x.test", "bob@x.test", "carol@x.test"), { nil: null }),
  agent: fc.option(fc.constantFrom("billing-bot", "support-bot"), { nil: null }),
  reason: fc.option(fc.constantFrom("no right", "expired", "revoked session", ""), { nil: null }),
});

type Generated = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;

function content(e: Generated): ChainedContent {
  const ts = new Date(NOW.getTime() + e.offsetMs);
  return {
    id: uuidv7(),
    ts,
    tenant: e.tenant,
    type: e.type,
    principal: e.principal,
    agent: e.agent,
    outcome: e.outcome,
    reason: e.reason,
    meta: {},
  };
}

const sorted = <T>(rows: T[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe.each(backends)("the Overview's rollups on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, TENANTS);
  });
  afterAll(() => database.close());

  async function expectEqual(scope: string[], at: Date) {
    const [fromRollups, fromEvents] = await Promise.all([
      aggregatesFromRollups(database.db, scope, at),
      aggregatesFromEvents(database.db, scope, at),
    ]);
    expect({ ...fromRollups, byDay: sorted(fromRollups.byDay) }).toEqual({
      ...fromEvents,
      byDay: sorted(fromEvents.byDay),
    });
    return fromRollups;
  }

  it("equal the events' own aggregates for any events in any batches, per tenant and together", async () => {
    let seen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(eventArb, { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 4 }),
        async (batches) => {
          for (const batch of batches) {
            await database.db.transaction((tx) => appendEvents(tx, batch.map(content)));
            seen += batch.length;
          }
          for (const scope of [["acme"], ["globex"], TENANTS])
            for (const at of [NOW, new Date(NOW.getTime() + 37 * 60_000)]) await expectEqual(scope, at);
        },
      ),
      { numRuns: 12 },
    );
    const all = await expectEqual(TENANTS, new Date(NOW.getTime() + 10 * 60_000));
    // Not a vacuous pass: the property saw calls in the window, denied ones among them.
    expect(seen).toBeGreaterThan(20);
    expect(all.byDay.reduce((a, r) => a + r.n, 0)).toBeGreaterThan(0);
    expect(all.events24h).toBeGreaterThan(0);
  });

  it("still equal them after a cut takes a tenant's first rows away", async () => {
    // About half of acme's chain, rounded as a cut is.
    const res = (await database.db.execute(
      sql`select (floor(max(seq) / 32) * 16)::int as seq from events where tenant = 'acme'`,
    )) as { rows: { seq: number }[] };
    const seq = Number(res.rows[0]?.seq);
    expect(seq).toBeGreaterThan(0);
    await database.db.transaction(async (tx) => {
      await subtractFromRollups(tx, "acme", seq);
      await tx.execute(sql`delete from events where tenant = 'acme' and seq <= ${seq}`);
    });
    for (const scope of [["acme"], TENANTS]) await expectEqual(scope, NOW);
  });

  it("rebuilt from the events, the rollups are the rows kept batch by batch", async () => {
    const stored = async () => {
      const daily = (await database.db.execute(
        sql`select tenant, day::text, dim, value, n::int from event_rollups_daily order by 1, 2, 3, 4`,
      )) as unknown as { rows: unknown[] };
      const hourly = (await database.db.execute(
        sql`select tenant, hour::text, outcome::text, n::int from event_rollups_hourly order by 1, 2, 3`,
      )) as unknown as { rows: unknown[] };
      return { daily: daily.rows, hourly: hourly.rows };
    };
    const kept = await stored();
    expect(kept.daily.length).toBeGreaterThan(0);
    for (const t of TENANTS) await database.db.transaction((tx) => rebuildRollups(tx, t));
    expect(await stored()).toEqual(kept);
    await expectEqual(TENANTS, NOW);
  });
});
