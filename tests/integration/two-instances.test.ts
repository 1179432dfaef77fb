import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, asc, eq, max, sql } from "drizzle-orm";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "@/db/client";
import { addMonths, ensureEventPartitions, monthStart } from "@/db/partitions";
import {
  apiKeys,
  chainHeads,
  checkpoints,
  consoleUsers,
  escalations,
  events,
  loginAttempts,
  retentionCuts,
  tenants,
} from "@/db/schema";
import { handleEscalationUse } from "@/lib/api/escalation-routes";
import { handleRevocations } from "@/lib/api/verifier-routes";
import { appendEvents } from "@/lib/audit/append";
import { checkpointMovedHeads, startCheckpointer } from "@/lib/audit/checkpointer";
import { consoleEvents } from "@/lib/audit/console-event";
import { verifyChains } from "@/lib/audit/verify";
import type { Authority } from "@/lib/auth/authority";
import { revokeApiKey } from "@/lib/data/api-keys-admin";
import { loadSessionAuthority, SIGN_IN_LIMITS, signInWithPassword } from "@/lib/data/console-sessions";
import { insertConsoleUser } from "@/lib/data/console-users";
import { issueEscalation, issueEscalationSchema } from "@/lib/data/escalations";
import { liveTail } from "@/lib/data/events-tail";
import { revokeSession, revokeSessionSchema } from "@/lib/data/revocations";
import { createStream, createStreamSchema } from "@/lib/data/streams";
import { handleIngest } from "@/lib/ingest";
import { runExclusive, startExclusiveJob } from "@/lib/jobs";
import { retentionRound } from "@/lib/retention/sweep";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { createSlotLimiter } from "@/lib/server/stream-slots";
import { startDeliverer } from "@/lib/streams/deliverer";
import { hasPostgres, openTempPostgres } from "../support/db";
import { addTenants, PASSWORD, signedIn } from "../support/fixtures";
import { ingestRequest, makeEvent, newKey, signer, verifyKeys } from "../support/ingest-fixtures";
import { startReceiver } from "../support/stream-receiver";

// Issue 17, point 5: several console instances on one PostgreSQL. Each instance here is what a
// console process has: a pool of its own on the same database (a and b; c is an instance that
// dies). Every concern is exercised through both at once: sign-in limits, single-use
// escalations, the live tail and revocation feed, checkpoint signing, stream delivery and the
// exclusive job lock. PostgreSQL only: PGlite is one process's database (a folder two processes
// must not open), so there is no second instance to run.

const SECRET = "test-master-secret-0123456789abcdef";
const OP = { tool: "crm.update_order", resourceType: "Order", resourceId: "o_77", action: "write" };

/** Reads server-sent event frames from a streaming response. */
function frames(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    /** Frames up to the first that `match`es, or null when the stream ends first. */
    async until(match: (frame: string) => boolean, timeoutMs = 10_000): Promise<string | null> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (match(frame)) return frame;
          end = buffer.indexOf("\n\n");
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error("no matching frame in time");
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no frame in time")), left)),
        ]);
        if (chunk.done) return null;
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(hasPostgres)("two console instances on one PostgreSQL", () => {
  let a: Database & { url: string };
  let b: Database;
  let admin: Authority;
  let key: string;

  beforeAll(async () => {
    a = await openTempPostgres();
    b = await openDatabase({ kind: "postgres", url: a.url, poolSize: 5 });
    await addTenants(a.db, ["acme", "globex"]);
    admin = await signedIn(a.db, { email: "admin@acme.example", role: "admin", tenants: ["acme"] });
    key = await newKey(a.db, "acme");
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const ingest = async (db: Database["db"], batch: Record<string, unknown>[]) => {
    const res = await handleIngest(db, ingestRequest(key, { events: batch }));
    expect(res.status).toBe(200);
  };

  it("counts failed sign-ins once for both: attempts split across the instances hit one limit", async () => {
    const email = "victim@acme.example";
    await insertConsoleUser(a.db, { email, role: "viewer", tenants: ["acme"], password: PASSWORD });
    const ip = "198.51.100.7";
    const attempts = Array.from({ length: 10 }, (_, i) =>
      signInWithPassword(i % 2 ? b.db : a.db, { email, password: `wrong ${i}`, ip, userAgent: "vitest" }),
    );
    const results = await Promise.all(attempts);
    const invalid = results.filter((r) => !r.ok && r.reason === "invalid");
    expect(invalid).toHaveLength(SIGN_IN_LIMITS.perAccountAndAddress);
    expect(results.filter((r) => !r.ok && r.reason === "rate_limited")).toHaveLength(
      10 - SIGN_IN_LIMITS.perAccountAndAddress,
    );
    // Locked out on the instance that saw the fewest attempts too, even with the right password.
    for (const db of [a.db, b.db])
      expect(
        await signInWithPassword(db, { email, password: PASSWORD, ip, userAgent: "vitest" }),
      ).toMatchObject({ ok: false, reason: "rate_limited" });
    const rows = await a.db.select().from(loginAttempts).where(eq(loginAttempts.email, email));
    expect(rows).toHaveLength(SIGN_IN_LIMITS.perAccountAndAddress);
  });

  it("lets a single-use escalation be used once when both instances are asked at the same time", async () => {
    const consoleKey = generateConsoleKey();
    const issued = await issueEscalation(
      a.db,
      admin,
      issueEscalationSchema.parse({
        tenant: "acme",
        principal: "alice@acme.example",
        session: "sess_two",
        agent: "alice-assistant",
        ...OP,
        reason: "INC-17: two instances",
      }),
      { consoleKey },
    );
    const use = (db: Database["db"]) =>
      handleEscalationUse(
        db,
        new Request(`http://console.test/api/v1/escalations/${issued.id}/use`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ token: issued.token, operation: OP }),
        }),
        { consoleKey },
      ).then(async (res) => (await res.json()) as { allowed: boolean; code?: string });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => use(i % 2 ? b.db : a.db)));
    expect(answers.filter((x) => x.allowed)).toHaveLength(1);
    expect(answers.filter((x) => !x.allowed).every((x) => x.code === "used")).toBe(true);
    const [row] = await b.db.select().from(escalations).where(eq(escalations.id, issued.id));
    expect(row).toMatchObject({ status: "used", useCount: 1 });
    const used = await a.db
      .select({ outcome: events.outcome })
      .from(events)
      .where(and(eq(events.request, `esc_${issued.id}`), eq(events.type, "escalation.used")));
    expect(used.filter((e) => e.outcome === "allowed")).toHaveLength(1);
    expect(used).toHaveLength(8);
  });

  it("shows what instance A stored on instance B's live tail and revocation feed, and ends them when access changes", async () => {
    const watcher = await signedIn(a.db, {
      email: "watcher@acme.example",
      role: "investigator",
      tenants: ["acme", "globex"],
    });
    const onB = await loadSessionAuthority(b.db, { sessionId: watcher.sessionId, activeTenant: null });
    const tailRes = liveTail(b.db, onB as Authority, "", { pollMs: 50, slots: createSlotLimiter(3) });
    // Through a proxy (docs/operations.md): nginx must not buffer the event stream.
    expect(tailRes.headers.get("x-accel-buffering")).toBe("no");
    const tail = frames(tailRes);
    const feedKey = await newKey(a.db, "acme", "verifier");
    const feed = frames(
      await handleRevocations(
        b.db,
        new Request("http://console.test/api/v1/revocations", {
          headers: { authorization: `Bearer ${feedKey}`, accept: "text/event-stream" },
        }),
        { pollMs: 50, slots: createSlotLimiter(4) },
      ),
    );
    try {
      const e = makeEvent("acme");
      await ingest(a.db, [e]);
      expect(
        await tail.until((f) => f.startsWith("event: event") && f.includes(e.id as string)),
      ).not.toBeNull();

      await revokeSession(
        a.db,
        admin,
        revokeSessionSchema.parse({ tenant: "acme", session: "sess_7Hq2", reason: "left the company" }),
      );
      const entry = await feed.until((f) => f.includes("event: revocation") && f.includes("sess_7Hq2"));
      expect(entry).not.toBeNull();

      // Revoking the feed's key on A ends the stream B serves with it.
      const [feedRow] = await a.db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(and(eq(apiKeys.tenant, "acme"), eq(apiKeys.source, "verifier")));
      await revokeApiKey(a.db, admin, { id: feedRow?.id as string });
      expect(await feed.until(() => false)).toBeNull();

      // Narrowing the watcher's tenants (user CLI or another instance) ends B's tail at its next poll.
      await a.db
        .update(consoleUsers)
        .set({ tenants: ["acme"] })
        .where(eq(consoleUsers.id, watcher.userId));
      const ended = await tail.until((f) => f.startsWith("event: session-ended"));
      expect(ended).toMatch(/access has changed/);
    } finally {
      await tail.cancel();
      await feed.cancel();
    }
  });

  it("signs one chain of checkpoints while both instances' checkpointers run: no fork, no repeated seq", async () => {
    // Earlier tests' events waited for these rounds past the bound: that is said, not a failure.
    const log = () => {};
    const onA = startCheckpointer(a.db, { signer, intervalMs: 10, log });
    const onB = startCheckpointer(b.db, { signer, intervalMs: 10, log });
    try {
      for (let round = 0; round < 10; round++)
        await Promise.all([
          ingest(a.db, [makeEvent("acme"), makeEvent("acme")]),
          ingest(b.db, [makeEvent("acme")]),
        ]);
      const head = async () =>
        (await a.db.select({ seq: chainHeads.seq }).from(chainHeads).where(eq(chainHeads.tenant, "acme")))[0]
          ?.seq ?? 0;
      const signedUpTo = async () =>
        (
          await b.db
            .select({ seq: max(checkpoints.seq) })
            .from(checkpoints)
            .where(eq(checkpoints.tenant, "acme"))
        )[0]?.seq ?? 0;
      await waitFor(async () => Number(await signedUpTo()) === Number(await head()));
    } finally {
      await Promise.all([onA.stop(), onB.stop()]);
    }
    const signed = await a.db
      .select({ seq: checkpoints.seq })
      .from(checkpoints)
      .where(eq(checkpoints.tenant, "acme"))
      .orderBy(asc(checkpoints.id));
    const seqs = signed.map((c) => c.seq);
    // In the order they were written, each names a later head than the one before.
    expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number))).toBe(true);
    const [report] = await verifyChains(a.db, { tenants: ["acme"], keys: verifyKeys });
    expect(report).toMatchObject({ ok: true, uncovered: 0 });
  });

  it("delivers each event of a stream once while both instances run deliverers", async () => {
    const rx = await startReceiver();
    const principal = "streamed@acme.example";
    await createStream(
      a.db,
      admin,
      createStreamSchema.parse({
        tenant: "acme",
        name: "siem",
        kind: "webhook",
        format: "event_v1",
        url: rx.url,
        signing: "v1",
        allowPrivate: true,
        filter: `principal:${principal}`,
      }),
      { masterSecret: SECRET },
    );
    const onA = startDeliverer(a.db, { masterSecret: SECRET, intervalMs: 20, limits: { batchSize: 3 } });
    const onB = startDeliverer(b.db, { masterSecret: SECRET, intervalMs: 20, limits: { batchSize: 3 } });
    const sent: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const batch = [makeEvent("acme", { principal }), makeEvent("acme", { principal })];
        sent.push(...batch.map((e) => e.id as string));
        await ingest(i % 2 ? b.db : a.db, batch);
      }
      await waitFor(async () => rx.accepted.length >= sent.length);
      // Room for a second delivery to show up, had one been made.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await Promise.all([onA.stop(), onB.stop()]);
      await rx.close();
    }
    const got = rx.accepted.map((r) => (JSON.parse(r.body).data as { id: string }).id);
    expect(got).toEqual(sent);
  });

  it("runs an exclusive job in one instance at a time, and another takes over when the holder ends or dies", async () => {
    // Held normally, then released: the other instance's round skips while held, runs after.
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const held = runExclusive(a.db, "checkpoint", async () => {
      entered();
      await new Promise<void>((r) => {
        release = r;
      });
      return "a";
    });
    await inside;
    expect(await runExclusive(b.db, "checkpoint", async () => "b")).toEqual({ ran: false });
    release();
    expect(await held).toEqual({ ran: true, value: "a" });
    expect(await runExclusive(b.db, "checkpoint", async () => "b")).toEqual({ ran: true, value: "b" });

    // A holder that dies mid-round (its backend ends, as when its process is killed): taken over.
    const c = await openDatabase({ kind: "postgres", url: a.url, poolSize: 1 });
    // The dying connection's error reaches the pending query; nothing else should see it.
    (c.db as unknown as { $client: pg.Pool }).$client.on("connect", (client) => client.on("error", () => {}));
    (c.db as unknown as { $client: pg.Pool }).$client.on("error", () => {});
    try {
      let pidOf: (pid: number) => void = () => {};
      const pid = new Promise<number>((r) => {
        pidOf = r;
      });
      const dying = runExclusive(c.db, "checkpoint", async (tx) => {
        const [row] = ((await tx.execute(sql`select pg_backend_pid() as pid`)) as { rows: { pid: number }[] })
          .rows;
        pidOf(row?.pid as number);
        await tx.execute(sql`select pg_sleep(60)`);
        return "c";
      });
      const holderPid = await pid;
      expect(await runExclusive(b.db, "checkpoint", async () => "b")).toEqual({ ran: false });
      await a.db.execute(sql`select pg_terminate_backend(${holderPid})`);
      await expect(dying).rejects.toThrow();
      await waitFor(async () => (await runExclusive(b.db, "checkpoint", async () => "b")).ran, 5_000);
    } finally {
      await c.close().catch(() => {});
    }

    // Both instances running the job on a timer: rounds never overlap.
    let running = 0;
    let most = 0;
    let rounds = 0;
    const work = async (tx: Parameters<Parameters<typeof runExclusive>[2]>[0]) => {
      running += 1;
      most = Math.max(most, running);
      rounds += 1;
      await tx.execute(sql`select pg_sleep(0.02)`);
      running -= 1;
      return null;
    };
    const log = () => {};
    const jobs = [a, b].map((db) =>
      startExclusiveJob(db.db, { job: "checkpoint", intervalMs: 5, work, log }),
    );
    await new Promise((r) => setTimeout(r, 600));
    await Promise.all(jobs.map((j) => j.stop()));
    expect(rounds).toBeGreaterThan(5);
    expect(most).toBe(1);
  });

  it("cuts a tenant's expired month once while both instances run retention rounds at the same time", async () => {
    const tenant = "retained";
    await addTenants(a.db, [tenant]);
    const old = addMonths(monthStart(new Date()), -3);
    await ensureEventPartitions(a.db, { from: old });
    const batch = Array.from({ length: 40 }, (_, i) =>
      consoleEvents({
        actor: { email: "x@x.test", sessionId: "s" },
        type: "console.test",
        tenants: [tenant],
        now: new Date(old.getTime() + 86_400_000 + i * 1000),
      }),
    ).flat();
    await a.db.transaction((tx) => appendEvents(tx, batch));
    await a.db.execute(
      sql`update events set received_at = ts + interval '0.2 seconds' where tenant = ${tenant}`,
    );
    await checkpointMovedHeads(a.db, { signer, tenants: [tenant] });
    await a.db
      .update(tenants)
      .set({ settings: { retentionDays: 30 } })
      .where(eq(tenants.id, tenant));
    const dirs = [await mkdtemp(path.join(tmpdir(), "cc-a-")), await mkdtemp(path.join(tmpdir(), "cc-b-"))];
    try {
      const rounds = await Promise.all(
        [a, b, a, b].map((inst, i) => retentionRound(inst.db, { signer, archiveDir: dirs[i % 2] as string })),
      );
      const cuts = rounds.flatMap((r) => r.cuts);
      expect(cuts.map((c) => [c.tenant, c.fromSeq, c.toSeq])).toEqual([[tenant, 1, 40]]);
      expect(rounds.flatMap((r) => r.refused)).toEqual([]);
      const cutRows = await a.db.select().from(retentionCuts).where(eq(retentionCuts.tenant, tenant));
      expect(cutRows).toHaveLength(1);
      const files = (
        await Promise.all(dirs.map((d) => readdir(path.join(d, tenant)).catch(() => [])))
      ).flat();
      expect(files.filter((f) => f.endsWith(".ccarchive.jsonl.gz"))).toHaveLength(1);
      const [v] = await verifyChains(b.db, { tenants: [tenant], keys: verifyKeys });
      expect(v?.problems).toEqual([]);
      expect(v?.anchor?.seq).toBe(40);
    } finally {
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    }
  });
});
