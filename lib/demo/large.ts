import { createHash } from "node:crypto";
import { getTableColumns, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { ensureEventPartitions } from "@/db/partitions";
import { capabilities, chainHeads, events, tenants } from "@/db/schema";
import { recordsetJson } from "@/lib/audit/append";
import { chainHash, contentHash, GENESIS_HASH } from "@/lib/audit/chain";
import { rebuildRollups } from "@/lib/audit/rollups";
import { recountCapabilities } from "@/lib/ingest/capability-counts";
import { catchUpTree } from "@/lib/merkle/store";
import { prng } from "./request";

// A large, realistic-shaped log for scale tests: requests with capability trees (root, three
// sub-agents, some deeper), tool calls hanging on them, a few percent denied, spread over 30
// days and many principals. Rows are written directly (no tokens are minted: at a million
// events that would take an hour), with a valid hash chain so verify-log still holds.

const hex = (s: string) => createHash("sha256").update(s).digest("hex");
const DAY = 86_400_000;

function jsonInsert(table: "events" | "capabilities", rows: Record<string, unknown>[]) {
  const withArrival = table === "events" && rows[0]?.receivedAt !== undefined;
  const cols = Object.entries(getTableColumns(table === "events" ? events : capabilities)).filter(
    ([k]) =>
      (k !== "receivedAt" || withArrival) && k !== "firstSeenAt" && k !== "contentVersion" && k !== "erased",
  );
  const list = sql.raw(cols.map(([, c]) => `"${c.name}"`).join(", "));
  return sql`insert into ${sql.identifier(table)} (${list}) select ${list} from json_populate_recordset(null::${sql.identifier(table)}, ${recordsetJson(rows, cols)}::json)`;
}

/**
 * The indexes of events and capabilities that back no constraint, as `create index` statements
 * (for the partitioned table, on the parent, so every partition gets one), dropped.
 */
async function dropSecondaryIndexes(db: Db): Promise<string[]> {
  const found = (await db.execute(sql`
    select i.relname as "name", pg_get_indexdef(i.oid) as "def"
    from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
    where t.relname in ('events', 'capabilities') and t.relnamespace = 'public'::regnamespace
      and not exists (select 1 from pg_constraint c where c.conindid = i.oid)`)) as unknown as {
    rows: { name: string; def: string }[];
  };
  for (const r of found.rows) await db.execute(sql.raw(`drop index "${r.name}"`));
  // A partitioned parent's definition reads "ON ONLY events"; built again, it covers every partition.
  return found.rows.map((r) => r.def.replace(" ON ONLY ", " ON "));
}

async function rebuildIndexes(db: Db, defs: string[]): Promise<void> {
  for (const def of defs)
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local maintenance_work_mem = '1GB'`);
      await tx.execute(sql.raw(def));
    });
}

export interface LargeSeedOptions {
  db: Db;
  events: number;
  now?: number;
  days?: number;
  tenants?: string[];
  principalsPerTenant?: number;
  /**
   * Each event received 0.2 s after its ts, as if it had arrived as it happened (spread over the
   * monthly partitions, which are created first), instead of all at seeding time.
   */
  arrivedWhenSent?: boolean;
  onProgress?: (done: number, total: number) => void;
  /**
   * Drop the secondary indexes of events and capabilities (those behind no constraint) while
   * loading and build them again at the end, as a restore would: at millions of rows, keeping
   * them up row by row makes seeding several times slower. PostgreSQL only; for benchmarks.
   */
  deferIndexes?: boolean;
  /**
   * Writes a batch of rows (keyed by schema property, as NewEvent and NewCapability) instead of
   * a JSON-recordset INSERT: the scale bench passes COPY. The two tables' batches may be written
   * at once, on two connections.
   */
  write?: (table: "events" | "capabilities", rows: Record<string, unknown>[]) => Promise<void>;
  /** Called before the deferred indexes are built again, with how many there are. */
  onIndexes?: (count: number) => void;
}

export interface LargeSeedResult {
  events: number;
  capabilities: number;
  /** Handy targets for benchmarks: a busy principal and day, a root with descendants. */
  sample: { tenant: string; principal: string; day: string; rootId: string; childId: string };
}

export async function seedLarge(o: LargeSeedOptions): Promise<LargeSeedResult> {
  const rng = prng(424242);
  const now = o.now ?? Date.now();
  const days = o.days ?? 30;
  const tenantIds = o.tenants ?? ["acme", "globex"];
  const perTenant = o.principalsPerTenant ?? 200;
  await o.db
    .insert(tenants)
    .values(tenantIds.map((id) => ({ id, name: id })))
    .onConflictDoNothing();
  if (o.arrivedWhenSent) await ensureEventPartitions(o.db, { from: new Date(now - (days + 1) * DAY) });
  const deferred = o.deferIndexes ? await dropSecondaryIndexes(o.db) : [];
  // Continue each tenant's chain where it stands, so a seeded database still verifies.
  const heads = await o.db.select().from(chainHeads);
  const chains = new Map(
    tenantIds.map((t) => {
      const h = heads.find((x) => x.tenant === t);
      return [t, { seq: h?.seq ?? 0, hash: h?.hash ?? GENESIS_HASH }];
    }),
  );
  // Ids differ from run to run, so seeding twice adds rather than collides.
  const nonce = `${now}-${Math.random()}`;
  const tools = ["crm.lookup_customer", "db.query", "docs.search", "orders.update_status", "mail.send"];
  let evBuf: Record<string, unknown>[] = [];
  let capBuf: Record<string, unknown>[] = [];
  let total = 0;
  let caps = 0;
  let sample: LargeSeedResult["sample"] | undefined;
  // One batch is written while the next is generated: the database and this process each keep
  // a core busy instead of taking turns.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const capRows = capBuf;
    const evRows = evBuf;
    caps += capRows.length;
    evBuf = [];
    capBuf = [];
    const write = o.write;
    const next = write
      ? () => Promise.all([write("capabilities", capRows), write("events", evRows)]).then(() => {})
      : async () => {
          if (capRows.length) await o.db.execute(jsonInsert("capabilities", capRows));
          if (evRows.length) await o.db.execute(jsonInsert("events", evRows));
        };
    await writing;
    writing = next();
    o.onProgress?.(total, o.events);
  };
  for (let r = 0; total < o.events; r++) {
    const tenant = tenantIds[r % tenantIds.length] as string;
    const principal = `user${rng.int(0, perTenant - 1)}@${tenant}.example`;
    // Arriving as sent: requests in time order (a chain's seq follows its received_at, as when
    // live); otherwise anywhere in the window.
    const at = o.arrivedWhenSent
      ? now - Math.floor((1 - total / o.events) * days * DAY) - rng.int(0, 60_000)
      : now - Math.floor(rng.next() * days * DAY);
    const request = `req_${hex(`${nonce}-${r}`).slice(0, 12)}`;
    const session = `sess_${principal.split("@")[0]}_${Math.floor(at / DAY)}`;
    const writes = rng.chance(0.2);
    const rights = [
      { resource: "Customer", actions: ["read"] },
      { resource: "Order", actions: writes ? ["read", "write"] : ["read"] },
    ];
    const rootId = hex(`root-${nonce}-${r}`);
    const tree: {
      id: string;
      parent: string | null;
      ancestors: string[];
      agent: string;
      rights: typeof rights;
    }[] = [
      { id: rootId, parent: null, ancestors: [], agent: `${principal.split("@")[0]}-assistant`, rights },
    ];
    for (const sub of ["research", "summarizer", "classifier"]) {
      const id = hex(`${nonce}-${r}-${sub}`);
      const narrowed =
        sub === "classifier"
          ? [rights[1] as (typeof rights)[number]]
          : [rights[0] as (typeof rights)[number]];
      tree.push({
        id,
        parent: rootId,
        ancestors: [rootId],
        agent: `${tree[0]?.agent}/${sub}`,
        rights: narrowed,
      });
      if (rng.chance(0.3)) {
        tree.push({
          id: hex(`${nonce}-${r}-${sub}-2`),
          parent: id,
          ancestors: [rootId, id],
          agent: `${tree[0]?.agent}/${sub}/reader`,
          rights: narrowed,
        });
      }
    }
    for (const c of tree) {
      capBuf.push({
        id: c.id,
        tenant,
        tokenHash: `sha256:${hex(`t-${c.id}`)}`,
        parentId: c.parent,
        rootId,
        ancestors: c.ancestors,
        depth: c.ancestors.length,
        issuerKid: `${tenant}-2026-11`,
        principal,
        agent: c.agent,
        session,
        request,
        summary: { principal, tenants: [tenant], rights: c.rights, budget: { rows: 500 }, session, request },
        kind: c.parent ? "attenuated" : "minted",
        issuedAt: new Date(at),
        expiresAt: new Date(at + 15 * 60_000),
      });
    }
    const calls = rng.int(4, 12);
    let calledCap: string | undefined;
    for (let i = 0; i < calls && total < o.events; i++) {
      const cap = rng.pick(tree);
      calledCap ??= cap.id;
      const tool = rng.pick(tools);
      const write = tool === "orders.update_status";
      const resourceType = write || tool === "db.query" ? "Order" : "Customer";
      const allowed = cap.rights.some(
        (x) => x.resource === resourceType && x.actions.includes(write ? "write" : "read"),
      );
      const outcome: "allowed" | "denied" | "error" = !allowed
        ? "denied"
        : rng.chance(0.01)
          ? "error"
          : "allowed";
      const chain = chains.get(tenant) as { seq: number; hash: string };
      const eh = hex(`e-${nonce}-${total}`);
      const row = {
        id: `${eh.slice(0, 8)}-${eh.slice(8, 12)}-7${eh.slice(13, 16)}-8${eh.slice(17, 20)}-${eh.slice(20, 32)}`,
        ts: new Date(at + i * rng.int(500, 4000)),
        tenant,
        type: "tool.call",
        principal,
        agent: cap.agent,
        session,
        request,
        traceId: hex(request).slice(0, 32),
        spanId: null,
        tool,
        action: write ? "write" : "read",
        resourceType,
        resourceId: `${resourceType === "Order" ? "o" : "c"}_${rng.int(1, 5000)}`,
        fields: ["name"],
        outcome,
        reason:
          outcome === "denied"
            ? `no right grants ${write ? "write" : "read"} on ${resourceType} (check in block ${cap.ancestors.length})`
            : null,
        capabilityId: cap.id,
        capabilityHash: `sha256:${hex(`t-${cap.id}`)}`,
        inputDigest: `hmac-sha256:${hex(`i-${total}`)}`,
        latencyMs: rng.int(3, 400),
        cost: null,
        meta: {},
        tier: "attested" as const,
      };
      const ch = contentHash(row);
      chain.seq += 1;
      const h = chainHash({ tenant, seq: chain.seq, prevHash: chain.hash, contentHash: ch });
      evBuf.push({
        ...row,
        contentHash: ch,
        seq: chain.seq,
        prevHash: chain.hash,
        hash: h,
        ...(o.arrivedWhenSent ? { receivedAt: new Date((row.ts as Date).getTime() + 200) } : {}),
      });
      chain.hash = h;
      total++;
    }
    if (!sample && writes && tenant === tenantIds[0]) {
      sample = {
        tenant,
        principal,
        day: new Date(at).toISOString().slice(0, 10),
        rootId,
        // A capability of this request that authorized at least one call.
        childId: calledCap ?? rootId,
      };
    }
    if (evBuf.length >= 5000) await flush();
  }
  await flush();
  await writing;
  if (deferred.length > 0) {
    o.onIndexes?.(deferred.length);
    await rebuildIndexes(o.db, deferred);
  }

  for (const [tenant, head] of chains) {
    await o.db
      .insert(chainHeads)
      .values({ tenant, seq: head.seq, hash: head.hash })
      .onConflictDoUpdate({ target: chainHeads.tenant, set: { seq: head.seq, hash: head.hash } });
    // The rows above bypass appendEvents: give them their Merkle leaves (issue 15) and the
    // Overview's rollups (issue 17).
    await catchUpTree(o.db, tenant);
    await rebuildRollups(o.db, tenant);
    await recountCapabilities(o.db, tenant);
  }
  await o.db.execute(sql`analyze events`);
  await o.db.execute(sql`analyze capabilities`);
  if (!sample) throw new Error("no sample request was generated");
  return { events: total, capabilities: caps, sample };
}
