import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { capabilities, type NewCapability } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { Authority } from "@/lib/auth/authority";
import { getCompareSide } from "@/lib/data/compare";
import { diffSides } from "@/lib/graph/compare";
import { uuidv7 } from "@/lib/ids";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

const T = Date.parse("2026-11-30T10:00:00.000Z");
const HOUR = 3_600_000;

const cap = (id: string, over: Partial<NewCapability> = {}): NewCapability => ({
  id,
  tenant: "acme",
  tokenHash: `sha256:${id.padEnd(64, "0")}`,
  rootId: over.ancestors?.[0] ?? id,
  ancestors: [],
  depth: over.ancestors?.length ?? 0,
  kind: over.ancestors?.length ? "attenuated" : "minted",
  principal: "alice@acme.example",
  agent: "planner",
  issuedAt: new Date(T),
  expiresAt: new Date(T + 4 * HOUR),
  summary: {
    rights: [
      { resource: "Order", actions: ["read", "write"] },
      { resource: "Customer", actions: ["read"] },
    ],
  },
  ...over,
});

const call = (o: {
  tenant?: string;
  request: string;
  capabilityId: string;
  tool: string;
  outcome?: "allowed" | "denied";
  reason?: string;
}) => ({
  id: uuidv7(),
  ts: new Date(T + 60_000),
  tenant: o.tenant ?? "acme",
  type: "tool.call",
  principal: "alice@acme.example",
  request: o.request,
  capabilityId: o.capabilityId,
  tool: o.tool,
  outcome: o.outcome ?? ("allowed" as const),
  reason: o.reason ?? null,
});

describe.each(backends)("compare on $name", (backend) => {
  let database: Database;
  let acme: Authority;
  let viewer: Authority;
  let globex: Authority;

  beforeAll(async () => {
    database = await backend.open();
    const db = database.db;
    await addTenants(db, ["acme", "globex"]);
    acme = await signedIn(db, { email: "inv@x.test", role: "investigator", tenants: ["acme"] });
    viewer = await signedIn(db, { email: "v@x.test", role: "viewer", tenants: ["acme"] });
    globex = await signedIn(db, { email: "g@x.test", role: "investigator", tenants: ["globex"] });
    await db.insert(capabilities).values([
      // r1: root -> reader (Order read only) -> fetcher (order ids 1,2; expires sooner)
      cap("r1-root", { request: "r1" }),
      cap("r1-reader", {
        request: "r1",
        parentId: "r1-root",
        ancestors: ["r1-root"],
        agent: "reader",
        summary: { rights: [{ resource: "Order", actions: ["read"] }] },
      }),
      cap("r1-fetch", {
        request: "r1",
        parentId: "r1-reader",
        ancestors: ["r1-root", "r1-reader"],
        agent: "fetcher",
        expiresAt: new Date(T + HOUR),
        summary: { rights: [{ resource: "Order", actions: ["read"], ids: ["1", "2"] }] },
      }),
      // r2: root -> reader keeping Customer too (a wider step than r1's)
      cap("r2-root", { request: "r2" }),
      cap("r2-reader", {
        request: "r2",
        parentId: "r2-root",
        ancestors: ["r2-root"],
        agent: "reader",
        summary: {
          rights: [
            { resource: "Order", actions: ["read"] },
            { resource: "Customer", actions: ["read"] },
          ],
        },
      }),
      // Another tenant: same request id r1 and its own capability id r1-root.
      cap("r1-root", { tenant: "globex", request: "r1", principal: "gina@globex.example" }),
      cap("g-only", { tenant: "globex", request: "g-req", principal: "gina@globex.example" }),
    ]);
    await appendEvents(db, [
      call({ request: "r1", capabilityId: "r1-fetch", tool: "orders.get" }),
      call({
        request: "r1",
        capabilityId: "r1-fetch",
        tool: "orders.update",
        outcome: "denied",
        reason: "right(Order, write) not granted",
      }),
      call({ request: "r2", capabilityId: "r2-reader", tool: "orders.get" }),
      call({ request: "r2", capabilityId: "r2-reader", tool: "customers.get" }),
      call({ tenant: "globex", request: "r1", capabilityId: "r1-root", tool: "globex.secret" }),
    ]);
  });
  afterAll(() => database.close());

  it("shows a capability's blocks, authority first, with what each step narrowed", async () => {
    const side = await getCompareSide(database.db, acme, {
      kind: "capability",
      id: "r1-fetch",
      tenant: "acme",
    });
    expect(side?.blocks.map((b) => [b.label, b.capabilityId, b.rights])).toEqual([
      ["Authority block", "r1-root", ["Order: read/write", "Customer: read"]],
      ["Block 1 (attenuation)", "r1-reader", ["Order: read"]],
      ["Block 2 (attenuation)", "r1-fetch", ["Order#1|2: read"]],
    ]);
    expect(side?.blocks[1]?.narrowed).toEqual(["only Order", "Order: read only"]);
    expect(side?.blocks[2]?.narrowed).toEqual(["Order ids 1, 2", "expires 3h sooner"]);
    expect(side?.counts).toEqual({ allowed: 1, denied: 1, error: 0 });
    expect(side?.calls.map((c) => c.tool).sort()).toEqual(["orders.get", "orders.update"]);
    expect(side?.calls.find((c) => c.outcome === "denied")?.reason).toMatch(/not granted/);
  });

  it("diffs two capabilities block by block and their calls by tool", async () => {
    const [a, b] = await Promise.all([
      getCompareSide(database.db, acme, { kind: "capability", id: "r1-fetch", tenant: "acme" }),
      getCompareSide(database.db, acme, { kind: "capability", id: "r2-reader", tenant: "acme" }),
    ]);
    if (!a || !b) throw new Error("both sides exist");
    const d = diffSides(a, b);
    expect(d.blocks.map((x) => [x.key, x.onlyA, x.onlyB])).toEqual([
      ["0", [], []],
      ["1", [], ["Customer: read"]],
      ["2", ["Order#1|2: read"], []],
    ]);
    expect(d.blocks[2]?.b).toBeNull();
    expect(d.tools).toEqual([
      {
        tool: "customers.get",
        a: { allowed: 0, denied: 0, error: 0 },
        b: { allowed: 1, denied: 0, error: 0 },
        differs: true,
      },
      {
        tool: "orders.get",
        a: { allowed: 1, denied: 0, error: 0 },
        b: { allowed: 1, denied: 0, error: 0 },
        differs: false,
      },
      {
        tool: "orders.update",
        a: { allowed: 0, denied: 1, error: 0 },
        b: { allowed: 0, denied: 0, error: 0 },
        differs: true,
      },
    ]);
    expect(d.countsDiffer).toEqual({ allowed: true, denied: true, error: false });
  });

  it("compares two requests: their capabilities aligned by depth and agent, narrowing, calls", async () => {
    const [a, b] = await Promise.all([
      getCompareSide(database.db, acme, { kind: "request", id: "r1", tenant: "acme" }),
      getCompareSide(database.db, acme, { kind: "request", id: "r2" }),
    ]);
    if (!a || !b) throw new Error("both sides exist");
    expect(a.tenant).toBe("acme");
    expect(b.tenant).toBe("acme");
    expect(a.blocks.map((x) => x.key)).toEqual(["0:planner#1", "1:reader#1", "2:fetcher#1"]);
    expect(a.blocks[1]?.narrowed).toEqual(["only Order", "Order: read only"]);
    expect(a.counts).toEqual({ allowed: 1, denied: 1, error: 0 });
    const d = diffSides(a, b);
    expect(d.blocks.find((x) => x.key === "1:reader#1")).toMatchObject({
      onlyA: [],
      onlyB: ["Customer: read"],
    });
    expect(d.blocks.find((x) => x.key === "2:fetcher#1")).toMatchObject({ b: null });
    // Never the other tenant's request with the same id.
    expect(a.calls.map((c) => c.tool)).not.toContain("globex.secret");
  });

  it("reads another tenant's id as not found, named tenant or not", async () => {
    expect(await getCompareSide(database.db, acme, { kind: "capability", id: "g-only" })).toBeNull();
    expect(await getCompareSide(database.db, acme, { kind: "request", id: "g-req" })).toBeNull();
    expect(
      await getCompareSide(database.db, acme, { kind: "request", id: "r1", tenant: "globex" }),
    ).toBeNull();
    expect(
      await getCompareSide(database.db, acme, { kind: "capability", id: "r1-root", tenant: "globex" }),
    ).toBeNull();
    const theirs = await getCompareSide(database.db, globex, { kind: "request", id: "r1" });
    expect(theirs?.tenant).toBe("globex");
    expect(theirs?.calls.map((c) => c.tool)).toEqual(["globex.secret"]);
    expect(await getCompareSide(database.db, globex, { kind: "request", id: "r2" })).toBeNull();
  });

  it("hides the checks' wording from viewers and rejects bad input by field", async () => {
    const side = await getCompareSide(database.db, viewer, { kind: "request", id: "r1" });
    expect(side?.calls.every((c) => c.reason === null)).toBe(true);
    await expect(getCompareSide(database.db, acme, { kind: "token" as "request", id: "r1" })).rejects.toThrow(
      /kind: choose capability or request/,
    );
    await expect(getCompareSide(database.db, acme, { kind: "request", id: " " })).rejects.toThrow(
      /id: required/,
    );
  });
});
