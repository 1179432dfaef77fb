import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { apiKeys, capabilities, chainHeads, checkpoints, sessions } from "@/db/schema";
import { createRateLimiter, handleIngest, type ItemError } from "@/lib/ingest";
import { backends } from "../support/db";
import { addTenants } from "../support/fixtures";
import { eventCount, ingestRequest, makeEvent, newKey } from "../support/ingest-fixtures";

interface ErrorReply {
  error: string;
  field?: string;
  details?: ItemError[];
}

describe.each(backends)("ingest refuses bad input on $name", (backend) => {
  let database: Database;
  let key: string;
  let revokedKey: string;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    key = await newKey(database.db, "acme");
    revokedKey = await newKey(database.db, "acme", "old-agent");
    await database.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.source, "old-agent"));
  });
  afterAll(() => database.close());

  async function refused(req: Request, status: number): Promise<ErrorReply> {
    const res = await handleIngest(database.db, req, { log: () => {} });
    const body = (await res.json()) as ErrorReply;
    expect({ status: res.status, body }).toMatchObject({ status });
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(typeof body.error).toBe("string");
    // Nothing stored, by any path.
    expect(await eventCount(database.db)).toBe(0);
    for (const t of [chainHeads, checkpoints, capabilities, sessions]) {
      const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(t);
      expect(row?.n).toBe(0);
    }
    // Internals never leak.
    expect(JSON.stringify(body)).not.toMatch(/drizzle|postgres|pglite|stack|at \w+ \(/i);
    return body;
  }
  const good = () => makeEvent("acme");
  const batchWith = (bad: Record<string, unknown>) => ({ events: [good(), { ...good(), ...bad }, good()] });
  const itemField = async (bad: Record<string, unknown>, field: string, message?: RegExp) => {
    const body = await refused(ingestRequest(key, batchWith(bad)), 400);
    expect(body.field).toBe(`events[1].${field}`);
    expect(body.details).toContainEqual(expect.objectContaining({ index: 1, field }));
    if (message) expect(body.details?.find((d) => d.field === field)?.message).toMatch(message);
    return body;
  };

  it("401 without a key, with an unknown key, a malformed header or a revoked key", async () => {
    for (const k of [null, "cck_unknownunknownunknownunknown000000000", revokedKey]) {
      const body = await refused(ingestRequest(k, { events: [good()] }), 401);
      expect(body.field).toBe("authorization");
    }
    await refused(
      ingestRequest(null, { events: [good()] }, { headers: { authorization: `Basic ${key}` } }),
      401,
    );
  });

  it("415 for a content type other than application/json", async () => {
    for (const ct of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=latin1",
    ]) {
      expect((await refused(ingestRequest(key, { events: [good()] }, { contentType: ct }), 415)).field).toBe(
        "content-type",
      );
    }
  });

  it("400 for broken JSON, non-UTF-8 bytes, and a body that is not the envelope", async () => {
    await refused(ingestRequest(key, null, { raw: '{"events": [' }), 400);
    const bad = new Uint8Array([
      ...Buffer.from('{"events":[{"id":"'),
      0xc3,
      0x28,
      0xff,
      ...Buffer.from('"}]}'),
    ]);
    expect((await refused(ingestRequest(key, null, { raw: bad }), 400)).error).toMatch(/UTF-8/);
    await refused(ingestRequest(key, [good()]), 400);
    await refused(ingestRequest(key, { events: [] }), 400);
    expect((await refused(ingestRequest(key, { events: [good()], extra: 1 }), 400)).field).toBe("extra");
  });

  it("400 for deeply nested JSON without recursing into it", async () => {
    const deep = `{"events":[${"[".repeat(200_000)}${"]".repeat(200_000)}]}`;
    expect((await refused(ingestRequest(key, null, { raw: deep }), 400)).error).toMatch(/nested/);
    let meta: unknown = "x";
    for (let i = 0; i < 12; i++) meta = { m: meta };
    await itemField({ meta }, "meta.m.m.m.m.m.m.m.m", /nested/);
  });

  it("413 for a 10 MB body, without reading it all first", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += chunk.byteLength;
        if (pulled > 10 * 1024 * 1024) c.close();
        else c.enqueue(chunk);
      },
    });
    const body = await refused(ingestRequest(key, null, { raw: stream }), 413);
    expect(body.field).toBe("body");
    expect(pulled).toBeLessThan(2 * 1024 * 1024);
    // A declared length over the limit is refused before reading anything.
    await refused(
      ingestRequest(key, null, {
        raw: "x".repeat(10),
        headers: { "content-length": String(10 * 1024 * 1024) },
      }),
      413,
    );
  });

  it("413 for 1,001 events", async () => {
    const events = Array.from({ length: 1001 }, () => ({ id: "x" }));
    expect((await refused(ingestRequest(key, { events }), 413)).field).toBe("events");
  });

  it("400 naming unknown fields, including a raw token field and raw input", async () => {
    await itemField({ token: "En0KEwoEcmVhZBgDIgkKBwgKEgMYgAgSJAgAEiB" }, "token", /not a field/);
    await itemField({ input: { customerId: "c_381" } }, "input");
    await itemField({ resource: { type: "Customer", id: "c_1", owner: "x" } }, "resource.owner");
  });

  it("400 for missing required fields and a tool.call without its capability", async () => {
    for (const f of ["id", "ts", "tenant", "type", "outcome"]) {
      const e = good();
      delete e[f];
      const body = await refused(ingestRequest(key, { events: [e] }), 400);
      expect(body.details).toContainEqual(expect.objectContaining({ index: 0, field: f }));
    }
    await itemField({ capability: null }, "capability", /required/);
  });

  it("400 for ids that are neither UUIDv7 nor ULID, and timestamps that are not ISO-8601", async () => {
    await itemField({ id: "1" }, "id", /UUIDv7/);
    await itemField({ id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8" }, "id"); // a v1 UUID
    await itemField({ ts: "yesterday" }, "ts");
    await itemField({ ts: "2026-11-26 09:14:03" }, "ts");
  });

  it("400 for huge strings, oversized meta, raw input digests and bad enums", async () => {
    await itemField({ principal: "a".repeat(10_000) }, "principal", /at most/);
    await itemField({ reason: "r".repeat(100_000) }, "reason", /at most/);
    await itemField({ meta: { blob: "b ".repeat(5000) } }, "meta", /bytes/);
    await itemField({ inputDigest: "select * from customers" }, "inputDigest", /never raw input/);
    await itemField({ outcome: "maybe" }, "outcome");
    await itemField({ type: "console.user.created" }, "type", /console/);
  });

  it("400 for control characters, ANSI escapes and bidi overrides, naming the field", async () => {
    await itemField({ principal: "alice\u0000@acme" }, "principal", /control/);
    await itemField({ agent: "bot\nnewline" }, "agent", /control/);
    await itemField({ tool: "crm.\u001b[31mlookup" }, "tool", /ANSI/);
    await itemField({ session: "sess\u202Eevil" }, "session", /bidirectional/);
    await itemField({ request: "req\u2066x" }, "request", /bidirectional/);
    await itemField({ resource: { type: "Customer", id: "c\u202D1" } }, "resource.id", /bidirectional/);
    await itemField({ fields: ["name", "em\u0007ail"] }, "fields[1]", /control/);
    await itemField({ reason: "denied \u001b]8;;http://evil\u0007" }, "reason", /ANSI/);
    await itemField({ meta: { note: "x\u202Ey" } }, "meta.note", /bidirectional/);
    await itemField({ meta: { "k\u0000": 1 } }, "meta.k\u0000", /control/);
    await itemField({ principal: "alice\ud800" }, "principal", /Unicode/);
  });

  it("400 for something that looks like a raw Biscuit token in free text", async () => {
    const token = `En0K${"EwoEcmVhZBgDIgkKBwgKEgMYgAgSJAgAEiB".repeat(5)}`;
    await itemField({ meta: { token } }, "meta.token", /raw token/);
    await itemField({ reason: `authorization: Bearer ${token}` }, "reason", /raw token/);
  });

  it("403 naming the field when an event's tenant is not the key's, storing nothing", async () => {
    const body = await refused(ingestRequest(key, { events: [good(), makeEvent("globex")] }), 403);
    expect(body.field).toBe("events[1].tenant");
  });

  it("429 when the key's bucket is empty, with Retry-After", async () => {
    const limiter = createRateLimiter({ burst: 1, perSecond: 0.001 });
    limiter.take(
      (await database.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.source, "test-agent")))[0]
        ?.id ?? "",
    );
    const res = await handleIngest(database.db, ingestRequest(key, { events: [good()] }), { limiter });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await eventCount(database.db)).toBe(0);
  });

  it("405 for other methods", async () => {
    const res = await handleIngest(database.db, new Request("http://x/api/v1/events", { method: "GET" }));
    expect(res.status).toBe(405);
  });
});
