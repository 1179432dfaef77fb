// Issue 17 points 1 and 2: monthly partitions and per-tenant retention with verifiable archives.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, count, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { addMonths, ensureEventPartitions, listEventPartitions, monthStart } from "@/db/partitions";
import { events, retentionCuts, tenants } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import { consoleEvents } from "@/lib/audit/console-event";
import { verifyTenantChain } from "@/lib/audit/verify";
import { prepareEventsQuery } from "@/lib/data/events-query";
import { getInclusionProofs, getLatestTreeCheckpoint, leafOfContentHash } from "@/lib/merkle/store";
import { verifyInclusion } from "@/lib/merkle/verify";
import { verifyArchive } from "@/lib/retention/archive";
import { RestoreRefused, restoreArchive } from "@/lib/retention/restore";
import { overdueRetention } from "@/lib/retention/status";
import { expiryBoundary, retentionRound } from "@/lib/retention/sweep";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { signer, verifyKeys } from "../support/ingest-fixtures";

const keys = new Map(verifyKeys.map((k) => [k.kid, k.publicKey]));
const NOW = new Date();
// A month well past any retention set below, and the partition that holds it.
const OLD = addMonths(monthStart(NOW), -4);
const OLD_AT = new Date(OLD.getTime() + 14 * 86_400_000);
const oldName = `events_${OLD.getUTCFullYear()}_${String(OLD.getUTCMonth() + 1).padStart(2, "0")}`;

async function writeEvents(db: Database["db"], tenant: string, n: number, at: Date) {
  const batch = Array.from({ length: n }, (_, i) =>
    consoleEvents({
      actor: { email: `user${i % 3}@x.test`, sessionId: "s" },
      type: "console.test",
      tenants: [tenant],
      meta: { i },
      now: new Date(at.getTime() + i * 1000),
    }),
  ).flat();
  await db.transaction((tx) => appendEvents(tx, batch));
}

/** A tenant's first `upTo` events (written with a ts in the old month) received then too. */
async function receivedLongAgo(db: Database["db"], tenant: string, upTo: number) {
  await db.execute(
    sql`update events set received_at = ts + interval '0.2 seconds' where tenant = ${tenant} and seq <= ${upTo}`,
  );
}

async function setRetention(db: Database["db"], tenant: string, days: number | null) {
  const [t] = await db.select().from(tenants).where(eq(tenants.id, tenant));
  const { retentionDays: _, ...rest } = (t?.settings ?? {}) as Record<string, unknown>;
  await db
    .update(tenants)
    .set({ settings: days === null ? rest : { ...rest, retentionDays: days } })
    .where(eq(tenants.id, tenant));
}

const rowsOf = async (db: Database["db"], tenant: string) =>
  Number((await db.select({ n: count() }).from(events).where(eq(events.tenant, tenant)))[0]?.n ?? 0);

describe.each(backends)("partitions and retention on $name", (backend) => {
  let database: Database;
  let dir: string;

  beforeAll(async () => {
    database = await backend.open();
    dir = await mkdtemp(path.join(tmpdir(), "cc-archive-"));
    await addTenants(database.db, ["acme", "globex", "initech"]);
    await ensureEventPartitions(database.db, { from: OLD });
    // acme: 64 old events and 20 recent; globex: 45 old (a cut inside a 16-leaf block) and 5
    // recent; initech: 32 old, one edited below.
    await writeEvents(database.db, "acme", 64, OLD_AT);
    await writeEvents(database.db, "acme", 20, NOW);
    await receivedLongAgo(database.db, "acme", 64);
    await writeEvents(database.db, "globex", 45, OLD_AT);
    await writeEvents(database.db, "globex", 5, NOW);
    await receivedLongAgo(database.db, "globex", 45);
    await writeEvents(database.db, "initech", 32, OLD_AT);
    await writeEvents(database.db, "initech", 8, NOW);
    await receivedLongAgo(database.db, "initech", 32);
    await checkpointMovedHeads(database.db, { signer });
  });
  afterAll(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the current month and two ahead as partitions, plus the months rows need", async () => {
    const names = (await listEventPartitions(database.db)).map((p) => p.name);
    for (let i = 0; i <= 2; i++) {
      const m = addMonths(monthStart(NOW), i);
      expect(names).toContain(`events_${m.getUTCFullYear()}_${String(m.getUTCMonth() + 1).padStart(2, "0")}`);
    }
    expect(names).toContain(oldName);
    // Idempotent, and creates further months when the clock moves on.
    expect(await ensureEventPartitions(database.db)).toEqual([]);
    const later = await ensureEventPartitions(database.db, { now: addMonths(NOW, 3) });
    expect(later).toHaveLength(3);
    const rows = (await database.db.execute(
      sql`select pg_get_expr(c.relpartbound, c.oid) as bound from pg_class c where c.relname = ${oldName}`,
    )) as { rows: { bound: string }[] };
    expect(rows.rows[0]?.bound).toContain(OLD.toISOString().slice(0, 10));
    // The old rows are in their month's partition, not the current one.
    const inOld = (await database.db.execute(
      sql.raw(`select count(*)::int as n from "${oldName}" where tenant = 'acme'`),
    )) as { rows: { n: number }[] };
    expect(inOld.rows[0]?.n).toBe(64);
  });

  it("skips months before after: (the explorer's own query reads only the months that can hold matches)", async () => {
    // Signed in at globex (its login event lands after globex's old rows), looking at acme.
    const investigator = {
      ...(await signedIn(database.db, { email: "inv@x.test", role: "investigator", tenants: ["globex"] })),
      tenants: ["acme"],
    };
    const day = new Date(NOW.getTime() - 86_400_000).toISOString().slice(0, 10);
    const prepared = prepareEventsQuery(investigator, `principal:user1@x.test after:${day}`, NOW);
    if (!prepared.ok) throw new Error(prepared.error.message);
    const plan = (await database.db.execute(
      sql`explain (format json) select id from events where ${prepared.where} order by ts desc, id desc limit 50`,
    )) as { rows: { "QUERY PLAN": unknown }[] };
    const text = JSON.stringify(plan.rows[0]?.["QUERY PLAN"]);
    expect(text).not.toContain(oldName);
    expect(text).toContain(
      `events_${NOW.getUTCFullYear()}_${String(NOW.getUTCMonth() + 1).padStart(2, "0")}`,
    );
    // Without after: every month is read, the old one too (the check above can fail).
    const all = prepareEventsQuery(investigator, "principal:user1@x.test", NOW);
    if (!all.ok) throw new Error(all.error.message);
    const wide = (await database.db.execute(
      sql`explain (format json) select id from events where ${all.where} order by ts desc, id desc limit 50`,
    )) as { rows: { "QUERY PLAN": unknown }[] };
    expect(JSON.stringify(wide.rows[0]?.["QUERY PLAN"])).toContain(oldName);
  });

  it("cuts only the tenant with retention, archives, verifies from the anchor, keeps a month others use", async () => {
    await setRetention(database.db, "acme", 60);
    expect(expiryBoundary(NOW, 60) > OLD_AT).toBe(true);
    // Health says acme's retention is behind (expired events older than a day), nobody else's.
    const scope = ["acme", "globex", "initech"];
    expect((await overdueRetention(database.db, scope, NOW)).map((o) => o.tenant)).toEqual(["acme"]);
    expect(await overdueRetention(database.db, ["globex"], NOW)).toEqual([]);
    const round = await retentionRound(database.db, { signer, archiveDir: dir, now: NOW });
    expect(await overdueRetention(database.db, scope, NOW)).toEqual([]);
    expect(round.refused).toEqual([]);
    expect(round.cuts).toHaveLength(1);
    const cut = round.cuts[0];
    expect(cut).toMatchObject({ tenant: "acme", fromSeq: 1, toSeq: 64, events: 64 });
    expect(await rowsOf(database.db, "acme")).toBe(84 - 64 + 1); // + the console.retention.cut event
    // globex still has rows in the old month: it stays (the empty months after it go).
    expect(round.dropped).not.toContain(oldName);
    expect(round.dropped.length).toBeGreaterThan(0);
    const v = await verifyTenantChain(database.db, { tenant: "acme", keys });
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.anchor?.seq).toBe(64);
    expect(v.verifiedSeq).toBe(85);
    // The archive verifies offline, with the console's key, and names a tampered row.
    const file = cut?.archive.file as string;
    const good = await verifyArchive(file, keys);
    expect(good.problems).toEqual([]);
    expect(good).toMatchObject({ ok: true, rows: 64, selfKeyed: false });
    const stranger = await verifyArchive(
      file,
      new Map([["console-other", verifyKeys[0]?.publicKey.replace(/.$/, "0") as string]]),
    );
    expect(stranger.ok).toBe(false);
    const tampered = path.join(dir, "tampered.jsonl.gz");
    execFileSync("sh", [
      "-c",
      `gunzip -c '${file}' | sed '3s/user1@x.test/mallory@x.test/' | gzip > '${tampered}'`,
    ]);
    const bad = await verifyArchive(tampered, keys);
    expect(bad.ok).toBe(false);
    expect(bad.problems.join("\n")).toMatch(/seq 2 \(line 3\): content differs/);
    await expect(restoreArchive(database.db, { file: tampered, keys })).rejects.toThrow(RestoreRefused);
    if (backend.name === "pglite") {
      // The command an outsider runs: exit 0 with the console's keys, 1 on the tampered copy.
      const keysFile = path.join(dir, "keys.json");
      await writeFile(keysFile, JSON.stringify(verifyKeys));
      const cli = (f: string) =>
        spawnSync(
          "npx",
          ["tsx", "--conditions=react-server", "scripts/archive.ts", "verify", f, "--keys", keysFile],
          {
            encoding: "utf8",
            env: { ...process.env, DATA_DIR: dir, DATABASE_URL: "" },
          },
        );
      const ok = cli(file);
      expect(ok.stdout).toMatch(/^OK {6}acme: seq 1\.\.64 \(64 events/);
      expect(ok.status).toBe(0);
      const broken = cli(tampered);
      expect(broken.stdout).toMatch(/BROKEN[\s\S]*seq 2 \(line 3\): content differs/);
      expect(broken.status).toBe(1);
    }
  });

  it("drops the month once every tenant in it has cut, and refuses to cut a chain that does not verify", async () => {
    await database.db.execute(
      sql`update events set principal = 'mallory@x.test' where tenant = 'initech' and seq = 7`,
    );
    await setRetention(database.db, "initech", 30);
    await setRetention(database.db, "globex", 30);
    const before = await rowsOf(database.db, "initech");
    const first = await retentionRound(database.db, { signer, archiveDir: dir, now: NOW });
    const second = await retentionRound(database.db, {
      signer,
      archiveDir: dir,
      now: NOW,
      skip: new Set(first.refused),
    });
    const all = [first, second];
    expect(all.flatMap((r) => r.refused)).toContain("initech");
    // The refusal shows where an admin looks (/api/health), whichever instance ran the job.
    expect(
      (await overdueRetention(database.db, ["acme", "globex", "initech"], NOW)).map((o) => o.tenant),
    ).toEqual(["initech"]);
    expect(all.flatMap((r) => r.cuts).map((c) => c.tenant)).toEqual(["globex"]);
    expect(await rowsOf(database.db, "initech")).toBe(before);
    expect(await database.db.select().from(retentionCuts).where(eq(retentionCuts.tenant, "initech"))).toEqual(
      [],
    );
    // initech's rows hold the old month; once they go, it is dropped.
    await database.db.execute(sql`delete from events where tenant = 'initech' and seq <= 32`);
    const third = await retentionRound(database.db, {
      signer,
      archiveDir: dir,
      now: NOW,
      skip: new Set(["initech"]),
    });
    expect([...first.dropped, ...second.dropped, ...third.dropped]).toContain(oldName);
    expect((await listEventPartitions(database.db)).map((p) => p.name)).not.toContain(oldName);
    const g = await verifyTenantChain(database.db, { tenant: "globex", keys });
    expect(g.problems).toEqual([]);
    expect(g.anchor?.seq).toBe(45);
    // The kept events in the block the cut ends inside still have proofs: the cut kept the low
    // pieces of the tree's edge, and the proof verifies against the signed root.
    await checkpointMovedHeads(database.db, { signer });
    const head = await getLatestTreeCheckpoint(database.db, "globex");
    const size = head?.size as number;
    expect(size).toBeGreaterThan(50);
    const proofs = await getInclusionProofs(database.db, { tenant: "globex", indices: [45, 46, 47], size });
    const [row] = await database.db
      .select({ contentHash: events.contentHash })
      .from(events)
      .where(and(eq(events.tenant, "globex"), eq(events.seq, 46)));
    const leaf = leafOfContentHash(row?.contentHash as string);
    expect(
      verifyInclusion({ index: 45, size, leaf, proof: proofs.get(45) ?? [], root: head?.root as Uint8Array }),
    ).toBe(true);
  });

  it("reports a forged cut: no signed checkpoint at it, not recorded in the chain", async () => {
    await database.db.insert(retentionCuts).values({
      tenant: "globex",
      seq: 49,
      fromSeq: 49,
      hash: `sha256:${"1".repeat(64)}`,
      treeRoot: Buffer.alloc(32),
      before: NOW,
      events: 1,
      archive: "forged",
      archiveSha256: "sha256:0",
    });
    const g = await verifyTenantChain(database.db, { tenant: "globex", keys });
    expect(g.ok).toBe(false);
    const text = g.problems.map((p) => p.problem).join("\n");
    expect(text).toMatch(/retention cut at seq 49 has no signed checkpoint/);
    expect(text).toMatch(/retention cut at seq 49 is not recorded in the chain/);
    await database.db
      .delete(retentionCuts)
      .where(and(eq(retentionCuts.tenant, "globex"), eq(retentionCuts.seq, 49)));
  });

  it("restores the latest archive in one call: rows back, verified from genesis, retention off", async () => {
    const files = (await readdir(path.join(dir, "acme"))).filter((f) => f.endsWith(".ccarchive.jsonl.gz"));
    expect(files).toHaveLength(1);
    const restored = await restoreArchive(database.db, {
      file: path.join(dir, "acme", files[0] as string),
      keys,
    });
    expect(restored).toMatchObject({ tenant: "acme", fromSeq: 1, toSeq: 64, events: 64, retentionWas: 60 });
    expect(await rowsOf(database.db, "acme")).toBe(84 + 2);
    const v = await verifyTenantChain(database.db, { tenant: "acme", keys });
    expect(v.problems).toEqual([]);
    expect(v.anchor).toBeNull();
    expect(v.verifiedSeq).toBe(86);
    const [t] = await database.db.select().from(tenants).where(eq(tenants.id, "acme"));
    expect(t?.settings.retentionDays).toBeUndefined();
    // Restoring twice is refused (the cut is gone), nothing changes.
    await expect(
      restoreArchive(database.db, { file: path.join(dir, "acme", files[0] as string), keys }),
    ).rejects.toThrow(/no retention cut/);
    expect(await rowsOf(database.db, "acme")).toBe(86);
  });
});
