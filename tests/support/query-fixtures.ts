import { createHash } from "node:crypto";
import { inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { capabilities, events, type NewCapability, type NewEvent } from "@/db/schema";
import type { Authority } from "@/lib/auth/authority";
import { catchUpTree } from "@/lib/merkle/store";

// A small world for the explorer's query tests, inserted directly (no ingest, no hash chain
// checks: the query layer reads neither). Two tenants; capability trees of depth 3:
//
//   acme:   R1 ─┬─ C1 ─┬─ G1 (Order write o_1)        R2 (Invoice read)
//               │      └─ G2 (Order read)
//               └─ C2 ─── G3 (Customer read, name)
//   globex: R3 ─── C3 ─── G4 (Order write o_9; its id shares R1's first 16 hex characters)

export const NOW = new Date("2026-11-27T12:00:00.000Z");

const hex = (s: string) => createHash("sha256").update(s).digest("hex");

const r1 = hex("R1");
export const CAP = {
  R1: r1,
  C1: hex("C1"),
  G1: hex("G1"),
  G2: hex("G2"),
  C2: hex("C2"),
  G3: hex("G3"),
  R2: hex("R2"),
  R3: hex("R3"),
  C3: hex("C3"),
  G4: r1.slice(0, 16) + hex("G4").slice(16),
} as const;
export type CapName = keyof typeof CAP;

type Right = { resource: string; actions: string[]; ids?: string[]; fields?: string[] };
const capDefs: { name: CapName; tenant: string; parent: CapName | null; rights: Right[] }[] = [
  {
    name: "R1",
    tenant: "acme",
    parent: null,
    rights: [
      { resource: "Order", actions: ["read", "write"] },
      { resource: "Customer", actions: ["read"] },
    ],
  },
  { name: "C1", tenant: "acme", parent: "R1", rights: [{ resource: "Order", actions: ["read", "write"] }] },
  {
    name: "G1",
    tenant: "acme",
    parent: "C1",
    rights: [{ resource: "Order", actions: ["write"], ids: ["o_1"] }],
  },
  { name: "G2", tenant: "acme", parent: "C1", rights: [{ resource: "Order", actions: ["read"] }] },
  { name: "C2", tenant: "acme", parent: "R1", rights: [{ resource: "Customer", actions: ["read"] }] },
  {
    name: "G3",
    tenant: "acme",
    parent: "C2",
    rights: [{ resource: "Customer", actions: ["read"], fields: ["name"] }],
  },
  { name: "R2", tenant: "acme", parent: null, rights: [{ resource: "Invoice", actions: ["read"] }] },
  { name: "R3", tenant: "globex", parent: null, rights: [{ resource: "Order", actions: ["write"] }] },
  { name: "C3", tenant: "globex", parent: "R3", rights: [{ resource: "Order", actions: ["write"] }] },
  {
    name: "G4",
    tenant: "globex",
    parent: "C3",
    rights: [{ resource: "Order", actions: ["write"], ids: ["o_9"] }],
  },
];

const byName = new Map(capDefs.map((c) => [c.name, c]));
function pathTo(name: CapName): CapName[] {
  const parent = byName.get(name)?.parent;
  return parent ? [...pathTo(parent), parent] : [];
}

/** The capability names under `name` (itself included), from the tree above. */
export function subtreeOf(name: CapName): CapName[] {
  return capDefs.filter((c) => c.name === name || pathTo(c.name).includes(name)).map((c) => c.name);
}

export const CAPABILITY_ROWS: NewCapability[] = capDefs.map((c) => {
  const ancestors = pathTo(c.name);
  return {
    id: CAP[c.name],
    tenant: c.tenant,
    tokenHash: `sha256:${hex(`token-${c.name}`)}`,
    parentId: c.parent ? CAP[c.parent] : null,
    rootId: CAP[ancestors[0] ?? c.name],
    ancestors: ancestors.map((a) => CAP[a]),
    depth: ancestors.length,
    issuerKid: `${c.tenant}-2026-11`,
    principal: "alice@acme.example",
    summary: {
      principal: "alice@acme.example",
      tenants: [c.tenant],
      rights: c.rights,
      budget: { rows: 100 },
    },
    kind: c.parent ? "attenuated" : "minted",
    issuedAt: new Date("2026-11-26T08:00:00Z"),
  };
});

export type FixtureEvent = Omit<NewEvent, "contentHash" | "seq" | "prevHash" | "hash" | "capabilityId"> & {
  cap: CapName | null;
};

const ALICE = "alice@acme.example";
const at = (iso: string) => new Date(iso);
const call = (
  id: string,
  ts: string,
  over: Partial<FixtureEvent> & { cap: CapName | null },
): FixtureEvent => ({
  id,
  ts: at(ts),
  tenant: "acme",
  type: "tool.call",
  principal: ALICE,
  agent: "alice-assistant/research",
  session: "sess_7Hq2",
  request: `req_${id}`,
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  outcome: "allowed",
  capabilityHash: over.cap ? `sha256:${hex(`token-${over.cap}`)}` : null,
  inputDigest: `hmac-sha256:${hex(id)}`,
  latencyMs: 12,
  meta: { n: 1 },
  ...over,
});

export const INJECTION = "x'); drop table events; --";

export const NAMED_EVENTS: FixtureEvent[] = [
  call("a01", "2026-11-26T09:00:00Z", {
    cap: "G3",
    tool: "crm.lookup_customer",
    action: "read",
    resourceType: "Customer",
    resourceId: "c_381",
    fields: ["name"],
  }),
  call("a02", "2026-11-26T09:05:00Z", {
    cap: "G1",
    tool: "crm.update_order",
    action: "write",
    resourceType: "Order",
    resourceId: "o_1",
    fields: ["status"],
  }),
  call("a03", "2026-11-26T09:06:00Z", {
    cap: "G1",
    tool: "crm.update_order",
    action: "write",
    resourceType: "Order",
    resourceId: "o_2",
    outcome: "denied",
    reason: "resource Order#o_2 is not Order#o_1 (check in block 2)",
  }),
  call("a04", "2026-11-26T09:10:00Z", {
    cap: "R2",
    principal: "bob@acme.example",
    agent: "bob-bot/ops",
    session: "sess_bob",
    tool: "billing.read_invoice",
    action: "read",
    resourceType: "Invoice",
    resourceId: "i_9",
  }),
  call("a05", "2026-11-26T09:20:00Z", {
    cap: "G2",
    tool: "crm.list_orders",
    action: "read",
    resourceType: "Order",
  }),
  call("a06", "2026-11-26T10:00:00Z", {
    cap: null,
    type: "escalation.issued",
    agent: "console",
    action: "write",
    resourceType: "Order",
    resourceId: "o_2",
  }),
  call("a07", "2026-11-26T10:01:00Z", {
    cap: null,
    type: "escalation.used",
    tool: "crm.update_order",
    action: "write",
    resourceType: "Order",
    resourceId: "o_2",
  }),
  call("a08", "2026-11-26T11:00:00Z", {
    cap: "C1",
    tool: "crm.update_order",
    action: "write",
    resourceType: "Order",
    resourceId: "o_3",
    outcome: "error",
    reason: "timeout talking to CRM",
  }),
  call("a09", "2026-11-26T11:30:00Z", {
    cap: "C2",
    tool: "crm.lookup_customer",
    action: "read",
    resourceType: "Order",
    outcome: "denied",
    reason: "resource Order is not Customer#c_381 (check in block 2)",
  }),
  call("a10", "2026-11-26T08:00:00Z", { cap: "R1", type: "capability.minted" }),
  call("a11", "2026-11-26T12:00:00Z", {
    cap: null,
    principal: INJECTION,
    tool: "crm.%_\\odd",
    outcome: "denied",
    reason: "100% sure_thing",
  }),
  call("a12", "2026-11-27T11:30:00Z", { cap: null, type: "session.revoked", principal: null, agent: null }),
  call("a13", "2026-11-25T23:59:59.999Z", {
    cap: "C2",
    principal: "carol@acme.example",
    tool: "crm.lookup_customer",
    action: "read",
    resourceType: "Customer",
    resourceId: "c_1",
  }),
  call("g01", "2026-11-26T09:05:00Z", {
    cap: "G4",
    tenant: "globex",
    principal: "carol@globex.example",
    tool: "crm.update_order",
    action: "write",
    resourceType: "Order",
    resourceId: "o_9",
    reason: "globex-secret",
  }),
  call("g02", "2026-11-26T09:06:00Z", {
    cap: "C3",
    tenant: "globex",
    tool: "crm.update_order",
    action: "write",
    resourceType: "Order",
    resourceId: "o_1",
  }),
  call("g03", "2026-11-26T08:00:00Z", { cap: "R3", tenant: "globex", type: "capability.minted" }),
];

/** 40 acme events in ties of four on ts, ids in no particular order relative to ts. */
export const BULK_PRINCIPAL = "bulk@acme.example";
export const BULK_EVENTS: FixtureEvent[] = Array.from({ length: 40 }, (_, i) =>
  call(
    `b-${hex(`bulk-${i}`).slice(0, 12)}`,
    new Date(Date.UTC(2026, 10, 20, 0, 0, Math.floor(i / 4))).toISOString(),
    {
      cap: null,
      principal: BULK_PRINCIPAL,
      tool: "bulk.op",
    },
  ),
);
/** Bulk events whose stored ts is 250µs later than their JavaScript Date says. */
export const MICRO_SHIFTED = BULK_EVENTS.filter((_, i) => i % 8 === 5).map((e) => e.id);

export const ALL_EVENTS = [...NAMED_EVENTS, ...BULK_EVENTS];

export async function insertQueryFixtures(db: Db): Promise<void> {
  await db.insert(capabilities).values(CAPABILITY_ROWS);
  const seq = new Map<string, number>();
  const rows: NewEvent[] = ALL_EVENTS.map(({ cap, ...e }) => {
    const n = (seq.get(e.tenant) ?? 0) + 1;
    seq.set(e.tenant, n);
    return {
      ...e,
      capabilityId: cap ? CAP[cap] : null,
      contentHash: `sha256:${hex(`content-${e.id}`)}`,
      seq: n,
      prevHash: hex(`prev-${e.id}`),
      hash: hex(`hash-${e.id}`),
    };
  });
  await db.insert(events).values(rows);
  // Microseconds a JavaScript Date cannot hold: keyset pagination must not lose or repeat them.
  await db
    .update(events)
    .set({ ts: sql`${events.ts} + interval '250 microseconds'` })
    .where(inArray(events.id, MICRO_SHIFTED));
}

/**
 * The fixtures write rows directly, around appendEvents: point each tenant's chain head at its
 * last row and give the rows their Merkle leaves (as the bulk demo seed does), so audit events the
 * tests cause (an export, a revocation) continue the chain and the tree.
 */
export async function continueChains(db: Db): Promise<void> {
  await db.execute(sql`
    insert into chain_heads (tenant, seq, hash)
    select distinct on (tenant) tenant, seq, hash from events order by tenant, seq desc`);
  for (const tenant of [...new Set(ALL_EVENTS.map((e) => e.tenant))]) await catchUpTree(db, tenant);
}

export function authority(over: Partial<Authority> & Pick<Authority, "role" | "tenants">): Authority {
  return {
    userId: "00000000-0000-7000-8000-000000000001",
    email: `${over.role}@console.test`,
    name: null,
    activeTenant: null,
    sessionId: "test-session",
    authTime: NOW,
    ...over,
  };
}
