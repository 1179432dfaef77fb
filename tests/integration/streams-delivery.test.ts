import { webcrypto } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { streamDeadLetters, streams } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import type { Authority } from "@/lib/auth/authority";
import {
  createStream,
  createStreamSchema,
  listStreams,
  replayStream,
  requeueDeadLetters,
  setStreamStatus,
} from "@/lib/data/streams";
import { uuidv7 } from "@/lib/ids";
import { DELIVERY, deliverDueStreams } from "@/lib/streams/deliver";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { startReceiver } from "../support/stream-receiver";

const SECRET = "test-master-secret-0123456789abcdef";
const T0 = new Date("2026-12-01T03:00:00.000Z");

function toolCall(tenant: string, i: number, over: Partial<ChainedContent> = {}): ChainedContent {
  return {
    id: uuidv7(T0.getTime() + i),
    ts: new Date(T0.getTime() + i),
    tenant,
    type: "tool.call",
    principal: "alice@acme.example",
    agent: "support-bot",
    session: "s-1",
    request: "r-1",
    tool: "crm.lookup_customer",
    action: "read",
    resourceType: "Customer",
    resourceId: `c-${i}`,
    outcome: "allowed",
    meta: {},
    ...over,
  } as ChainedContent;
}

async function append(db: Database["db"], rows: ChainedContent[]) {
  await db.transaction((tx) => appendEvents(tx, rows));
}

/** Event ids, in order, of what the receiver accepted (webhook bodies carry one event each). */
function must<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}

const idsOf = (bodies: { body: string }[]) =>
  bodies.map((b) => (JSON.parse(b.body).data as { id: string }).id);

describe.each(backends)("event streams on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let otherAdmin: Authority;
  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    admin = await signedIn(database.db, { email: "admin@acme.example", role: "admin", tenants: ["acme"] });
    otherAdmin = await signedIn(database.db, {
      email: "admin@globex.example",
      role: "admin",
      tenants: ["globex"],
    });
  });
  afterAll(async () => database?.close());

  async function newStream(url: string, over: Record<string, unknown> = {}) {
    const input = createStreamSchema.parse({
      tenant: "acme",
      name: `s-${Math.random().toString(36).slice(2, 8)}`,
      kind: "webhook",
      format: "event_v1",
      url,
      signing: "v1",
      allowPrivate: true,
      filter: "type:tool.call",
      ...over,
    });
    return createStream(database.db, admin, input, { masterSecret: SECRET });
  }

  /** Runs rounds until nothing is due at `now` (or `max` rounds). */
  async function drain(now: Date, owner = "test-a", max = 20) {
    const all = [];
    for (let i = 0; i < max; i++) {
      const r = await deliverDueStreams(database.db, { owner, masterSecret: SECRET, now: () => now });
      all.push(...r);
      if (r.length === 0 || r.every((x) => x.failed || x.delivered + x.skipped === 0)) break;
    }
    return all;
  }

  async function pauseOthers(keep: string) {
    for (const s of await listStreams(database.db, admin))
      if (s.id !== keep && s.status === "active") await setStreamStatus(database.db, admin, s, "paused");
  }

  it("delivers in chain order, survives 500s, a timeout and a receiver killed mid-batch, losing nothing", async () => {
    const rx = await startReceiver();
    try {
      const created = await newStream(rx.url);
      await pauseOthers(created.id);
      // Console activity is filtered out; tool calls are delivered.
      const batch = Array.from({ length: 12 }, (_, i) => toolCall("acme", i));
      await append(database.db, [
        ...batch.slice(0, 6),
        { ...toolCall("acme", 100), type: "session.revoked", tool: null } as ChainedContent,
        ...batch.slice(6),
      ]);
      rx.script.push("ok", "ok", "fail500");
      let now = new Date(T0.getTime() + 60_000);
      let reports = await drain(now);
      expect(reports[0]?.failed).toMatch(/HTTP 500: receiver broke/);
      expect(idsOf(rx.accepted)).toEqual(batch.slice(0, 2).map((e) => e.id));
      // Backed off: nothing is due until next_attempt_at.
      expect(await drain(now)).toEqual([]);
      rx.script.push("destroy", "ok", "ok", "hang");
      for (let i = 0; i < 6; i++) {
        now = new Date(now.getTime() + DELIVERY.backoffMaxMs + 1);
        reports = await deliverDueStreams(database.db, {
          owner: "test-a",
          masterSecret: SECRET,
          now: () => now,
          limits: { timeoutMs: 300 },
        });
      }
      await drain(new Date(now.getTime() + DELIVERY.backoffMaxMs + 1));
      // Every tool call arrived, in chain order; a duplicate could only repeat an id, never reorder.
      const got = idsOf(rx.accepted);
      expect([...new Set(got)]).toEqual(batch.map((e) => e.id));
      expect(rx.seen.some((r) => r.headers["webhook-id"] === batch[2]?.id)).toBe(true);
      const [view] = (await listStreams(database.db, admin)).filter((s) => s.id === created.id);
      expect(view?.lagEvents).toBe(0);
      expect(view?.lastError).toBeNull();
    } finally {
      await rx.close();
    }
  });

  it("signs v1 webhooks the Standard Webhooks reference library accepts, and v1a with Ed25519", async () => {
    const rx = await startReceiver();
    try {
      const v1 = await newStream(rx.url, { signing: "v1" });
      await pauseOthers(v1.id);
      const e = toolCall("acme", 200);
      await append(database.db, [e]);
      // The real clock: receivers refuse a webhook-timestamp more than 5 minutes off.
      await drain(new Date());
      const got = must(rx.accepted.at(-1), "the delivered webhook");
      const wh = new Webhook(v1.verifyKey as string);
      const headers = Object.fromEntries(Object.entries(got.headers).map(([k, v]) => [k, String(v)]));
      expect(wh.verify(got.body, headers)).toMatchObject({ data: { id: e.id } });
      expect(() => wh.verify(got.body.replace("alice", "mallory"), headers)).toThrow();

      await setStreamStatus(database.db, admin, { tenant: "acme", id: v1.id }, "paused");
      const v1a = await newStream(rx.url, { signing: "v1a", format: "ocsf" });
      const e2 = toolCall("acme", 201);
      await append(database.db, [e2]);
      await drain(new Date());
      const last = must(rx.accepted.at(-1), "the v1a webhook");
      const [scheme, sig] = String(last.headers["webhook-signature"]).split(",");
      expect(scheme).toBe("v1a");
      // An independent check with WebCrypto, from the public key alone.
      const raw = Buffer.from((v1a.verifyKey as string).slice("whpk_".length), "base64");
      const key = await webcrypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
      const signed = Buffer.from(
        `${last.headers["webhook-id"]}.${last.headers["webhook-timestamp"]}.${last.body}`,
      );
      expect(
        await webcrypto.subtle.verify("Ed25519", key, Buffer.from(sig as string, "base64"), signed),
      ).toBe(true);
      const body = JSON.parse(last.body);
      expect(body.data).toMatchObject({
        class_uid: 6003,
        activity_id: 2,
        metadata: { uid: e2.id, version: "1.7.0" },
      });
      await setStreamStatus(database.db, admin, { tenant: "acme", id: v1a.id }, "paused");
    } finally {
      await rx.close();
    }
  });

  it("refuses loopback, metadata and private-resolving destinations unless allowed, and never follows a redirect", async () => {
    await expect(newStream("http://127.0.0.1:9/x", { allowPrivate: false })).rejects.toMatchObject({
      field: "url",
      message: expect.stringMatching(/loopback/),
    });
    await expect(newStream("http://169.254.169.254/latest", { allowPrivate: true })).rejects.toMatchObject({
      field: "url",
      message: expect.stringMatching(/link-local/),
    });
    await expect(newStream("file:///etc/passwd")).rejects.toMatchObject({ field: "url" });
    const input = createStreamSchema.parse({
      tenant: "acme",
      name: "rebinding",
      kind: "webhook",
      format: "ecs",
      url: "https://siem.example.com/hook",
    });
    await expect(
      createStream(database.db, admin, input, {
        masterSecret: SECRET,
        lookup: async () => [
          { address: "93.184.216.34", family: 4 },
          { address: "10.1.2.3", family: 4 },
        ],
      }),
    ).rejects.toMatchObject({ field: "url", message: expect.stringMatching(/10\.1\.2\.3, a private/) });

    const rx = await startReceiver();
    try {
      const s = await newStream(rx.url);
      await pauseOthers(s.id);
      await append(database.db, [toolCall("acme", 300)]);
      rx.script.push("redirect");
      const [r] = await drain(new Date(T0.getTime() + 240_000));
      expect(r?.failed).toMatch(/HTTP 302 \(redirects are not followed\)/);
      expect(rx.seen).toHaveLength(1);
      await setStreamStatus(database.db, admin, { tenant: "acme", id: s.id }, "paused");
    } finally {
      await rx.close();
    }
  });

  it("410 disables the stream; dead letters after the horizon, requeue and replay from a point", async () => {
    const rx = await startReceiver();
    try {
      const s = await newStream(rx.url);
      await pauseOthers(s.id);
      const e = toolCall("acme", 400);
      await append(database.db, [e]);
      rx.script.push("gone410");
      const [r] = await drain(new Date(T0.getTime() + 300_000));
      expect(r?.disabled).toBe(true);
      let [view] = (await listStreams(database.db, admin)).filter((x) => x.id === s.id);
      expect(view?.status).toBe("disabled");
      expect(view?.statusReason).toMatch(/410/);

      // Resumed, it keeps failing for longer than the horizon: the head event is dead-lettered.
      await setStreamStatus(database.db, admin, { tenant: "acme", id: s.id }, "active");
      rx.script.push(...Array(10).fill("fail500"));
      let now = new Date(T0.getTime() + 360_000);
      const horizonMs = 60_000;
      for (let i = 0; i < 8; i++) {
        now = new Date(now.getTime() + DELIVERY.backoffMaxMs + 1);
        await deliverDueStreams(database.db, {
          owner: "a",
          masterSecret: SECRET,
          now: () => now,
          limits: { horizonMs },
        });
      }
      const dead = await database.db
        .select()
        .from(streamDeadLetters)
        .where(and(eq(streamDeadLetters.tenant, "acme"), eq(streamDeadLetters.streamId, s.id)));
      expect(dead.map((d) => d.eventId)).toEqual([e.id]);
      [view] = (await listStreams(database.db, admin)).filter((x) => x.id === s.id);
      expect(view?.deadLetters).toBe(1);
      expect(view?.lagEvents).toBe(0);

      rx.script.length = 0;
      const before = rx.accepted.length;
      await requeueDeadLetters(database.db, admin, { tenant: "acme", id: s.id });
      await drain(new Date(now.getTime() + 1));
      expect(idsOf(rx.accepted.slice(before))).toEqual([e.id]);
      [view] = (await listStreams(database.db, admin)).filter((x) => x.id === s.id);
      expect(view?.deadLetters).toBe(0);

      // Replay from a point: everything received since then is sent again, same ids, same order.
      const again = rx.accepted.length;
      await replayStream(database.db, admin, { tenant: "acme", id: s.id, from: new Date(0) });
      await drain(new Date(now.getTime() + 2));
      const replayed = idsOf(rx.accepted.slice(again));
      expect(replayed.length).toBeGreaterThan(5);
      expect(replayed).toContain(e.id);
      await setStreamStatus(database.db, admin, { tenant: "acme", id: s.id }, "paused");
    } finally {
      await rx.close();
    }
  });

  it("two deliverers (two console instances) never send one event twice or out of order", async () => {
    const rx = await startReceiver();
    try {
      const s = await newStream(rx.url);
      await pauseOthers(s.id);
      const batch = Array.from({ length: 30 }, (_, i) => toolCall("acme", 500 + i));
      await append(database.db, batch);
      const now = new Date(T0.getTime() + 3_600_000);
      const run = (owner: string) =>
        deliverDueStreams(database.db, {
          owner,
          masterSecret: SECRET,
          now: () => now,
          limits: { batchSize: 7 },
        });
      for (let i = 0; i < 8; i++) await Promise.all([run("instance-1"), run("instance-2")]);
      expect(idsOf(rx.accepted)).toEqual(batch.map((e) => e.id));
      await setStreamStatus(database.db, admin, { tenant: "acme", id: s.id }, "paused");
    } finally {
      await rx.close();
    }
  });

  it("keeps tenants apart, seals secrets, and audits every change", async () => {
    const rx = await startReceiver();
    try {
      const s = await newStream(rx.url);
      expect(await listStreams(database.db, otherAdmin)).toEqual([]);
      await expect(
        setStreamStatus(database.db, otherAdmin, { tenant: "acme", id: s.id }, "paused"),
      ).rejects.toThrow();
      const [row] = await database.db.select().from(streams).where(eq(streams.id, s.id));
      expect(row?.secretEnc).toMatch(/^v1:/);
      expect(row?.secretEnc).not.toContain((s.verifyKey as string).slice(6, 20));
      const views = await listStreams(database.db, admin);
      expect(JSON.stringify(views)).not.toContain("whsec_");
      const audited = await database.db.execute(
        `select type from events where tenant = 'acme' and type like 'console.stream.%' and resource_id = '${s.id}'`,
      );
      expect((audited as unknown as { rows: { type: string }[] }).rows.map((r) => r.type)).toContain(
        "console.stream.created",
      );
    } finally {
      await rx.close();
    }
  });
});
