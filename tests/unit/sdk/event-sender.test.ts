import http from "node:http";
import type { AddressInfo } from "node:net";
import { EventSender, type EventV1, type SendReport } from "@capability-console/sdk";
import { afterEach, describe, expect, it } from "vitest";

type Handler = (
  body: { events: { id: string }[] },
  req: http.IncomingMessage,
) =>
  | { status: number; json?: unknown; headers?: Record<string, string> }
  | Promise<{ status: number; json?: unknown; headers?: Record<string, string> }>;

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A real HTTP endpoint standing in for the console, recording every request body. */
async function fakeConsole(handler: Handler) {
  const seen: { ids: string[]; auth: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => {
      raw += c;
    });
    req.on("end", async () => {
      const body = JSON.parse(raw) as { events: { id: string }[] };
      seen.push({ ids: body.events.map((e) => e.id), auth: req.headers.authorization });
      const out = await handler(body, req);
      res.writeHead(out.status, { "content-type": "application/json", ...out.headers });
      res.end(JSON.stringify(out.json ?? {}));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const ok = (body: { events: { id: string }[] }) => ({
  status: 200,
  json: {
    accepted: body.events.length,
    duplicates: 0,
    results: body.events.map((e) => ({ id: e.id, status: "created" })),
  },
});
/** A v1 event; the sender only looks at ids, the fake console at nothing else. */
const ev = (id: string): EventV1 => ({
  id,
  ts: "2026-12-01T10:00:00Z",
  tenant: "acme",
  type: "agent.message",
  outcome: "allowed",
});
const events = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ev(`e${from + i}`));
const noSleep = async () => {};

describe("EventSender", () => {
  it("retries a failed batch with the same ids until the console stores it", async () => {
    let calls = 0;
    const c = await fakeConsole((body) => (++calls <= 2 ? { status: 503 } : ok(body)));
    const reports: SendReport[] = [];
    const sender = new EventSender({
      baseUrl: c.url,
      apiKey: "cck_test",
      sleep: noSleep,
      onReport: (r) => reports.push(r),
    });
    for (const e of events(3)) await sender.send(e);
    await sender.close();
    expect(c.seen.map((s) => s.ids)).toEqual([
      ["e0", "e1", "e2"],
      ["e0", "e1", "e2"],
      ["e0", "e1", "e2"],
    ]);
    expect(c.seen[0]?.auth).toBe("Bearer cck_test");
    expect(reports).toEqual([{ accepted: 3, duplicates: 0, conflicts: [], rejected: [] }]);
    expect(sender.pending).toBe(0);
  });

  it("honours Retry-After on 429", async () => {
    const waits: number[] = [];
    let calls = 0;
    const c = await fakeConsole((body) =>
      ++calls === 1 ? { status: 429, headers: { "retry-after": "2" } } : ok(body),
    );
    const sender = new EventSender({ baseUrl: c.url, apiKey: "k", sleep: async (ms) => void waits.push(ms) });
    await sender.send(ev("e0"));
    await sender.close();
    expect(waits).toEqual([2000]);
  });

  it("sends full batches at batchSize and the rest on close", async () => {
    const c = await fakeConsole(ok);
    const sender = new EventSender({ baseUrl: c.url, apiKey: "k", batchSize: 4, flushIntervalMs: 60_000 });
    for (const e of events(10)) await sender.send(e);
    await sender.close();
    expect(c.seen.flatMap((s) => s.ids)).toEqual(events(10).map((e) => e.id));
    expect(c.seen.every((s) => s.ids.length <= 4)).toBe(true);
  });

  it("makes a producer wait while the buffer is full (back-pressure)", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const c = await fakeConsole(async (body) => {
      await gate;
      return ok(body);
    });
    const sender = new EventSender({
      baseUrl: c.url,
      apiKey: "k",
      batchSize: 2,
      maxBuffer: 2,
      flushIntervalMs: 60_000,
    });
    await sender.send(ev("a"));
    await sender.send(ev("b")); // fills the buffer and starts a send that the gate holds
    let thirdDone = false;
    const third = sender.send(ev("c")).then(() => {
      thirdDone = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(thirdDone).toBe(false);
    release();
    await third;
    expect(thirdDone).toBe(true);
    await sender.close();
    expect(c.seen.flatMap((s) => s.ids).sort()).toEqual(["a", "b", "c"]);
  });

  it("drops only the events the console names as invalid, and sends the rest", async () => {
    const c = await fakeConsole((body) =>
      body.events.some((e) => e.id === "e1")
        ? {
            status: 400,
            json: {
              error: "invalid events",
              details: [{ index: 1, field: "events[1].ts", message: "bad ts" }],
            },
          }
        : ok(body),
    );
    const reports: SendReport[] = [];
    const sender = new EventSender({
      baseUrl: c.url,
      apiKey: "k",
      sleep: noSleep,
      onReport: (r) => reports.push(r),
    });
    for (const e of events(3)) await sender.send(e);
    await sender.close();
    expect(c.seen.map((s) => s.ids)).toEqual([
      ["e0", "e1", "e2"],
      ["e0", "e2"],
    ]);
    expect(reports[0]?.rejected).toEqual([{ id: "e1", field: "events[1].ts", message: "bad ts" }]);
  });

  it("keeps events it cannot deliver (bad key) and reports the error", async () => {
    const c = await fakeConsole(() => ({ status: 401, json: { error: "unknown key" } }));
    const errors: Error[] = [];
    const sender = new EventSender({
      baseUrl: c.url,
      apiKey: "wrong",
      sleep: noSleep,
      onError: (e) => errors.push(e),
    });
    for (const e of events(2)) await sender.send(e);
    await sender.close();
    expect(sender.pending).toBe(2);
    expect(errors[0]?.message).toContain("unknown key");
  });

  it("bounds every request by timeoutMs: a console that never answers is retried, then kept", async () => {
    let calls = 0;
    const hung: http.ServerResponse[] = [];
    const server = http.createServer((req, res) => {
      calls++;
      req.resume();
      hung.push(res); // never answered
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const errors: Error[] = [];
    const sender = new EventSender({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      apiKey: "k",
      timeoutMs: 200,
      maxRetries: 1,
      sleep: noSleep,
      onError: (e) => errors.push(e),
    });
    await sender.send(ev("e0"));
    // Without a bound, close() would wait for the hung request forever (the test would time out).
    await sender.close();
    // close() drains twice (the flush, then what is still buffered), each 1 try + 1 retry.
    expect(calls).toBe(4);
    expect(errors.map((e) => e.name)).toEqual(Array(4).fill("TimeoutError"));
    expect(sender.pending).toBe(1);
    for (const res of hung) res.destroy();
    server.closeAllConnections();
  });
});
