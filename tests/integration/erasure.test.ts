// Issue 17 point 2: erasing a person's data inside retention without breaking verification
// (lib/audit/subjects.ts, lib/data/subject-erasure.ts), on both backends: the chain, the Merkle tree,
// evidence bundles and retention archives still verify, and nothing left names the person.
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { addMonths, ensureEventPartitions, monthStart } from "@/db/partitions";
import { alerts, events, sessions, subjectKeys, tenants } from "@/db/schema";
import { evaluateDueRules } from "@/lib/alerts/runner";
import { appendEvents } from "@/lib/audit/append";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import { commitmentsOf, ERASED_PRINCIPAL, loadSubjectKeys } from "@/lib/audit/subjects";
import { verifyTenantChain } from "@/lib/audit/verify";
import type { Authority } from "@/lib/auth/authority";
import { alertRuleInputSchema, createAlertRule } from "@/lib/data/alerts";
import { EraseRefused, eraseSubject, eraseSubjectSchema } from "@/lib/data/subject-erasure";
import { ForbiddenError } from "@/lib/errors";
import { buildEvidenceBundle } from "@/lib/evidence/bundle";
import { storeProofSource } from "@/lib/evidence/server";
import { storeBatch } from "@/lib/ingest/store";
import { validateBatch } from "@/lib/ingest/validate";
import { treeOrigin, vkeysFor } from "@/lib/merkle/sign";
import { verifyArchive } from "@/lib/retention/archive";
import { restoreArchive } from "@/lib/retention/restore";
import { retentionRound } from "@/lib/retention/sweep";
import { verifyBundle } from "@/packages/sdk/src/evidence/verify";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { consoleKey, makeEvent, signer, verifyKeys } from "../support/ingest-fixtures";
import { event } from "../unit/evidence/make-bundle";

const ORIGIN = "console.test/capability-console";
const pin = (tenant: string) => ({
  trustedKeys: vkeysFor(treeOrigin(ORIGIN, tenant), [consoleKey.publicKey]),
});
const keys = new Map(verifyKeys.map((k) => [k.kid, k.publicKey]));
const ALICE = "alice@acme.example";
const input = (subject: string, reference = "DSR-1042") =>
  eraseSubjectSchema.parse({ tenant: "acme", subject, confirm: subject, reference });

describe.each(backends)("erasing a subject on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let dir: string;
  let sent: Record<string, unknown>[];
  const proofs = () =>
    storeProofSource(database.db, {
      signer: consoleKey,
      logOrigin: ORIGIN,
      keys: (t: string) => vkeysFor(treeOrigin(ORIGIN, t), [consoleKey.publicKey]),
    });

  const ingest = async (tenant: string, over: Record<string, unknown>[]) => {
    const checked = validateBatch({ events: over.map((o) => makeEvent(tenant, o)) });
    if (!checked.ok) throw new Error(JSON.stringify(checked.details ?? checked.error));
    return storeBatch(database.db, { tenant, events: checked.events });
  };
  const user = (email: string, role: "admin" | "investigator", tenant: string) =>
    signedIn(database.db, { email, role, tenants: [tenant] });
  const verify = async (tenant = "acme") => {
    await checkpointMovedHeads(database.db, { signer });
    return verifyTenantChain(database.db, { tenant, keys });
  };

  beforeAll(async () => {
    database = await backend.open();
    dir = await mkdtemp(path.join(tmpdir(), "cc-erase-"));
    await addTenants(database.db, ["acme", "globex"]);
    // One event of alice from before erasable events existed (content version 1).
    await database.db.transaction((tx) => appendEvents(tx, [event("acme", 900, { contentVersion: 1 })]));
    sent = Array.from({ length: 30 }, (_, i) => {
      const principal = i % 3 === 2 ? "bob@acme.example" : ALICE;
      return makeEvent("acme", { principal, meta: { prompt: `summarise ticket ${i} for ${principal}` } });
    });
    await ingest("acme", sent);
    await ingest("globex", [{ principal: ALICE, tenant: "globex" }]);
    admin = await user("ada@acme.example", "admin", "acme");
  });
  afterAll(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores ingested events erasable: one key per subject, a chain that verifies, edits detected", async () => {
    const versions = await database.db
      .select({ v: events.contentVersion, n: sql<number>`count(*)::int` })
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.type, "tool.call")))
      .groupBy(events.contentVersion);
    expect(Object.fromEntries(versions.map((r) => [r.v, r.n]))).toEqual({ 1: 1, 2: 30 });
    const subjects = await database.db
      .select({ tenant: subjectKeys.tenant, subject: subjectKeys.subject })
      .from(subjectKeys)
      .orderBy(subjectKeys.tenant, subjectKeys.subject);
    expect(subjects).toEqual([
      { tenant: "acme", subject: ALICE },
      { tenant: "acme", subject: "bob@acme.example" },
      { tenant: "globex", subject: ALICE },
    ]);
    expect((await verify()).problems).toEqual([]);
    // A principal or meta edited on an erasable row breaks it, as on any row.
    await database.db.execute(
      sql`update events set principal = 'mallory@acme.example' where tenant = 'acme' and seq = 2`,
    );
    await database.db.execute(
      sql`update events set meta = '{"prompt":"nothing"}' where tenant = 'acme' and seq = 3`,
    );
    const bad = await verify();
    expect(bad.problems.map((p) => p.seq)).toEqual(expect.arrayContaining([2, 3]));
    await database.db.execute(sql`update events set principal = ${ALICE} where tenant = 'acme' and seq = 2`);
    await database.db.execute(
      sql`update events set meta = ${JSON.stringify({ prompt: `summarise ticket 1 for ${ALICE}` })}::jsonb where tenant = 'acme' and seq = 3`,
    );
    expect((await verify()).problems).toEqual([]);
  });

  it("exports a v2 bundle whose disclosures open the commitments, and an altered disclosure fails", async () => {
    const investigator = await user("ivy@acme.example", "investigator", "acme");
    const res = await buildEvidenceBundle(
      database.db,
      investigator,
      { kind: "query", q: `principal:${ALICE}` },
      { proofs: proofs() },
    );
    if (!res.ok) throw new Error(res.error);
    expect(res.bundle.format).toBe("capability-console/evidence-bundle@v2");
    const report = await verifyBundle(new TextEncoder().encode(res.json), pin("acme"));
    expect(report.failures).toEqual([]);
    expect(report.verdict).toBe("genuine");
    const v2 = report.events.filter((e) => Object.keys(e.disclosed).length > 0);
    expect(v2.length).toBe(20);
    expect(v2[0]?.disclosed.principal).toBe(ALICE);
    expect(report.events.every((e) => e.principal === ALICE && e.withheld.length === 0)).toBe(true);
    expect(report.summary).not.toContain("withheld");
    // The canonical text itself holds commitments, not the name.
    expect(
      res.bundle.events
        .filter((e) => e.canonical.includes('"v":2'))
        .every((e) => !e.canonical.includes(ALICE)),
    ).toBe(true);
    const forged = JSON.parse(res.json);
    const target = forged.events.find((e: { disclosures?: unknown }) => e.disclosures);
    target.disclosures.principal.value = "bob@acme.example";
    const bad = await verifyBundle(new TextEncoder().encode(JSON.stringify(forged)), pin("acme"));
    expect(bad.verdict).toBe("failed");
    expect(bad.failures.map((f) => f.message).join("\n")).toMatch(
      /does not commit to the disclosed principal/,
    );
  });

  it("refuses other roles, other tenants, a stale sign-in, a mistyped confirmation and unknown names", async () => {
    const investigator = await user("ivo@acme.example", "investigator", "acme");
    await expect(eraseSubject(database.db, investigator, input(ALICE))).rejects.toThrow(ForbiddenError);
    const globexAdmin = await user("gwen@globex.example", "admin", "globex");
    await expect(eraseSubject(database.db, globexAdmin, input(ALICE))).rejects.toThrow();
    const stale = { ...admin, authTime: new Date(Date.now() - 10 * 60_000) };
    await expect(eraseSubject(database.db, stale, input(ALICE))).rejects.toThrow(/Sign in again/);
    const typo = eraseSubjectSchema.safeParse({
      tenant: "acme",
      subject: ALICE,
      confirm: "alice@acme.exampel",
      reference: "DSR-1",
    });
    expect(typo.success).toBe(false);
    expect(typo.error?.issues[0]?.path).toEqual(["confirm"]);
    expect(
      eraseSubjectSchema.safeParse({ tenant: "acme", subject: ALICE, confirm: ALICE, reference: "" }).success,
    ).toBe(false);
    await expect(eraseSubject(database.db, admin, input("nobody@acme.example"))).rejects.toThrow(
      EraseRefused,
    );
    // Nothing changed.
    const [k] = await database.db
      .select()
      .from(subjectKeys)
      .where(and(eq(subjectKeys.tenant, "acme"), eq(subjectKeys.subject, ALICE)));
    expect(k).toBeDefined();
  });

  it("erases alice in acme only: values gone, key gone, the log still verifies, edits still detected", async () => {
    const done = await eraseSubject(database.db, admin, input(ALICE));
    expect(done).toEqual({ tenant: "acme", events: 20, notErasable: 1 });
    const left = await database.db
      .select({ seq: events.seq, principal: events.principal, meta: events.meta, type: events.type })
      .from(events)
      .where(eq(events.tenant, "acme"));
    // Still naming her: the version 1 event (it goes with retention) and the console's record
    // of the export whose query named her (console events are the console's own audit trail).
    const named = left.filter((r) => JSON.stringify(r).includes(ALICE));
    expect(named.map((r) => r.type).sort()).toEqual(["console.evidence.exported", "tool.call"]);
    expect(left.filter((r) => r.principal === ERASED_PRINCIPAL)).toHaveLength(20);
    const record = left.find((r) => r.type === "console.subject.erased");
    // The record binds the rows it blanked: how many, which seqs (digest), under which id.
    expect(record?.meta).toMatchObject({ reference: "DSR-1042", events: 20, notErasable: 1, firstSeq: 2 });
    expect(record?.meta.erasure).toMatch(/^[0-9a-f]{32}$/);
    expect(record?.meta.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(record)).not.toContain("alice");
    expect(
      await database.db
        .select()
        .from(subjectKeys)
        .where(and(eq(subjectKeys.tenant, "acme"), eq(subjectKeys.subject, ALICE))),
    ).toEqual([]);
    // globex's alice is another subject: untouched.
    const [g] = await database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "globex"), eq(events.type, "tool.call")));
    expect(g?.principal).toBe(ALICE);
    // Derived rows: sessions, capability summaries and the Overview's principal rollups.
    const derived = await database.db.execute(sql`
      select (select count(*)::int from sessions where tenant = 'acme' and principal = ${ALICE}) as s,
             (select count(*)::int from capabilities where tenant = 'acme' and summary::text like ${`%${ALICE}%`}) as c,
             (select count(*)::int from event_rollups_daily where tenant = 'acme' and dim = 'principal' and value = ${ALICE}) as r`);
    expect((derived as unknown as { rows: unknown[] }).rows[0]).toEqual({ s: 0, c: 0, r: 0 });
    expect(
      (await database.db.select().from(sessions).where(eq(sessions.principal, ERASED_PRINCIPAL))).length,
    ).toBeGreaterThan(0);

    const v = await verify();
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    // An erased row still proves the rest of it: another field edited breaks it, and so does a
    // stored commitment swapped.
    const [erased] = await database.db
      .select({ seq: events.seq })
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.principal, ERASED_PRINCIPAL)))
      .limit(1);
    const seq = erased?.seq as number;
    const [next] = await database.db
      .select({ erased: events.erased })
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.seq, seq + 1)));
    expect(next?.erased).toBeTruthy();
    await database.db.execute(
      sql`update events set outcome = 'allowed', reason = null where tenant = 'acme' and seq = ${seq}`,
    );
    await database.db.execute(
      sql`update events set erased = jsonb_set(erased, '{meta}', to_jsonb(${`sha256:${"0".repeat(64)}`}::text)) where tenant = 'acme' and seq = ${seq + 1}`,
    );
    const bad = await verify();
    expect(bad.problems.map((p) => p.seq)).toEqual(expect.arrayContaining([seq, seq + 1]));
    await database.db.execute(
      sql`update events set outcome = 'denied', reason = 'resource Order is not Customer#c_381 (check in block 2)' where tenant = 'acme' and seq = ${seq}`,
    );
    await database.db.execute(
      sql`update events set erased = ${JSON.stringify(next?.erased)}::jsonb where tenant = 'acme' and seq = ${seq + 1}`,
    );
    expect((await verify()).problems).toEqual([]);
  });

  it("reports an erased row named again, a row blanked by hand, and one slipped into a recorded erasure", async () => {
    const [row] = await database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.principal, ERASED_PRINCIPAL)))
      .limit(1);
    const at = (seq: number) => and(eq(events.tenant, "acme"), eq(events.seq, seq));
    await database.db
      .update(events)
      .set({ principal: "mallory@acme.example" })
      .where(at(row?.seq as number));
    // Like any edited row, its leaf no longer matches the stored tree and signed checkpoints.
    const named = (await verify()).problems;
    expect(named[0]).toEqual({
      seq: row?.seq,
      problem:
        "an erased event names a principal or holds meta again (row edited): its content cannot be checked",
    });
    expect(named.slice(1).map((p) => p.problem.slice(0, 12))).toEqual(
      Array(named.length - 1).fill("Merkle tree:"),
    );
    expect(named.length).toBeGreaterThan(1);
    await database.db
      .update(events)
      .set({ principal: ERASED_PRINCIPAL })
      .where(at(row?.seq as number));

    // A database writer can read bob's key and blank one of his events so that it still hashes.
    const [bob] = await database.db
      .select()
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.principal, "bob@acme.example")))
      .limit(1);
    if (!bob) throw new Error("no bob");
    const bobKeys = await loadSubjectKeys(database.db, "acme", ["bob@acme.example"]);
    const blank = { principal: ERASED_PRINCIPAL, meta: {} };
    await database.db
      .update(events)
      .set({ ...blank, erased: commitmentsOf(bob, bobKeys) })
      .where(at(bob.seq));
    const byHand = await verify();
    expect(byHand.problems.map((p) => p.problem)).toEqual([
      "1 erased event has no recorded erasure after them (an interrupted erasure: run it again; otherwise rows blanked by hand)",
    ]);
    // Tagged with alice's erasure, the recorded count and digest no longer match.
    const [rec] = await database.db
      .select({ meta: events.meta })
      .from(events)
      .where(and(eq(events.tenant, "acme"), eq(events.type, "console.subject.erased")));
    await database.db
      .update(events)
      .set({ erased: { ...commitmentsOf(bob, bobKeys), by: String(rec?.meta.erasure) } })
      .where(at(bob.seq));
    expect((await verify()).problems.map((p) => p.problem).join("\n")).toMatch(
      /the erased events differ from what the erasure at seq \d+ recorded \(21 here, 20 recorded\)/,
    );
    await database.db
      .update(events)
      .set({ principal: bob.principal, meta: bob.meta, erased: null })
      .where(at(bob.seq));
    expect((await verify()).problems).toEqual([]);
  });

  it("answers a platform's retry of an erased event as a duplicate, without bringing the name back", async () => {
    const retry = await ingest("acme", [sent[0] as Record<string, unknown>]);
    expect(retry.results).toEqual([{ id: (sent[0] as { id: string }).id, status: "duplicate" }]);
    expect(
      await database.db
        .select()
        .from(subjectKeys)
        .where(and(eq(subjectKeys.tenant, "acme"), eq(subjectKeys.subject, ALICE))),
    ).toEqual([]);
    // "[erased]" itself is not a name a platform may send.
    expect(validateBatch({ events: [makeEvent("acme", { principal: ERASED_PRINCIPAL })] }).ok).toBe(false);
  });

  it("a bundle after the erasure verifies and withholds what was erased; alice can come back with a new key", async () => {
    await ingest("acme", [{ principal: ALICE, meta: { prompt: "after" } }]);
    const [k] = await database.db
      .select()
      .from(subjectKeys)
      .where(and(eq(subjectKeys.tenant, "acme"), eq(subjectKeys.subject, ALICE)));
    expect(k).toBeDefined();
    const res = await buildEvidenceBundle(
      database.db,
      admin,
      { kind: "query", q: `principal:"${ERASED_PRINCIPAL}"` },
      { proofs: proofs() },
    );
    if (!res.ok) throw new Error(res.error);
    const report = await verifyBundle(new TextEncoder().encode(res.json), pin("acme"));
    expect(report.failures).toEqual([]);
    expect(
      report.events
        .filter((e) => e.position >= 0)
        .every((e) => e.withheld.join() === "principal,meta" && e.principal === null),
    ).toBe(true);
    const erasedCount = report.events.filter((e) => e.position >= 0).length;
    expect(erasedCount).toBe(20);
    expect(report.summary).toContain(
      `; ${erasedCount} event${erasedCount === 1 ? "" : "s"} with fields withheld (proven by commitment`,
    );
    expect(res.json).not.toContain(ALICE);
  });

  it("archives erasable rows with their salts; restoring after an erasure erases them again", async () => {
    // initech's first dozen events were received four months ago: the retention cut takes them.
    const OLD = addMonths(monthStart(new Date()), -4);
    await ensureEventPartitions(database.db, { from: OLD });
    await addTenants(database.db, ["initech"]);
    const t0 = new Date(OLD.getTime() + 3 * 86_400_000);
    await ingest(
      "initech",
      Array.from({ length: 12 }, (_, i) => ({
        tenant: "initech",
        ts: new Date(t0.getTime() + i * 1000).toISOString(),
        principal: i % 2 ? "bob@initech.example" : "carol@initech.example",
      })),
    );
    await database.db.execute(
      sql`update events set received_at = ts + interval '1 second' where tenant = 'initech'`,
    );
    await ingest("initech", [{ tenant: "initech", principal: "carol@initech.example" }]);
    await checkpointMovedHeads(database.db, { signer });
    await database.db
      .update(tenants)
      .set({ settings: { retentionDays: 30 } })
      .where(eq(tenants.id, "initech"));
    const round = await retentionRound(database.db, { signer, archiveDir: dir, now: new Date() });
    expect(round.refused).toEqual([]);
    const cut = round.cuts.find((c) => c.tenant === "initech");
    expect(cut?.events).toBe(12);
    const file = cut?.archive.file as string;
    expect((await verifyArchive(file, keys)).problems).toEqual([]);
    // The archive carries salts, never a subject key.
    const text = execFileSync("sh", ["-c", `gunzip -c '${file}'`], { encoding: "utf8" });
    expect(text).toContain('"salts":{"principal":');
    // bob is erased after the archive was made: his rows are not in the database any more.
    const initechAdmin = await user("ian@initech.example", "admin", "initech");
    const done = await eraseSubject(
      database.db,
      initechAdmin,
      eraseSubjectSchema.parse({
        tenant: "initech",
        subject: "bob@initech.example",
        confirm: "bob@initech.example",
        reference: "DSR-7",
      }),
    );
    expect(done).toEqual({ tenant: "initech", events: 0, notErasable: 0 });
    const files = (await readdir(path.dirname(file))).filter((f) => f.endsWith(".ccarchive.jsonl.gz"));
    expect(files).toHaveLength(1);
    const restored = await restoreArchive(database.db, { file, keys });
    expect(restored.events).toBe(12);
    const back = await database.db
      .select({ principal: events.principal, erased: events.erased })
      .from(events)
      .where(and(eq(events.tenant, "initech"), eq(events.type, "tool.call")));
    expect(back.filter((r) => r.principal === "bob@initech.example")).toEqual([]);
    expect(back.filter((r) => r.principal === ERASED_PRINCIPAL && r.erased)).toHaveLength(6);
    expect(back.filter((r) => r.principal === "carol@initech.example")).toHaveLength(7);
    const v = await verify("initech");
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it("a one-letter name is erased as a whole value, never as part of other words", async () => {
    await addTenants(database.db, ["umbrella"]);
    const boss = await user("una@umbrella.example", "admin", "umbrella");
    const e = makeEvent("umbrella", { tenant: "umbrella", principal: "a" });
    const cap = e.capability as Record<string, unknown>;
    await ingest("umbrella", [
      { ...e, capability: { ...cap, summary: { ...(cap.summary as object), principal: "a" } } },
    ]);
    await eraseSubject(
      database.db,
      boss,
      eraseSubjectSchema.parse({ tenant: "umbrella", subject: "a", confirm: "a", reference: "DSR-a" }),
    );
    const [c] = await database.db
      .execute(sql`select summary from capabilities where tenant = 'umbrella'`)
      .then((r) => (r as unknown as { rows: { summary: Record<string, unknown> }[] }).rows);
    expect(c?.summary.principal).toBe(ERASED_PRINCIPAL);
    expect(c?.summary.rights).toEqual([
      { resource: "Customer", actions: ["read"], ids: ["c_381"], fields: ["name", "email"] },
    ]);
    expect((await verify("umbrella")).problems).toEqual([]);
  });

  it("erases the alerts opened on the person's events: their log records, titles and groups", async () => {
    await addTenants(database.db, ["pied"]);
    const piedAdmin = await user("pat@pied.example", "admin", "pied");
    const DANA = "dana@pied.example";
    const rule = (name: string, groupBy: string[]) =>
      createAlertRule(
        database.db,
        piedAdmin,
        alertRuleInputSchema.parse({
          tenant: "pied",
          name,
          severity: "medium",
          definition: { query: "type:tool.call", aggregation: { kind: "each" }, groupBy },
        }),
      );
    await rule("Calls per principal", ["principal"]);
    await rule("Calls per session", ["session"]);
    await ingest("pied", [{ tenant: "pied", principal: DANA, meta: { prompt: `for ${DANA}` } }]);
    await evaluateDueRules(database.db, { owner: "test" });
    const records = await database.db
      .select({
        v: events.contentVersion,
        principal: events.principal,
        reason: events.reason,
        meta: events.meta,
      })
      .from(events)
      .where(and(eq(events.tenant, "pied"), eq(events.type, "console.alert.opened")))
      .orderBy(events.seq);
    // The record names the person and is erasable; a title holding the name is in meta only.
    expect(records.map((r) => [r.v, r.principal, r.reason])).toEqual(
      expect.arrayContaining([
        [2, DANA, "Calls per principal"],
        [2, DANA, expect.stringMatching(/^Calls per session — session sess_7Hq2: tool\.call/)],
      ]),
    );
    expect(records.length).toBe(2);
    expect(records.map((r) => String(r.meta.title)).join("\n")).toContain(`principal ${DANA}`);
    const mentions = async (table: "events" | "alerts") =>
      (
        (await database.db.execute(
          sql`select count(*)::int as n from ${sql.identifier(table)} t where t.tenant = 'pied' and t::text like ${`%${DANA}%`}`,
        )) as unknown as { rows: { n: number }[] }
      ).rows[0]?.n;
    expect(await mentions("alerts")).toBe(1);

    const done = await eraseSubject(
      database.db,
      piedAdmin,
      eraseSubjectSchema.parse({ tenant: "pied", subject: DANA, confirm: DANA, reference: "DSR-7" }),
    );
    expect(done.events).toBe(3);
    expect(await mentions("events")).toBe(0);
    expect(await mentions("alerts")).toBe(0);
    const left = await database.db
      .select({ title: alerts.title, group: alerts.group })
      .from(alerts)
      .where(eq(alerts.tenant, "pied"))
      .orderBy(alerts.ruleName);
    expect(left[0]).toEqual({
      title: `Calls per principal — ${ERASED_PRINCIPAL}`,
      group: { principal: ERASED_PRINCIPAL },
    });
    expect(left[1]?.title).toMatch(/^Calls per session — session sess_7Hq2: tool\.call/);
    expect((await verify("pied")).problems).toEqual([]);
  });

  it("an erasure racing ingest of the same subject leaves no event without its key", async () => {
    await addTenants(database.db, ["hooli"]);
    const dan = "dan@hooli.example";
    const hooliAdmin = await user("hal@hooli.example", "admin", "hooli");
    await ingest(
      "hooli",
      Array.from({ length: 40 }, () => ({ tenant: "hooli", principal: dan })),
    );
    await Promise.all([
      eraseSubject(
        database.db,
        hooliAdmin,
        eraseSubjectSchema.parse({ tenant: "hooli", subject: dan, confirm: dan, reference: "DSR-9" }),
      ),
      ...Array.from({ length: 4 }, () =>
        ingest(
          "hooli",
          Array.from({ length: 10 }, () => ({ tenant: "hooli", principal: dan })),
        ),
      ),
    ]);
    const rows = (await database.db.execute(sql`
      select count(*)::int as n from events e
       where e.tenant = 'hooli' and e.content_version = 2 and e.erased is null
         and not exists (select 1 from subject_keys k where k.tenant = e.tenant and k.subject = e.principal)`)) as unknown as {
      rows: { n: number }[];
    };
    expect(rows.rows[0]?.n).toBe(0);
    const v = await verify("hooli");
    expect(v.problems).toEqual([]);
  });
});
