import { eq, max, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "@/db/client";
import { checkpoints, events } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { CHECKPOINT_BOUND_MS, checkpointMovedHeads, startCheckpointer } from "@/lib/audit/checkpointer";
import { consoleEvents } from "@/lib/audit/console-event";
import { verifyChains } from "@/lib/audit/verify";
import { createApiKey } from "@/lib/data/api-keys-admin";
import { handleIngest } from "@/lib/ingest";
import { backends, hasPostgres, openTempPostgres } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { ingestRequest, makeEvent, newKey, signer, verifyKeys } from "../support/ingest-fixtures";

const headSeq = async (db: Database["db"], tenant: string) =>
  (
    await db
      .select({ seq: max(events.seq) })
      .from(events)
      .where(eq(events.tenant, tenant))
  )[0]?.seq ?? 0;
const signedSeq = async (db: Database["db"], tenant: string) =>
  (
    await db
      .select({ seq: max(checkpoints.seq) })
      .from(checkpoints)
      .where(eq(checkpoints.tenant, tenant))
  )[0]?.seq ?? 0;

describe.each(backends)("the checkpointer on $name", (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
  });
  afterAll(() => database.close());

  it("covers console-written events (a sign-in, an admin action) within the bound, no ingest needed", async () => {
    const checkpointer = startCheckpointer(database.db, { signer, intervalMs: 200 });
    try {
      // A sign-in writes console.login into both tenants; creating an ingest key writes
      // console.api_key.created into acme. Neither path signs anything itself.
      const admin = await signedIn(database.db, {
        email: "root@x.test",
        role: "admin",
        tenants: ["acme", "globex"],
      });
      await createApiKey(database.db, admin, { tenant: "acme", source: "billing-agent" });
      const written = Date.now();
      const targets = {
        acme: await headSeq(database.db, "acme"),
        globex: await headSeq(database.db, "globex"),
      };
      expect(targets.acme).toBeGreaterThanOrEqual(2);
      let covered = false;
      while (!covered && Date.now() - written < CHECKPOINT_BOUND_MS + 1000) {
        await new Promise((r) => setTimeout(r, 25));
        covered =
          (await signedSeq(database.db, "acme")) >= targets.acme &&
          (await signedSeq(database.db, "globex")) >= targets.globex;
      }
      expect(covered).toBe(true);
      expect(Date.now() - written).toBeLessThan(CHECKPOINT_BOUND_MS);
    } finally {
      await checkpointer.stop();
    }
    const results = await verifyChains(database.db, { keys: verifyKeys });
    for (const r of results) {
      expect(r.ok).toBe(true);
      expect(r.latestCheckpoint?.seq).toBe(r.headSeq);
    }
  });

  it("reports how long the oldest newly covered event waited", async () => {
    await appendEvents(
      database.db,
      consoleEvents({
        actor: { email: "a@x.test", sessionId: "s1" },
        type: "console.test",
        tenants: ["acme"],
      }),
    );
    const later = new Date(Date.now() + 60_000);
    const [signed] = await checkpointMovedHeads(database.db, { signer, now: () => later });
    expect(signed?.tenant).toBe("acme");
    expect(signed?.lagMs).toBeGreaterThanOrEqual(59_000);
    expect(await checkpointMovedHeads(database.db, { signer })).toEqual([]);
  });

  it("logs a failed round and keeps going: the next round signs what the failed one could not", async () => {
    await appendEvents(
      database.db,
      consoleEvents({
        actor: { email: "a@x.test", sessionId: "s1" },
        type: "console.test",
        tenants: ["globex"],
      }),
    );
    const logged: string[] = [];
    await database.db.execute(sql`alter table checkpoints rename to checkpoints_away`);
    const checkpointer = startCheckpointer(database.db, {
      signer,
      intervalMs: 20,
      log: (m) => logged.push(m),
    });
    try {
      while (logged.length === 0) await new Promise((r) => setTimeout(r, 10));
      await database.db.execute(sql`alter table checkpoints_away rename to checkpoints`);
      const target = await headSeq(database.db, "globex");
      while ((await signedSeq(database.db, "globex")) < target) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await checkpointer.stop();
    }
    expect(logged[0]).toMatch(/round failed/);
  });
});

describe.runIf(hasPostgres)("the checkpointer with several console instances on one PostgreSQL", () => {
  let first: Database & { url: string };
  let second: Database;

  beforeAll(async () => {
    first = await openTempPostgres();
    second = await openDatabase({ kind: "postgres", url: first.url, poolSize: 3 });
    await addTenants(first.db, ["acme", "globex"]);
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it("never signs the same head twice when two instances run rounds at once", async () => {
    let signedTotal = 0;
    for (let i = 0; i < 15; i++) {
      await appendEvents(
        first.db,
        consoleEvents({
          actor: { email: "a@x.test", sessionId: "s1" },
          type: "console.test",
          tenants: i % 2 ? ["acme", "globex"] : ["acme"],
        }),
      );
      const rounds = await Promise.all([
        checkpointMovedHeads(first.db, { signer }),
        checkpointMovedHeads(second.db, { signer }),
        checkpointMovedHeads(second.db, { signer }),
      ]);
      signedTotal += rounds.flat().length;
    }
    const dupes = (await first.db.execute(
      sql`select tenant, seq, count(*)::int as n from checkpoints group by tenant, seq having count(*) > 1`,
    )) as { rows: unknown[] };
    expect(dupes.rows).toEqual([]);
    // A round that lost the lock signs nothing; the next one catches up. Nothing is left behind:
    signedTotal += (await checkpointMovedHeads(second.db, { signer })).length;
    expect(await signedSeq(first.db, "acme")).toBe(await headSeq(first.db, "acme"));
    expect(await signedSeq(first.db, "globex")).toBe(await headSeq(first.db, "globex"));
    const [{ n } = { n: 0 }] = (
      (await first.db.execute(sql`select count(*)::int as n from checkpoints`)) as { rows: { n: number }[] }
    ).rows;
    expect(n).toBe(signedTotal);
  });

  it("never waits for a batch that holds the tenant's lock, and signs only what committed", async () => {
    const key = await newKey(first.db, "globex");
    await checkpointMovedHeads(first.db, { signer });
    const before = await signedSeq(first.db, "globex");
    let release: () => void = () => {};
    let paused: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const inside = new Promise<void>((r) => {
      paused = r;
    });
    const batch = handleIngest(first.db, ingestRequest(key, { events: [makeEvent("globex")] }), {
      beforeCommit: async () => {
        paused();
        await gate;
      },
    });
    await inside;
    const t0 = Date.now();
    const during = await checkpointMovedHeads(second.db, { signer });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(during.filter((c) => c.tenant === "globex")).toEqual([]);
    release();
    expect((await batch).status).toBe(200);
    const after = await checkpointMovedHeads(second.db, { signer });
    expect(after.filter((c) => c.tenant === "globex").map((c) => c.seq)).toEqual([before + 1]);
  });
});
