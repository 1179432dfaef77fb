import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import type { Escalation } from "@/db/schema";
import type { Authority } from "@/lib/auth/authority";
import { recordEscalationCapability } from "@/lib/data/escalation-common";
import { getOverview } from "@/lib/data/overview";
import { recountCapabilities } from "@/lib/ingest/capability-counts";
import { storeBatch } from "@/lib/ingest/store";
import { validateBatch } from "@/lib/ingest/validate";
import { backends } from "../support/db";
import { makeEvent } from "../support/ingest-fixtures";

// Issue 17: the Overview's "Capabilities seen" reads capability_counts, kept by the writers of
// capabilities. Whatever the batches (a capability repeated in a batch, sent again later, the
// same id in another tenant, parents after children, batches at once), each tenant's count is
// its number of rows.

const TENANTS = ["acme", "globex"] as const;
const POOL = Array.from({ length: 12 }, (_, i) => `cap_count_${String(i).padStart(2, "0")}`);

const admin = (tenants: string[]): Authority => ({
  userId: "00000000-0000-7000-8000-000000000001",
  email: "admin@console.test",
  name: null,
  role: "admin",
  tenants,
  activeTenant: null,
  sessionId: "test",
  authTime: new Date(),
});

describe.each(backends)("capability counts on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(() => database.close());

  const counts = async () => {
    const kept = (await database.db.execute(
      sql`select "tenant", "n"::int as "n" from "capability_counts" order by 1`,
    )) as unknown as { rows: { tenant: string; n: number }[] };
    const rows = (await database.db.execute(
      sql`select "tenant", count(*)::int as "n" from "capabilities" group by 1 order by 1`,
    )) as unknown as { rows: { tenant: string; n: number }[] };
    return { kept: kept.rows.filter((r) => r.n > 0), rows: rows.rows };
  };

  const store = async (tenant: string, caps: { id: string; parent: string | null }[]) => {
    const events = caps.map((c) => {
      const e = makeEvent(tenant);
      const capability = e.capability as Record<string, unknown>;
      return {
        ...e,
        capability: {
          ...capability,
          id: c.id,
          ...(c.parent ? { parentId: c.parent, rootId: c.parent, depth: 1, kind: "attenuated" } : {}),
        },
      };
    });
    const checked = validateBatch({ events });
    if (!checked.ok) throw new Error(JSON.stringify(checked.details ?? checked.error));
    return storeBatch(database.db, { tenant, events: checked.events });
  };

  it("each tenant's count is its number of capability rows, whatever the batches", async () => {
    const batch = fc.record({
      tenant: fc.constantFrom(...TENANTS),
      caps: fc.array(
        fc.record({
          id: fc.constantFrom(...POOL),
          parent: fc.option(fc.constantFrom(...POOL), { nil: null }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 5 }), async (batches) => {
        round += 1;
        // Ids of this round only, so every round starts from capabilities the tenant has not seen.
        const mine = (id: string) => `${id}_${round}`;
        await Promise.all(
          batches.map((b) =>
            store(
              b.tenant,
              b.caps.map((c) => ({
                id: mine(c.id),
                parent: c.parent && c.parent !== c.id ? mine(c.parent) : null,
              })),
            ),
          ),
        );
        const { kept, rows } = await counts();
        expect(kept).toEqual(rows);
      }),
      { numRuns: backend.name === "pglite" ? 15 : 25 },
    );
  });

  it("an escalation's capability counts once, and the Overview shows the tenants in view", async () => {
    const before = await counts();
    const row = {
      id: "00000000-0000-7000-8000-0000000000e1",
      tenant: "globex",
      principal: "bob@globex.example",
      agent: "bob-assistant",
      session: "sess_e",
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    } as unknown as Escalation;
    const cap = { id: "cap_escalation_e1", hash: "sha256:e1", summary: () => ({ rights: [] }) };
    for (let i = 0; i < 2; i++)
      await database.db.transaction((tx) =>
        recordEscalationCapability(tx, row, cap as never, "console-2026-12"),
      );
    const after = await counts();
    expect(after.kept).toEqual(after.rows);
    const n = (c: typeof before, t: string) => c.kept.find((r) => r.tenant === t)?.n ?? 0;
    expect(n(after, "globex")).toBe(n(before, "globex") + 1);
    for (const scope of [["acme"], ["globex"], ["acme", "globex"]]) {
      const o = await getOverview(database.db, admin(scope));
      expect(o.capabilities).toBe(scope.reduce((a, t) => a + n(after, t), 0));
    }
  });

  it("a bulk load that bypassed the writers is counted again from the rows", async () => {
    await database.db.execute(sql`insert into "capabilities" ("id", "tenant", "token_hash", "root_id", "ancestors", "depth", "summary", "kind")
      values ('cap_bulk_1', 'acme', 'sha256:b1', 'cap_bulk_1', '{}', 0, '{}', 'minted')`);
    expect((await counts()).kept).not.toEqual((await counts()).rows);
    await recountCapabilities(database.db, "acme");
    const { kept, rows } = await counts();
    expect(kept).toEqual(rows);
  });
});
