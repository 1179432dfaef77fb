import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events } from "@/db/schema";
import type { Authority } from "@/lib/auth/authority";
import { listEvents } from "@/lib/data/events-query";
import { liveTail } from "@/lib/data/events-tail";
import { handleIngest } from "@/lib/ingest";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { eventCount, ingestRequest, makeEvent, newKey } from "../support/ingest-fixtures";

// Issue 11, item 4: event time. A far-future ts is refused whole-batch with a 400 naming ts; a
// ts within the allowed skew is stored but cannot blind the live tail, which follows the chain
// (seq), not timestamps; an old ts is accepted and shown as late.

/** Reads server-sent events from a stream until `until` returns true or `ms` pass. */
async function readEvents(
  res: Response,
  ms: number,
  until: (ids: string[]) => boolean,
): Promise<{ ids: string[]; text: string }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + ms;
  const ids = () => [...text.matchAll(/^event: event\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1] ?? "").id);
  try {
    while (Date.now() < deadline && !until(ids())) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now()))),
      ]);
      if (chunk === null || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return { ids: ids(), text };
}

describe.each(backends)("event time on $name", (backend) => {
  let database: Database;
  let key: string;
  let investigator: Authority;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme"]);
    key = await newKey(database.db, "acme");
    investigator = await signedIn(database.db, {
      email: "ines@acme.example",
      role: "investigator",
      tenants: ["acme"],
    });
  });
  afterAll(() => database.close());

  const send = async (evs: unknown[]) => {
    const res = await handleIngest(database.db, ingestRequest(key, { events: evs }));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const at = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();

  it("refuses a far-future ts with a 400 naming ts, and stores nothing of the batch", async () => {
    const before = await eventCount(database.db, "acme");
    for (const ts of ["9999-12-31T23:59:59Z", at(24 * 3_600_000), at(6 * 60_000)]) {
      const good = makeEvent("acme", { ts: at(0) });
      const bad = makeEvent("acme", { ts });
      const res = await send([good, bad]);
      expect(res.status).toBe(400);
      expect(res.body.field).toBe("events[1].ts");
      const details = res.body.details as { field: string; message: string }[];
      expect(details[0]?.message).toMatch(/ahead of the server clock/);
    }
    expect(await eventCount(database.db, "acme")).toBe(before);
  });

  it("accepts a ts within the clock skew, and an old ts, marking the old one late", async () => {
    const soon = makeEvent("acme", { ts: at(4 * 60_000) });
    const old = makeEvent("acme", { ts: "2020-01-01T00:00:00Z" });
    const res = await send([soon, old]);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    const page = await listEvents(database.db, investigator, { q: "", limit: 200 });
    const byId = new Map(page.rows.map((r) => [r.id, r]));
    expect(byId.get(old.id as string)?.late).toBe(true);
    expect(byId.get(soon.id as string)?.late).toBe(false);
  });

  it("keeps the live tail showing new events after a future-dated one within the skew", async () => {
    const controller = new AbortController();
    const tail = liveTail(database.db, investigator, "", { pollMs: 100, signal: controller.signal });
    // 45 s ahead: inside the allowed skew, so it is stored; it must not hide what follows.
    const ahead = makeEvent("acme", { ts: at(45_000) });
    const after = makeEvent("acme", { ts: at(0) });
    const reading = readEvents(tail, 6000, (ids) => ids.includes(after.id as string));
    await new Promise((r) => setTimeout(r, 300));
    expect((await send([ahead])).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await send([after])).status).toBe(200);
    const { ids } = await reading;
    controller.abort();
    expect(ids).toContain(ahead.id);
    expect(ids).toContain(after.id);
    const [row] = await database.db
      .select()
      .from(events)
      .where(eq(events.id, after.id as string));
    expect(row?.ts.getTime()).toBeLessThan(Date.now());
  });

  it("opens with the latest matching events, then follows more than a page of new ones", async () => {
    const recent = Array.from({ length: 3 }, () => makeEvent("acme", { ts: at(0), tool: "tail.backlog" }));
    expect((await send(recent)).status).toBe(200);
    const burst = Array.from({ length: 150 }, () => makeEvent("acme", { ts: at(0), tool: "tail.burst" }));
    const want = [...recent, ...burst].map((e) => e.id as string);
    const controller = new AbortController();
    const tail = liveTail(database.db, investigator, "tool:tail.*", {
      pollMs: 100,
      signal: controller.signal,
    });
    const reading = readEvents(tail, 8000, (ids) => want.every((id) => ids.includes(id)));
    await new Promise((r) => setTimeout(r, 300));
    expect((await send(burst)).status).toBe(200);
    const { ids } = await reading;
    controller.abort();
    expect(ids.slice(0, 3)).toEqual(recent.map((e) => e.id));
    expect(ids.slice(3)).toEqual(burst.map((e) => e.id));
  });
});
