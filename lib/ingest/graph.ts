import { and, eq, getTableColumns, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { capabilities, type NewCapability, sessions } from "@/db/schema";
import { recordsetJson } from "@/lib/audit/append";
import { addCapabilities, INSERTED } from "@/lib/ingest/capability-counts";
import type { IngestEvent } from "./event-schema";
import type { CapabilityFacts } from "./rows";

interface Known {
  ancestors: string[];
  rootId: string;
  depth: number;
  complete: boolean;
}

function mergeFacts(a: CapabilityFacts, b: CapabilityFacts): CapabilityFacts {
  const out = { ...a };
  for (const [k, v] of Object.entries(b) as [keyof CapabilityFacts, unknown][]) {
    if ((out[k] === null || out[k] === undefined) && v !== null && v !== undefined)
      (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

// Every column but first_seen_at (its default, now, is the first sighting), by schema key.
const CAPABILITY_COLUMNS = Object.entries(getTableColumns(capabilities)).filter(
  ([key]) => key !== "firstSeenAt",
);
const CAPABILITY_LIST = sql.raw(CAPABILITY_COLUMNS.map(([, c]) => `"${c.name}"`).join(", "));

// A capability seen again keeps what it knew and fills in what it did not; a path learned
// complete replaces an incomplete one (a child stored before its parent).
const INCOMPLETE = "cardinality(capabilities.ancestors) <> capabilities.depth";
const BETTER = `(${INCOMPLETE} and cardinality(excluded.ancestors) = excluded.depth)`;
const UPSERT_SET = sql.raw(
  [
    "parent_id = coalesce(capabilities.parent_id, excluded.parent_id)",
    `ancestors = case when ${BETTER} then excluded.ancestors else capabilities.ancestors end`,
    `root_id = case when ${BETTER} then excluded.root_id else capabilities.root_id end`,
    `depth = case when ${BETTER} then excluded.depth else capabilities.depth end`,
    "issuer_kid = coalesce(capabilities.issuer_kid, excluded.issuer_kid)",
    "principal = coalesce(capabilities.principal, excluded.principal)",
    "agent = coalesce(capabilities.agent, excluded.agent)",
    "session = coalesce(capabilities.session, excluded.session)",
    "request = coalesce(capabilities.request, excluded.request)",
    "summary = case when capabilities.summary = '{}'::jsonb then excluded.summary else capabilities.summary end",
    "issued_at = coalesce(capabilities.issued_at, excluded.issued_at)",
    "expires_at = coalesce(capabilities.expires_at, excluded.expires_at)",
  ].join(", "),
);

/**
 * Records the capabilities a batch's events refer to, so derivation graphs can be drawn from what
 * was ingested. Ancestors (root..parent) come from summary.chain when sent, else from the parent's
 * row (in this batch or stored earlier), else [rootId] when the parent is the root, else stay []
 * until the parent arrives: storing a capability then repairs its descendants' paths. Rows are
 * keyed by (tenant, id): another tenant's capability with the same id is a different row.
 */
export async function upsertCapabilities(
  tx: Executor,
  tenant: string,
  facts: CapabilityFacts[],
): Promise<void> {
  if (facts.length === 0) return;
  const byId = new Map<string, CapabilityFacts>();
  for (const f of facts)
    byId.set(f.id, byId.has(f.id) ? mergeFacts(byId.get(f.id) as CapabilityFacts, f) : f);

  const parentIds = [...new Set([...byId.values()].map((f) => f.parentId).filter((p): p is string => !!p))];
  const stored = new Map<string, Known>();
  if (parentIds.length > 0) {
    const rows = await tx
      .select({
        id: capabilities.id,
        ancestors: capabilities.ancestors,
        rootId: capabilities.rootId,
        depth: capabilities.depth,
      })
      .from(capabilities)
      .where(and(eq(capabilities.tenant, tenant), inArray(capabilities.id, parentIds)));
    for (const r of rows) stored.set(r.id, { ...r, complete: r.ancestors.length === r.depth });
  }

  const resolved = new Map<string, Known>();
  const resolving = new Set<string>();
  const resolve = (f: CapabilityFacts): Known => {
    const done = resolved.get(f.id);
    if (done) return done;
    resolving.add(f.id);
    let known: Known;
    if (f.chain) {
      known = {
        ancestors: f.chain.slice(0, -1),
        rootId: f.chain[0] ?? f.id,
        depth: f.chain.length - 1,
        complete: true,
      };
    } else if (!f.parentId) {
      known = { ancestors: [], rootId: f.rootId ?? f.id, depth: 0, complete: true };
    } else {
      const inBatch = byId.get(f.parentId);
      const parent = inBatch && !resolving.has(inBatch.id) ? resolve(inBatch) : stored.get(f.parentId);
      if (parent?.complete) {
        known = {
          ancestors: [...parent.ancestors, f.parentId],
          rootId: parent.rootId,
          depth: parent.depth + 1,
          complete: true,
        };
      } else if (f.rootId && f.parentId === f.rootId) {
        known = { ancestors: [f.rootId], rootId: f.rootId, depth: 1, complete: true };
      } else {
        const depth = f.depth ?? (parent ? parent.depth + 1 : 1);
        known = { ancestors: [], rootId: f.rootId ?? parent?.rootId ?? f.parentId, depth, complete: false };
      }
    }
    resolving.delete(f.id);
    resolved.set(f.id, known);
    return known;
  };

  const values: NewCapability[] = [...byId.values()]
    // Sorted ids: two transactions upserting overlapping rows lock them in the same order.
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((f) => {
      const k = resolve(f);
      const { chain: _chain, ...rest } = f;
      return { ...rest, rootId: k.rootId, depth: k.depth, ancestors: k.ancestors };
    });

  // One statement with one JSON parameter (as appendEvents writes events): a multi-row VALUES
  // of a few hundred capabilities bound thousands of parameters, which cost more to build and to
  // parse than the rows cost to write.
  const written = (await tx.execute(sql`
    insert into capabilities (${CAPABILITY_LIST}) select ${CAPABILITY_LIST}
      from json_populate_recordset(null::capabilities, ${recordsetJson(values, CAPABILITY_COLUMNS)}::json)
    on conflict (tenant, id) do update set ${UPSERT_SET}
    returning ${INSERTED} as "inserted"`)) as unknown as { rows: { inserted: boolean }[] };
  const inserted = written.rows.filter((w) => w.inserted).length;
  await addCapabilities(tx, tenant, inserted);

  await repairDescendants(
    tx,
    tenant,
    values.map((v) => v.id),
  );
}

/** Children stored before their parent get the parent's path, level by level down the tree. */
async function repairDescendants(tx: Executor, tenant: string, ids: string[]): Promise<void> {
  let frontier = ids;
  for (let level = 0; level < 64 && frontier.length > 0; level++) {
    const list = sql.join(
      frontier.map((id) => sql`${id}`),
      sql`, `,
    );
    const res = (await tx.execute(sql`
      update capabilities c
         set ancestors = array_append(p.ancestors, p.id),
             depth = cardinality(p.ancestors) + 1,
             root_id = p.root_id
        from capabilities p
       where p.id in (${list})
         and p.tenant = ${tenant}
         and c.tenant = ${tenant}
         and c.parent_id = p.id
         and cardinality(p.ancestors) = p.depth
         and c.ancestors is distinct from array_append(p.ancestors, p.id)
      returning c.id`)) as unknown as { rows: { id: string }[] };
    frontier = res.rows.map((r) => r.id);
  }
}

/** Sessions seen in a batch: first and last activity, principal and agent, keyed by (tenant, id). */
export async function upsertSessions(
  tx: Executor,
  from: { tenant: string; source?: string },
  evs: readonly IngestEvent[],
): Promise<void> {
  const { tenant } = from;
  const byId = new Map<string, { principal: string; agent: string | null; first: Date; last: Date }>();
  for (const e of evs) {
    if (!e.session || !e.principal) continue;
    const s = byId.get(e.session);
    if (!s) byId.set(e.session, { principal: e.principal, agent: e.agent ?? null, first: e.ts, last: e.ts });
    else {
      if (e.ts < s.first) s.first = e.ts;
      if (e.ts > s.last) s.last = e.ts;
      s.agent ??= e.agent ?? null;
    }
  }
  if (byId.size === 0) return;
  const values = [...byId.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, s]) => ({
      id,
      tenant,
      principal: s.principal,
      agent: s.agent,
      startedAt: s.first,
      lastSeenAt: s.last,
    }));
  await tx
    .insert(sessions)
    .values(values)
    .onConflictDoUpdate({
      target: [sessions.tenant, sessions.id],
      set: {
        agent: sql`coalesce(sessions.agent, excluded.agent)`,
        startedAt: sql`least(sessions.started_at, excluded.started_at)`,
        lastSeenAt: sql`greatest(sessions.last_seen_at, excluded.last_seen_at)`,
      },
    });
  await markReportedRevocations(tx, from, evs);
}

/**
 * A platform reporting that it revoked a session (or every session of a principal) is shown
 * on the Sessions page as the platform's report, under the ingest key's source. It never fills
 * the console's own revoked_* columns: meta.actor is whatever the platform wrote (it could name
 * a console admin), and a console revocation must still be possible and enter the feed, which
 * alone is authoritative for verifiers.
 */
async function markReportedRevocations(
  tx: Executor,
  from: { tenant: string; source?: string },
  evs: readonly IngestEvent[],
) {
  const { tenant } = from;
  for (const e of evs) {
    if (e.type !== "session.revoked" && e.type !== "principal.revoked") continue;
    const target =
      e.type === "session.revoked"
        ? e.session
          ? eq(sessions.id, e.session)
          : undefined
        : e.principal
          ? eq(sessions.principal, e.principal)
          : undefined;
    if (!target) continue;
    await tx
      .update(sessions)
      .set({
        reportedRevokedAt: e.ts,
        reportedBy: from.source ?? "unknown",
        reportedReason: e.reason ?? null,
      })
      .where(
        and(
          eq(sessions.tenant, tenant),
          target,
          isNull(sessions.reportedRevokedAt),
          lte(sessions.startedAt, e.ts),
        ),
      );
  }
}
