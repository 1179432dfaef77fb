import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { didItEver, getCapabilityDetail } from "@/lib/data/capabilities";
import { getPrincipalDay, latestActiveDay } from "@/lib/data/principal-day";
import { handleIngest } from "@/lib/ingest";
import { backends } from "../support/db";
import { addTenants } from "../support/fixtures";
import { ingestRequest, makeEvent, newKey } from "../support/ingest-fixtures";
import { authority } from "../support/query-fixtures";

// One day of Alice's bot in acme (a root capability, one narrowed for a sub-agent), and calls by
// the same principal name in globex that acme's people must never count.
const DAY = "2026-11-21";
const at = (hh: number, mm: number) => new Date(Date.UTC(2026, 10, 21, hh, mm)).toISOString();
const ALICE = "alice@acme.example";
const hex = (s: string) => createHash("sha256").update(s).digest("hex");
const ROOT = hex("day-root");
const CHILD = hex("day-child");

function cap(id: string, tenant: string, parent?: string) {
  return {
    id,
    hash: `sha256:${hex(`t-${id}`)}`,
    ...(parent ? { parentId: parent, rootId: parent } : { rootId: id }),
    depth: parent ? 1 : 0,
    issuer: "acme-2026-11",
    kind: parent ? "attenuated" : "minted",
    expiresAt: "2026-11-22T00:00:00.000Z",
    summary: {
      principal: ALICE,
      tenants: [tenant],
      rights: [
        { resource: "Customer", actions: ["read"] },
        { resource: "Order", actions: ["read", "write"] },
      ],
      session: "sess_day",
      request: "req_day",
    },
  };
}

function call(over: Record<string, unknown>) {
  return makeEvent("acme", {
    principal: ALICE,
    session: "sess_day",
    request: "req_day",
    outcome: "allowed",
    reason: null,
    capability: cap(ROOT, "acme"),
    ...over,
  });
}

describe.each(backends)("a person's day and a capability's uses on $name", (backend) => {
  let database: Database;
  const acmeViewer = authority({ role: "viewer", tenants: ["acme"] });
  const acmeInvestigator = authority({ role: "investigator", tenants: ["acme"] });
  const globexViewer = authority({ role: "viewer", tenants: ["globex"] });
  const admin = authority({ role: "admin", tenants: ["acme", "globex"] });

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    const acmeKey = await newKey(database.db, "acme");
    const globexKey = await newKey(database.db, "globex");
    const lookup = (i: number, id: string) =>
      call({
        ts: at(9, i),
        agent: "alice-assistant",
        tool: "crm.lookup_customer",
        action: "read",
        resource: { type: "Customer", id },
      });
    const acme = [
      {
        ...call({ ts: at(8, 59), type: "capability.minted", agent: "alice-assistant" }),
        tool: undefined,
        action: undefined,
        resource: undefined,
        fields: undefined,
      },
      {
        ...call({
          ts: at(9, 0),
          type: "capability.attenuated",
          agent: "alice-assistant/research",
          capability: cap(CHILD, "acme", ROOT),
        }),
        tool: undefined,
        action: undefined,
        resource: undefined,
        fields: undefined,
      },
      // Three lookups of two customers by the top agent.
      lookup(1, "c_1"),
      lookup(2, "c_2"),
      lookup(3, "c_1"),
      // The research sub-agent writes two orders under the narrowed capability…
      ...[10, 11].map((m) =>
        call({
          ts: at(9, m),
          agent: "alice-assistant/research",
          tool: "orders.update_status",
          action: "write",
          resource: { type: "Order", id: `o_${m}` },
          capability: cap(CHILD, "acme", ROOT),
        }),
      ),
      // …and is refused a third, and a Customer read outside its scope.
      call({
        ts: at(9, 12),
        agent: "alice-assistant/research",
        tool: "orders.update_status",
        action: "write",
        resource: { type: "Order", id: "o_12" },
        outcome: "denied",
        reason: "no right grants write on Order#o_12 (fields status)",
        capability: cap(CHILD, "acme", ROOT),
      }),
      call({
        ts: at(9, 13),
        agent: "alice-assistant/research",
        tool: "crm.lookup_customer",
        action: "read",
        resource: { type: "Customer", id: "c_9" },
        outcome: "denied",
        reason: "resource Customer#c_9 is not Order (check in block 1)",
        capability: cap(CHILD, "acme", ROOT),
      }),
    ].map((e) => JSON.parse(JSON.stringify(e)));
    const res = await handleIngest(database.db, ingestRequest(acmeKey, { events: acme }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(acme.length);
    const globex = Array.from({ length: 4 }, (_, i) =>
      makeEvent("globex", {
        ts: at(10, i),
        principal: ALICE,
        agent: "alice-assistant",
        tool: "erp.dump",
        action: "read",
        resource: { type: "Ledger", id: `l_${i}` },
        outcome: "allowed",
        reason: null,
        capability: cap(ROOT, "globex"),
      }),
    );
    const g = await handleIngest(database.db, ingestRequest(globexKey, { events: globex }));
    expect(g.status, await g.clone().text()).toBe(200);
  });
  afterAll(() => database?.close());

  it("counts uses as tool calls only, and the lifecycle records apart", async () => {
    const root = await getCapabilityDetail(database.db, acmeInvestigator, { id: ROOT, tenant: "acme" });
    expect(root?.uses).toEqual({ allowed: 5, denied: 2 });
    expect(root?.calls).toBe(7);
    expect(root?.lifecycle).toEqual([
      { type: "capability.attenuated", count: 1 },
      { type: "capability.minted", count: 1 },
    ]);
    const child = await getCapabilityDetail(database.db, acmeViewer, { id: CHILD, tenant: "acme" });
    expect(child?.uses).toEqual({ allowed: 2, denied: 2 });
    expect(child?.lifecycle).toEqual([{ type: "capability.attenuated", count: 1 }]);
    // globex's root with the same id counts only globex's calls.
    const other = await getCapabilityDetail(database.db, admin, { id: ROOT, tenant: "globex" });
    expect(other?.uses).toEqual({ allowed: 4 });
  });

  it("finds the latest day with a tool call in the viewer's tenants, for the Principals page's default", async () => {
    // Days later, just after midnight: that day is still empty, so the page opens on the 21st.
    expect(await latestActiveDay(database.db, acmeViewer, new Date("2026-11-25T00:30:00Z"))).toBe(DAY);
    // During the day itself, and never a day after `notAfter`.
    expect(await latestActiveDay(database.db, acmeViewer, new Date(`${DAY}T23:59:00Z`))).toBe(DAY);
    expect(await latestActiveDay(database.db, acmeViewer, new Date("2026-11-20T12:00:00Z"))).toBeUndefined();
    // Another tenant's activity is not a reason to open on a day.
    const initech = authority({ role: "viewer", tenants: ["initech"] });
    expect(await latestActiveDay(database.db, initech, new Date("2026-11-25T00:30:00Z"))).toBeUndefined();
  });

  it("answers did it ever…? with the count and the first time, or 0 of N calls", async () => {
    const yes = await didItEver(database.db, acmeViewer, {
      id: ROOT,
      tenant: "acme",
      resourceType: "Order",
      action: "write",
    });
    expect(yes).toEqual({
      resourceType: "Order",
      action: "write",
      calls: 7,
      matches: 2,
      first: new Date(at(9, 10)),
      refused: 1,
    });
    const no = await didItEver(database.db, acmeViewer, {
      id: CHILD,
      tenant: "acme",
      resourceType: "Customer",
      action: "read",
    });
    expect(no).toMatchObject({ calls: 4, matches: 0, first: null, refused: 1 });
    // Out of scope: nothing, not even a count.
    expect(
      await didItEver(database.db, globexViewer, {
        id: ROOT,
        tenant: "acme",
        resourceType: "Order",
        action: "write",
      }),
    ).toBeNull();
  });

  it("aggregates the day person → agent → sub-agent → tool → resource type, with refusals", async () => {
    const d = await getPrincipalDay(database.db, acmeViewer, { principal: ALICE, day: DAY });
    expect(d.totals).toMatchObject({ calls: 7, denied: 2 });
    expect(d.tenants).toEqual(["acme"]);
    const node = (id: string) => d.graph.nodes.find((n) => n.id === id);
    expect(node("person")).toMatchObject({ calls: 7, denied: 2 });
    expect(node("agent:alice-assistant")).toMatchObject({ calls: 7, denied: 2 });
    expect(node("agent:alice-assistant/research")).toMatchObject({ calls: 4, denied: 2, label: "research" });
    expect(node("tool:orders.update_status")).toMatchObject({ calls: 3, denied: 1 });
    expect(node("resource:Customer")).toMatchObject({ calls: 4, denied: 1 });
    expect(node("resource:Ledger")).toBeUndefined();
    const edge = d.graph.edges.find(
      (e) => e.from === "agent:alice-assistant/research" && e.to === "tool:crm.lookup_customer",
    );
    expect(edge).toMatchObject({ calls: 1, denied: 1 });
    expect(d.summary.sentence).toBe(
      "looked up 2 customers (3 calls) and changed 2 orders; tried to change an order once and was refused: no right for this action; tried to look up a customer once and was refused: outside allowed resources.",
    );
    expect(d.denialCategories.map((c) => [c.category, c.count])).toEqual([
      ["no-right", 1],
      ["outside-resources", 1],
    ]);
    // A viewer reads the check with the ids folded away; an investigator reads it exactly.
    expect(JSON.stringify(d.denialCategories)).not.toContain("o_12");
    const full = await getPrincipalDay(database.db, acmeInvestigator, { principal: ALICE, day: DAY });
    expect(full.denialCategories[0]?.reasons[0]?.reason).toBe(
      "no right grants write on Order#o_12 (fields status)",
    );
  });

  it("keeps each tenant's day to itself, and an admin of both sees both", async () => {
    const globexDay = await getPrincipalDay(database.db, globexViewer, { principal: ALICE, day: DAY });
    expect(globexDay.totals.calls).toBe(4);
    expect(globexDay.graph.nodes.map((n) => n.id)).not.toContain("tool:orders.update_status");
    expect(globexDay.summary.sentence).toBe("read 4 ledgers.");
    const both = await getPrincipalDay(database.db, admin, { principal: ALICE, day: DAY });
    expect(both.totals.calls).toBe(11);
    expect(both.tenants).toEqual(["acme", "globex"]);
  });
});
