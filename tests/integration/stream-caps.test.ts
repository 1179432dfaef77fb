import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { handleRevocations } from "@/lib/api/verifier-routes";
import type { Authority } from "@/lib/auth/authority";
import { exportResponse } from "@/lib/data/events-export";
import { liveTail } from "@/lib/data/events-tail";
import { createSlotLimiter, STREAM_LIMITS } from "@/lib/server/stream-slots";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { newKey } from "../support/ingest-fixtures";
import { continueChains, insertQueryFixtures } from "../support/query-fixtures";

// Issue 11, items 5 and 8: long-lived answers are capped per holder. The (N+1)th concurrent
// export or live tail of one user, and the (N+1)th revocation event stream of one API key, get a
// 429 with a clear message; closing one frees its slot; other holders are not affected.

describe.each(backends)("stream caps on $name", (backend) => {
  let database: Database;
  let alice: Authority;
  let bob: Authority;
  let acmeKey: string;
  let otherKey: string;

  beforeAll(async () => {
    database = await backend.open();
    await insertQueryFixtures(database.db);
    await continueChains(database.db);
    await addTenants(database.db, ["acme", "globex"]);
    alice = await signedIn(database.db, {
      email: "alice@console.test",
      role: "investigator",
      tenants: ["acme"],
    });
    bob = await signedIn(database.db, { email: "bob@console.test", role: "investigator", tenants: ["acme"] });
    acmeKey = await newKey(database.db, "acme", "verifier-a");
    otherKey = await newKey(database.db, "acme", "verifier-b");
  });
  afterAll(() => database.close());

  const exportAs = (who: Authority, slots: ReturnType<typeof createSlotLimiter>) =>
    exportResponse(database.db, who, new URLSearchParams({ q: "", format: "jsonl" }), { slots });

  it("refuses a user's export past the cap with a 429, until one finishes", async () => {
    const slots = createSlotLimiter(STREAM_LIMITS.exports);
    const open = [];
    for (let i = 0; i < STREAM_LIMITS.exports; i++) {
      const res = await exportAs(alice, slots);
      expect(res.status).toBe(200);
      open.push(res);
    }
    const refused = await exportAs(alice, slots);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /Too many exports.*at most 2 per user/,
    );
    // Another user is not affected.
    const other = await exportAs(bob, slots);
    expect(other.status).toBe(200);
    await other.body?.cancel();
    // One export read to its end frees its slot.
    await open[0]?.text();
    const again = await exportAs(alice, slots);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    await open[1]?.body?.cancel();
    expect(slots.open(`user:${alice.userId}`)).toBe(0);
  });

  it("refuses a user's live tail past the cap with a 429, until one closes", async () => {
    const slots = createSlotLimiter(STREAM_LIMITS.tails);
    const tails = Array.from({ length: STREAM_LIMITS.tails }, () =>
      liveTail(database.db, alice, "", { slots, pollMs: 50 }),
    );
    for (const t of tails) expect(t.status).toBe(200);
    const refused = liveTail(database.db, alice, "", { slots, pollMs: 50 });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /Too many live tails.*at most 3 per user/,
    );
    const other = liveTail(database.db, bob, "", { slots, pollMs: 50 });
    expect(other.status).toBe(200);
    await other.body?.cancel();
    await tails[0]?.body?.cancel();
    const again = liveTail(database.db, alice, "", { slots, pollMs: 50 });
    expect(again.status).toBe(200);
    for (const t of [again, ...tails.slice(1)]) await t.body?.cancel();
    expect(slots.open(`user:${alice.userId}`)).toBe(0);
  });

  it("refuses an API key's revocation event stream past the cap with a 429; JSON pages are not capped", async () => {
    const slots = createSlotLimiter(STREAM_LIMITS.feeds);
    const stream = (key: string) =>
      handleRevocations(
        database.db,
        new Request("http://console.test/api/v1/revocations", {
          headers: { authorization: `Bearer ${key}`, accept: "text/event-stream" },
        }),
        { slots, pollMs: 50 },
      );
    const open = [];
    for (let i = 0; i < STREAM_LIMITS.feeds; i++) {
      const res = await stream(acmeKey);
      expect(res.status).toBe(200);
      open.push(res);
    }
    const refused = await stream(acmeKey);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /Too many revocation streams.*at most 4 per API key/,
    );
    const page = await handleRevocations(
      database.db,
      new Request("http://console.test/api/v1/revocations", {
        headers: { authorization: `Bearer ${acmeKey}` },
      }),
      { slots },
    );
    expect(page.status).toBe(200);
    const other = await stream(otherKey);
    expect(other.status).toBe(200);
    await other.body?.cancel();
    await open[0]?.body?.cancel();
    const again = await stream(acmeKey);
    expect(again.status).toBe(200);
    for (const r of [again, ...open.slice(1)]) await r.body?.cancel();
  });
});
