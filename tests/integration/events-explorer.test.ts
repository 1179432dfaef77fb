import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { type Authority, ForbiddenError } from "@/lib/auth/authority";
import { countEvents, getEvent, histogramEvents, histogramStep, listEvents } from "@/lib/data/events-query";
import { backends } from "../support/db";
import {
  ALL_EVENTS,
  authority,
  type FixtureEvent,
  insertQueryFixtures,
  NOW,
} from "../support/query-fixtures";

// Issue 12: the explorer's previous pages, its match count and histogram, and the event
// permalink, on both backends, against an oracle computed from the fixtures in JavaScript.

const acmeInvestigator = authority({ role: "investigator", tenants: ["acme"] });
const acmeViewer = authority({ role: "viewer", tenants: ["acme"] });
const acmeAdmin = authority({ role: "admin", tenants: ["acme"] });
const globexAdmin = authority({ role: "admin", tenants: ["globex"] });
const bothAdmin = authority({ role: "admin", tenants: ["acme", "globex"] });
const stranger = authority({ role: "nobody" as Authority["role"], tenants: ["acme"] });

const inTenants = (tenants: string[]) => (e: FixtureEvent) => tenants.includes(e.tenant);
const globexEvent = ALL_EVENTS.find((e) => e.tenant === "globex") as FixtureEvent;

describe.each(backends)("explorer data on $name", (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await backend.open();
    await insertQueryFixtures(database.db);
  });
  afterAll(() => database.close());

  it("walks pages forward and back with keyset cursors in both sort orders", async () => {
    for (const sort of ["ts_desc", "ts_asc"] as const) {
      const forward: string[][] = [];
      const prevs: (string | null)[] = [];
      let cursor: string | null = null;
      for (let guard = 0; guard < 50; guard++) {
        const res = await listEvents(database.db, acmeInvestigator, { sort, cursor, limit: 7, now: NOW });
        expect(res.error).toBeUndefined();
        forward.push(res.rows.map((r) => r.id));
        prevs.push(res.prevCursor);
        if (!res.nextCursor) break;
        cursor = res.nextCursor;
      }
      const all = forward.flat();
      expect(all).toHaveLength(ALL_EVENTS.filter(inTenants(["acme"])).length);
      expect(new Set(all).size).toBe(all.length);
      expect(forward.length).toBeGreaterThan(3);
      // The first page has nothing before it; every later one points back.
      expect(prevs[0]).toBeNull();
      for (const p of prevs.slice(1)) expect(p).not.toBeNull();
      // From the last page, Previous walks the same pages back to the first, which ends the walk.
      let before = prevs.at(-1) as string | null;
      for (let i = forward.length - 2; i >= 0; i--) {
        const res = await listEvents(database.db, acmeInvestigator, { sort, before, limit: 7, now: NOW });
        expect(res.error).toBeUndefined();
        expect(res.rows.map((r) => r.id)).toEqual(forward[i]);
        // Next from a page reached backwards leads to the page after it.
        const next = await listEvents(database.db, acmeInvestigator, {
          sort,
          cursor: res.nextCursor,
          limit: 7,
          now: NOW,
        });
        expect(next.rows.map((r) => r.id)).toEqual(forward[i + 1]);
        if (i === 0) expect(res.prevCursor).toBeNull();
        else expect(res.prevCursor).not.toBeNull();
        before = res.prevCursor;
      }
    }
  });

  it("refuses a previous-page cursor made for the other order or by hand", async () => {
    const first = await listEvents(database.db, acmeInvestigator, { sort: "ts_desc", limit: 5, now: NOW });
    const second = await listEvents(database.db, acmeInvestigator, {
      sort: "ts_desc",
      cursor: first.nextCursor,
      limit: 5,
      now: NOW,
    });
    const wrongOrder = await listEvents(database.db, acmeInvestigator, {
      sort: "ts_asc",
      before: second.prevCursor,
      limit: 5,
    });
    expect(wrongOrder.rows).toEqual([]);
    expect(wrongOrder.error?.message).toMatch(/no longer valid/);
    const junk = await listEvents(database.db, acmeInvestigator, { before: "not-a-cursor" });
    expect(junk.rows).toEqual([]);
    expect(junk.error?.message).toMatch(/no longer valid/);
  });

  it("a previous page stays inside the tenant scope", async () => {
    // A cursor from the admin of both tenants, replayed by an acme user, shows acme rows only.
    let cursor: string | null = null;
    let prev: string | null = null;
    for (let i = 0; i < 3; i++) {
      const res = await listEvents(database.db, bothAdmin, { cursor, limit: 5, now: NOW });
      cursor = res.nextCursor;
      prev = res.prevCursor;
    }
    const res = await listEvents(database.db, acmeInvestigator, { before: prev, limit: 50, now: NOW });
    expect(res.rows.length).toBeGreaterThan(0);
    for (const r of res.rows) expect(r.tenant).toBe("acme");
  });

  it("counts within the tenant scope, capped", async () => {
    const acme = ALL_EVENTS.filter(inTenants(["acme"])).length;
    const globex = ALL_EVENTS.filter(inTenants(["globex"])).length;
    expect(globex).toBeGreaterThan(0);
    expect(await countEvents(database.db, acmeInvestigator, { now: NOW })).toEqual({
      count: acme,
      capped: false,
    });
    expect(await countEvents(database.db, globexAdmin, { now: NOW })).toEqual({
      count: globex,
      capped: false,
    });
    expect(await countEvents(database.db, bothAdmin, { now: NOW, max: 3 })).toEqual({
      count: 3,
      capped: true,
    });
    const denied = ALL_EVENTS.filter((e) => e.tenant === "acme" && e.outcome === "denied").length;
    expect((await countEvents(database.db, acmeViewer, { q: "outcome:denied", now: NOW })).count).toBe(
      denied,
    );
  });

  it("buckets the matches by time and outcome, inside the tenant scope", async () => {
    const oracle = (tenants: string[], from: Date, to: Date) => {
      const rows = ALL_EVENTS.filter(
        (e) => tenants.includes(e.tenant) && (e.ts as Date) >= from && (e.ts as Date) < to,
      );
      return {
        allowed: rows.filter((e) => e.outcome === "allowed").length,
        denied: rows.filter((e) => e.outcome === "denied").length,
        error: rows.filter((e) => e.outcome === "error").length,
      };
    };
    const sum = (bs: { allowed: number; denied: number; error: number }[]) =>
      bs.reduce(
        (a, b) => ({ allowed: a.allowed + b.allowed, denied: a.denied + b.denied, error: a.error + b.error }),
        { allowed: 0, denied: 0, error: 0 },
      );
    const from = new Date("2026-11-19T00:00:00Z");
    const to = NOW;
    for (const [who, tenants] of [
      [acmeInvestigator, ["acme"]],
      [globexAdmin, ["globex"]],
      [bothAdmin, ["acme", "globex"]],
    ] as const) {
      const res = await histogramEvents(database.db, who, { from, to, now: NOW });
      expect(res.error).toBeUndefined();
      expect(res.stepMs).toBe(histogramStep(from, to));
      expect(res.buckets.length).toBeLessThanOrEqual(61);
      expect(sum(res.buckets)).toEqual(oracle([...tenants], from, to));
      // Contiguous, aligned buckets covering the range.
      for (let i = 1; i < res.buckets.length; i++) {
        expect(res.buckets[i]?.start).toBe(res.buckets[i - 1]?.end);
      }
      expect(Date.parse(res.buckets[0]?.start ?? "") % res.stepMs).toBe(0);
      expect(Date.parse(res.buckets[0]?.start ?? "")).toBeLessThanOrEqual(from.getTime());
      expect(Date.parse(res.buckets.at(-1)?.end ?? "")).toBeGreaterThanOrEqual(to.getTime());
    }
    // Each event lands in the bucket that holds its time.
    const one = await histogramEvents(database.db, acmeInvestigator, { from, to, now: NOW });
    for (const e of ALL_EVENTS.filter((x) => x.tenant === "acme" && (x.ts as Date) >= from)) {
      const b = one.buckets.find(
        (x) =>
          Date.parse(x.start) <= (e.ts as Date).getTime() && (e.ts as Date).getTime() < Date.parse(x.end),
      );
      expect(b && b[e.outcome as "allowed"] > 0).toBe(true);
    }
  });

  it("without a from, the histogram spans the matches themselves; a query narrows it", async () => {
    const res = await histogramEvents(database.db, acmeInvestigator, { q: "outcome:denied", now: NOW });
    const denied = ALL_EVENTS.filter((e) => e.tenant === "acme" && e.outcome === "denied");
    expect(res.buckets.reduce((n, b) => n + b.denied + b.allowed + b.error, 0)).toBe(denied.length);
    expect(res.buckets.every((b) => b.allowed === 0)).toBe(true);
    const first = Math.min(...denied.map((e) => (e.ts as Date).getTime()));
    expect(Date.parse(res.buckets[0]?.start ?? "")).toBeLessThanOrEqual(first);
    // Nothing matches: no buckets, no error.
    expect(
      await histogramEvents(database.db, acmeInvestigator, { q: "principal:nobody@x", now: NOW }),
    ).toEqual({
      stepMs: 0,
      buckets: [],
    });
    // A viewer may not bucket by the investigators' keys, and a stranger not at all.
    const refused = await histogramEvents(database.db, acmeViewer, { q: 'reason:"x"', now: NOW });
    expect(refused.error?.code).toBe("forbidden");
    await expect(histogramEvents(database.db, stranger, {})).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("a permalink finds the event in scope, with the role's columns, and nothing else", async () => {
    const full = await getEvent(database.db, acmeInvestigator, { id: "a01" });
    expect(full?.id).toBe("a01");
    expect(full?.tenant).toBe("acme");
    expect(full).toHaveProperty("inputDigest");
    expect(full?.ts).toBeInstanceOf(Date);
    const summary = await getEvent(database.db, acmeViewer, { id: "a01", tenant: "acme" });
    expect(summary?.id).toBe("a01");
    expect(summary).not.toHaveProperty("reason");
    expect(summary).not.toHaveProperty("inputDigest");
    expect(summary).not.toHaveProperty("capabilityId");
    // Another tenant's event and an unknown id answer alike.
    expect(await getEvent(database.db, acmeInvestigator, { id: globexEvent.id })).toBeNull();
    expect(await getEvent(database.db, acmeAdmin, { id: globexEvent.id, tenant: "globex" })).toBeNull();
    expect(await getEvent(database.db, acmeInvestigator, { id: "no-such-event" })).toBeNull();
    expect(await getEvent(database.db, acmeInvestigator, { id: "a01", tenant: "globex" })).toBeNull();
    expect(await getEvent(database.db, acmeInvestigator, { id: "x".repeat(300) })).toBeNull();
    expect((await getEvent(database.db, globexAdmin, { id: globexEvent.id }))?.tenant).toBe("globex");
    await expect(getEvent(database.db, stranger, { id: "a01" })).rejects.toBeInstanceOf(ForbiddenError);
  });
});
