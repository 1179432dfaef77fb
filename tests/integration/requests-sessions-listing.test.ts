import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, type NewCapability, sessions } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import { listAgentSessionsPage } from "@/lib/data/agent-sessions";
import { listRequests, type RequestRow } from "@/lib/data/requests";
import { uuidv7 } from "@/lib/ids";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

const T = Date.parse("2026-11-30T10:00:00.000Z");
const MIN = 60_000;

const cap = (id: string, over: Partial<NewCapability> = {}): NewCapability => ({
  id,
  tenant: "acme",
  tokenHash: `sha256:${id.padEnd(64, "0")}`,
  rootId: id,
  kind: "minted",
  principal: "alice@acme.example",
  agent: "planner",
  session: "s-alice",
  issuedAt: new Date(T),
  ...over,
});

const call = (over: {
  tenant?: string;
  request: string;
  session?: string;
  capabilityId?: string;
  at: number;
  outcome?: "allowed" | "denied";
  principal?: string;
}) => ({
  id: uuidv7(),
  ts: new Date(over.at),
  tenant: over.tenant ?? "acme",
  type: "tool.call",
  principal: over.principal ?? "alice@acme.example",
  session: over.session ?? "s-alice",
  request: over.request,
  capabilityId: over.capabilityId ?? null,
  tool: "crm.lookup",
  outcome: over.outcome ?? ("allowed" as const),
});

/** Every row, by following `next` from the first page; then the same pages back by `prev`. */
async function walk<T>(
  page: (
    cursor?: string,
    dir?: "next" | "prev",
  ) => Promise<{ rows: T[]; next: string | null; prev: string | null }>,
) {
  const forward: T[][] = [];
  let p = await page();
  forward.push(p.rows);
  expect(p.prev).toBeNull();
  while (p.next) {
    p = await page(p.next, "next");
    forward.push(p.rows);
    if (forward.length > 50) throw new Error("pager does not end");
  }
  const backward: T[][] = [p.rows];
  while (p.prev) {
    p = await page(p.prev, "prev");
    backward.unshift(p.rows);
    if (backward.length > 50) throw new Error("pager does not end");
  }
  return { forward, backward };
}

describe.each(backends)("requests and sessions listings on $name", (backend) => {
  let database: Database;
  let both: Authority;
  let acmeInv: Authority;
  let globexInv: Authority;
  let viewer: Authority;

  beforeAll(async () => {
    database = await backend.open();
    const db = database.db;
    await addTenants(db, ["acme", "globex"]);
    both = await signedIn(db, { email: "both@x.test", role: "investigator", tenants: ["acme", "globex"] });
    acmeInv = await signedIn(db, { email: "acme@x.test", role: "investigator", tenants: ["acme"] });
    globexInv = await signedIn(db, { email: "globex@x.test", role: "investigator", tenants: ["globex"] });
    viewer = await signedIn(db, { email: "viewer@x.test", role: "viewer", tenants: ["acme"] });
    // 23 requests minted at the same instant (ties), one older, one newer; one request whose
    // capability has no issued_at but whose first call was an hour ago; one only traces name.
    const tied = Array.from({ length: 23 }, (_, i) =>
      cap(`cap-tie-${i}`, { request: `req-tie-${String(i).padStart(2, "0")}` }),
    );
    await db.insert(capabilities).values([
      ...tied,
      cap("cap-old", {
        request: "req-old",
        issuedAt: new Date(T - 60 * MIN),
        principal: "bob@acme.example",
        session: "s-bob",
      }),
      cap("cap-new", { request: "req-new", issuedAt: new Date(T + 30 * MIN), agent: "Report-Writer" }),
      cap("cap-new-child", {
        request: "req-new",
        parentId: "cap-new",
        rootId: "cap-new",
        ancestors: ["cap-new"],
        depth: 1,
        kind: "attenuated",
        agent: "fetcher",
        issuedAt: new Date(T + 31 * MIN),
      }),
      cap("cap-undated", { request: "req-undated", issuedAt: null }),
      cap("cap-100%", { request: "req_100%" }),
      cap("g-cap", {
        tenant: "globex",
        request: "req-globex",
        principal: "gina@globex.example",
        session: "s-gina",
      }),
      // The same request id in both tenants: each tenant sees only its own.
      cap("g-shared", {
        tenant: "globex",
        request: "req-tie-00",
        principal: "gina@globex.example",
        session: "s-gina",
      }),
    ]);
    await appendEvents(db, [
      call({ request: "req-new", capabilityId: "cap-new", at: T + 32 * MIN }),
      call({ request: "req-new", capabilityId: "cap-new-child", at: T + 33 * MIN, outcome: "denied" }),
      call({ request: "req-new", capabilityId: "cap-new-child", at: T + 34 * MIN, outcome: "denied" }),
      call({ request: "req-undated", capabilityId: "cap-undated", at: T - 120 * MIN }),
      call({ request: "req-trace-only", at: T - 5 * MIN, session: "s-bob", principal: "bob@acme.example" }),
      call({
        request: "req-old",
        capabilityId: "cap-old",
        at: T - 59 * MIN,
        session: "s-bob",
        principal: "bob@acme.example",
      }),
      call({
        tenant: "globex",
        request: "req-globex",
        at: T,
        session: "s-gina",
        principal: "gina@globex.example",
      }),
    ]);
    await db.insert(sessions).values([
      ...Array.from({ length: 11 }, (_, i) => ({
        id: `s-tie-${String(i).padStart(2, "0")}`,
        tenant: "acme",
        principal: "carol@acme.example",
        agent: "triager",
        lastSeenAt: new Date(T),
      })),
      {
        id: "s-alice",
        tenant: "acme",
        principal: "alice@acme.example",
        agent: "planner",
        lastSeenAt: new Date(T + 40 * MIN),
      },
      {
        id: "s-bob",
        tenant: "acme",
        principal: "bob@acme.example",
        agent: "Report-Writer",
        lastSeenAt: new Date(T - 50 * MIN),
        revokedAt: new Date(T),
        revokedBy: "root@x.test",
        revokeReason: "left",
      },
      // Never seen active: sorted by its start, not first for an empty time.
      {
        id: "s-quiet",
        tenant: "acme",
        principal: "dan@acme.example",
        startedAt: new Date(T - 500 * MIN),
        lastSeenAt: null,
      },
      {
        id: "s-reported",
        tenant: "acme",
        principal: "erin@acme.example",
        lastSeenAt: new Date(T - 400 * MIN),
        reportedRevokedAt: new Date(T),
        reportedBy: "platform-a",
      },
      {
        id: "s-gina",
        tenant: "globex",
        principal: "gina@globex.example",
        lastSeenAt: new Date(T + 60 * MIN),
      },
    ]);
  });
  afterAll(() => database.close());

  const ids = (rows: RequestRow[]) => rows.map((r) => `${r.tenant}/${r.request}`);

  it("lists requests newest first by first activity, an undated one by its first call, never first", async () => {
    const page = await listRequests(database.db, acmeInv, { limit: 100 });
    const order = ids(page.rows);
    expect(order[0]).toBe("acme/req-new");
    expect(order.indexOf("acme/req-undated")).toBe(order.length - 1);
    expect(order.indexOf("acme/req-old")).toBe(order.length - 2);
    expect(order.indexOf("acme/req-trace-only")).toBe(order.length - 3);
    const times = page.rows.map((r) => r.startedAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(page.rows.every((r) => r.tenant === "acme")).toBe(true);
    expect(page.next).toBeNull();
  });

  it("counts calls and denials per request, and names its root's principal and agent", async () => {
    const [row] = (await listRequests(database.db, acmeInv, { q: "req-new" })).rows;
    expect(row).toMatchObject({
      request: "req-new",
      calls: 3,
      denied: 2,
      capabilities: 2,
      agent: "Report-Writer",
      principal: "alice@acme.example",
    });
    expect(row?.startedAt.toISOString()).toBe(new Date(T + 30 * MIN).toISOString());
  });

  it("pages across 23 tied start times without repeating or skipping, forward and back", async () => {
    const { forward, backward } = await walk((cursor, dir) =>
      listRequests(database.db, both, { limit: 4, cursor, dir }),
    );
    const all = forward.flat().map((r) => `${r.tenant}/${r.request}`);
    expect(new Set(all).size).toBe(all.length);
    const everything = ids((await listRequests(database.db, both, { limit: 100 })).rows);
    expect(all).toEqual(everything);
    expect(everything).toHaveLength(23 + 5 + 2);
    expect(backward.map((p) => p.map((r) => `${r.tenant}/${r.request}`))).toEqual(
      forward.map((p) => p.map((r) => `${r.tenant}/${r.request}`)),
    );
  });

  it("searches by request id, principal or agent, case-insensitive, with % and _ taken literally", async () => {
    const q = async (text: string) =>
      ids((await listRequests(database.db, acmeInv, { q: text, limit: 100 })).rows);
    expect(await q("REQ-OLD")).toEqual(["acme/req-old"]);
    expect(await q("bob@")).toEqual(["acme/req-trace-only", "acme/req-old"]);
    expect(await q("writer")).toEqual(["acme/req-new"]);
    expect(await q("fetcher")).toEqual(["acme/req-new"]);
    expect(await q("_100%")).toEqual(["acme/req_100%"]);
    expect(await q("%")).toEqual(["acme/req_100%"]);
    expect(await q("nobody-at-all")).toEqual([]);
  });

  it("keeps the requests of one session", async () => {
    const rows = ids((await listRequests(database.db, acmeInv, { session: "s-bob", limit: 100 })).rows);
    expect(rows).toEqual(["acme/req-trace-only", "acme/req-old"]);
  });

  it("scopes requests by tenant: another tenant's rows and a tenant outside view read as nothing", async () => {
    const globex = ids((await listRequests(database.db, globexInv, { limit: 100 })).rows);
    expect(globex.sort()).toEqual(["globex/req-globex", "globex/req-tie-00"]);
    expect((await listRequests(database.db, acmeInv, { tenant: "globex" })).rows).toEqual([]);
    expect(ids((await listRequests(database.db, acmeInv, { q: "gina", limit: 100 })).rows)).toEqual([]);
    // A shared id counts only its own tenant's activity.
    const shared = (await listRequests(database.db, both, { q: "req-tie-00", limit: 100 })).rows;
    expect(shared.map((r) => [r.tenant, r.principal]).sort()).toEqual([
      ["acme", "alice@acme.example"],
      ["globex", "gina@globex.example"],
    ]);
  });

  it("rejects bad input by field and ignores a cut cursor", async () => {
    await expect(listRequests(database.db, acmeInv, { q: "x".repeat(201) })).rejects.toThrow(
      /q: at most 200/,
    );
    const first = await listRequests(database.db, acmeInv, { limit: 3 });
    const junk = await listRequests(database.db, acmeInv, { limit: 3, cursor: "not-a-cursor", dir: "next" });
    expect(ids(junk.rows)).toEqual(ids(first.rows));
  });

  it("lists sessions newest activity first, an unseen one by its start, paged across ties", async () => {
    const all = (await listAgentSessionsPage(database.db, acmeInv, { limit: 100 })).rows.map((s) => s.id);
    expect(all[0]).toBe("s-alice");
    expect(all.slice(-3)).toEqual(["s-bob", "s-reported", "s-quiet"]);
    expect(all).toHaveLength(15);
    const { forward, backward } = await walk((cursor, dir) =>
      listAgentSessionsPage(database.db, acmeInv, { limit: 4, cursor, dir }),
    );
    expect(forward.flat().map((s) => s.id)).toEqual(all);
    expect(backward.map((p) => p.map((s) => s.id))).toEqual(forward.map((p) => p.map((s) => s.id)));
  });

  it("searches sessions by id, principal, agent and status, with call, denial and request counts", async () => {
    const q = async (input: Parameters<typeof listAgentSessionsPage>[2]) =>
      (await listAgentSessionsPage(database.db, acmeInv, { limit: 100, ...input })).rows.map((s) => s.id);
    expect(await q({ q: "S-QUIET" })).toEqual(["s-quiet"]);
    expect(await q({ q: "erin@" })).toEqual(["s-reported"]);
    expect(await q({ q: "report-writer" })).toEqual(["s-bob"]);
    expect(await q({ status: "revoked" })).toEqual(["s-bob"]);
    expect(await q({ status: "reported" })).toEqual(["s-reported"]);
    expect(await q({ status: "open", q: "carol" })).toHaveLength(11);
    const [alice] = (await listAgentSessionsPage(database.db, acmeInv, { q: "s-alice" })).rows;
    expect(alice).toMatchObject({ calls: 4, denied: 2, requests: 2 });
    const [bob] = (await listAgentSessionsPage(database.db, acmeInv, { q: "s-bob" })).rows;
    expect(bob).toMatchObject({ calls: 2, denied: 0, requests: 2 });
  });

  it("scopes sessions by tenant and refuses viewers", async () => {
    const globex = (await listAgentSessionsPage(database.db, globexInv, { limit: 100 })).rows.map(
      (s) => s.id,
    );
    expect(globex).toEqual(["s-gina"]);
    expect((await listAgentSessionsPage(database.db, acmeInv, { q: "gina" })).rows).toEqual([]);
    await expect(listAgentSessionsPage(database.db, viewer, {})).rejects.toBeInstanceOf(ForbiddenError);
  });
});
