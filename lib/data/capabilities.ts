import "server-only";
import { and, arrayContains, asc, count, desc, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { ReadDb, type ReadExecutor } from "@/db/replica";
import { capabilities, events, issuers, revocations } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan, can } from "@/lib/auth/permissions";
import { buildDerivationGraph, type DerivationGraph, type GraphCapabilityInput } from "@/lib/graph/build";
import { AmbiguousTenantError } from "./tenant-lookup";

export const GRAPH_LIMIT = 2000;

export const graphColumns = {
  id: capabilities.id,
  tenant: capabilities.tenant,
  parentId: capabilities.parentId,
  kind: capabilities.kind,
  agent: capabilities.agent,
  principal: capabilities.principal,
  request: capabilities.request,
  depth: capabilities.depth,
  expiresAt: capabilities.expiresAt,
  summary: capabilities.summary,
};

/** Viewers (managers) see the shape of what happened, not the checks' wording. */
export function graphForRole(graph: DerivationGraph, authority: Authority): DerivationGraph {
  if (can(authority, "events.read.full")) return graph;
  return {
    ...graph,
    nodes: graph.nodes.map((n) => ({ ...n, shownCalls: n.shownCalls.map((c) => ({ ...c, reason: null })) })),
  };
}

/**
 * The tool calls each of these capabilities authorized (for drawing them on the graph); with
 * `request`, only the calls made in that request (a multi-use escalation may serve several).
 */
export async function callsFor(
  db: Db,
  scope: string[],
  capabilityIds: string[],
  opts: { request?: string } = {},
) {
  if (capabilityIds.length === 0) return [];
  return db
    .select({
      id: events.id,
      capabilityId: events.capabilityId,
      tool: events.tool,
      outcome: events.outcome,
      reason: events.reason,
      ts: events.ts,
    })
    .from(events)
    .where(
      and(
        inArray(events.tenant, scope),
        eq(events.type, "tool.call"),
        inArray(events.capabilityId, capabilityIds),
        opts.request === undefined ? undefined : eq(events.request, opts.request),
      ),
    )
    .orderBy(asc(events.ts))
    .limit(20_000);
}

/** The tenants here, of those in view, where one optional tenant narrows the view. */
function viewOf(authority: Authority, tenant?: string | null): string[] {
  const view = tenantsInView(authority);
  return tenant ? view.filter((t) => t === tenant) : view;
}

/**
 * The tenants in view holding a capability or a request with this id. Ids are unique per tenant
 * only: the id pages show a choice when there are several, and never pick one silently.
 */
export async function tenantsHolding(
  db: Db,
  authority: Authority,
  target: { capability: string } | { request: string },
): Promise<string[]> {
  assertCan(authority, "console.read");
  const view = tenantsInView(authority);
  const rows = await db
    .selectDistinct({ tenant: capabilities.tenant })
    .from(capabilities)
    .where(
      and(
        inArray(capabilities.tenant, view),
        "capability" in target
          ? eq(capabilities.id, target.capability)
          : eq(capabilities.request, target.request),
      ),
    );
  // A request may hold only borrowed capabilities (an escalation minted for its grant): its
  // events name it then.
  const viaEvents =
    "request" in target
      ? await db
          .selectDistinct({ tenant: events.tenant })
          .from(events)
          .where(and(inArray(events.tenant, view), eq(events.request, target.request)))
      : [];
  return [...new Set([...rows, ...viaEvents].map((r) => r.tenant))].sort();
}

/** The one tenant a lookup by id reads: the one asked for, or the only one holding the id. */
async function resolveTenant(
  db: Db,
  authority: Authority,
  target: { capability: string } | { request: string },
  tenant?: string | null,
): Promise<string | null> {
  if (tenant) return viewOf(authority, tenant)[0] ?? null;
  const holders = await tenantsHolding(db, authority, target);
  if (holders.length > 1)
    throw new AmbiguousTenantError("capability" in target ? "capability" : "request", holders);
  return holders[0] ?? null;
}

/**
 * Every capability of one request (root, narrowed, sub-agents', escalations) and its calls, in
 * one tenant: `tenant`, or the only tenant in view with that request (AmbiguousTenantError else).
 */
export function getRequestGraph(
  from: ReadExecutor,
  authority: Authority,
  requestId: string,
  opts: { tenant?: string | null } = {},
): Promise<DerivationGraph | null> {
  return ReadDb.run(from, (db) => requestGraphOn(db, authority, requestId, opts));
}

async function requestGraphOn(
  db: Db,
  authority: Authority,
  requestId: string,
  opts: { tenant?: string | null },
): Promise<DerivationGraph | null> {
  assertCan(authority, "console.read");
  const tenant = await resolveTenant(db, authority, { request: requestId }, opts.tenant);
  if (!tenant) return null;
  const scope = [tenant];
  const caps = (await db
    .select(graphColumns)
    .from(capabilities)
    .where(and(inArray(capabilities.tenant, scope), eq(capabilities.request, requestId)))
    .orderBy(asc(capabilities.depth))
    .limit(GRAPH_LIMIT + 1)) as GraphCapabilityInput[];
  // An escalation is minted for its grant, not for the request that used it: it joins the
  // request's graph through the calls it authorized there.
  const used = db
    .selectDistinct({ tenant: events.tenant, id: events.capabilityId })
    .from(events)
    .where(and(inArray(events.tenant, scope), eq(events.request, requestId), isNotNull(events.capabilityId)))
    .as("used");
  const seen = new Set(caps.map((c) => c.id));
  const escalations = (await db
    .select(graphColumns)
    .from(capabilities)
    .innerJoin(used, and(eq(capabilities.id, used.id), eq(capabilities.tenant, used.tenant)))
    .where(eq(capabilities.kind, "escalation"))
    .limit(GRAPH_LIMIT)) as GraphCapabilityInput[];
  const borrowed = escalations.filter((c) => !seen.has(c.id));
  caps.push(...borrowed);
  if (caps.length === 0) return null;
  // An escalation's calls in this request only (a multi-use one may serve several requests).
  const [own, escalated] = await Promise.all([
    callsFor(
      db,
      scope,
      caps.filter((c) => !borrowed.includes(c)).map((c) => c.id),
    ),
    callsFor(
      db,
      scope,
      borrowed.map((c) => c.id),
      { request: requestId },
    ),
  ]);
  const calls = [...own, ...escalated];
  return graphForRole(buildDerivationGraph(caps, calls, { maxNodes: GRAPH_LIMIT }), authority);
}

/** `by` and `reason` are null for viewers: who revoked and why are for investigators and up. */
export type CapabilityStatus =
  | { state: "active" }
  | { state: "expired"; at: Date }
  | { state: "revoked"; at: Date; by: string | null; reason: string | null; kind: string };

/**
 * One capability: who minted it for whom, lineage to the root, descendants, status, uses. In
 * `tenant`, or the only tenant in view holding the id (AmbiguousTenantError when several do).
 */
export async function getCapabilityDetail(
  db: Db,
  authority: Authority,
  target: { id: string; tenant?: string | null; now?: Date },
) {
  assertCan(authority, "console.read");
  const { id } = target;
  const now = target.now ?? new Date();
  const tenant = await resolveTenant(db, authority, { capability: id }, target.tenant);
  if (!tenant) return null;
  const [cap] = await db
    .select()
    .from(capabilities)
    .where(and(eq(capabilities.tenant, tenant), eq(capabilities.id, id)));
  if (!cap) return null;
  const lineageIds = [...cap.ancestors];
  const [lineage, descendants, issuer, revoked, uses] = await Promise.all([
    lineageIds.length
      ? db
          .select(graphColumns)
          .from(capabilities)
          .where(and(eq(capabilities.tenant, cap.tenant), inArray(capabilities.id, lineageIds)))
      : Promise.resolve([]),
    db
      .select(graphColumns)
      .from(capabilities)
      .where(and(eq(capabilities.tenant, cap.tenant), arrayContains(capabilities.ancestors, [cap.id])))
      .orderBy(asc(capabilities.depth))
      .limit(GRAPH_LIMIT),
    cap.issuerKid
      ? db
          .select({ kid: issuers.kid, status: issuers.status, createdAt: issuers.createdAt })
          .from(issuers)
          .where(eq(issuers.kid, cap.issuerKid))
      : Promise.resolve([]),
    db
      .select()
      .from(revocations)
      .where(
        and(
          eq(revocations.tenant, cap.tenant),
          or(
            and(eq(revocations.kind, "capability"), inArray(revocations.target, [cap.id, ...lineageIds])),
            sql`${revocations.revokedIds} && ${sql.param([cap.id, ...lineageIds])}::text[]`,
            cap.session
              ? and(eq(revocations.kind, "session"), eq(revocations.target, cap.session))
              : undefined,
            cap.principal
              ? and(eq(revocations.kind, "principal"), eq(revocations.target, cap.principal))
              : undefined,
          ),
        ),
      )
      .orderBy(asc(revocations.at))
      .limit(1),
    db
      .select({ type: events.type, outcome: events.outcome, n: count() })
      .from(events)
      .where(and(eq(events.tenant, cap.tenant), inArray(events.capabilityId, subtreeIds(db, cap))))
      .groupBy(events.type, events.outcome),
  ]);
  const [rev] = revoked;
  // Who revoked it and why are for investigators and up (README: the roles table).
  const full = can(authority, "revocations.read");
  const status: CapabilityStatus = rev
    ? {
        state: "revoked",
        at: rev.at,
        by: full ? rev.actor : null,
        reason: full ? rev.reason : null,
        kind: rev.kind,
      }
    : cap.expiresAt && cap.expiresAt <= now
      ? { state: "expired", at: cap.expiresAt }
      : { state: "active" };
  const self = { ...cap } as unknown as GraphCapabilityInput;
  const subtree = [self, ...(descendants as GraphCapabilityInput[])];
  const calls = await callsFor(
    db,
    [cap.tenant],
    subtree.map((c) => c.id),
  );
  const byId = new Map((lineage as GraphCapabilityInput[]).map((c) => [c.id, c]));
  // The token hash identifies the token itself; viewers get the capability's shape only.
  const { tokenHash: _tokenHash, ...shape } = cap;
  return {
    capability: full ? cap : { ...shape, tokenHash: null },
    status,
    issuer: issuer[0] ?? null,
    lineage: lineageIds.map((lid) => byId.get(lid) ?? null),
    graph: graphForRole(buildDerivationGraph(subtree, calls, { maxNodes: GRAPH_LIMIT }), authority),
    ...splitUses(uses),
  };
}

/** The ids of a capability and everything derived from it, as a subquery (one tenant). */
function subtreeIds(db: Db, cap: { tenant: string; id: string }) {
  return db
    .select({ id: capabilities.id })
    .from(capabilities)
    .where(
      and(
        eq(capabilities.tenant, cap.tenant),
        or(eq(capabilities.id, cap.id), arrayContains(capabilities.ancestors, [cap.id])),
      ),
    );
}

export type OutcomeCounts = Record<"allowed" | "denied" | "error", number>;

/**
 * Uses are tool calls; the records of a capability's own life (minted, narrowed, revoked…) carry
 * its id too but are not uses, so they are counted apart, by type.
 */
export function splitUses(rows: readonly { type: string; outcome: string; n: number }[]) {
  // Only the outcomes that occurred, as before: callers read a missing one as 0.
  const uses: Partial<OutcomeCounts> = {};
  let calls = 0;
  const lifecycle = new Map<string, number>();
  for (const r of rows) {
    if (r.type === "tool.call") {
      if (r.outcome === "allowed" || r.outcome === "denied" || r.outcome === "error") {
        uses[r.outcome] = (uses[r.outcome] ?? 0) + r.n;
        calls += r.n;
      }
    } else lifecycle.set(r.type, (lifecycle.get(r.type) ?? 0) + r.n);
  }
  return {
    uses,
    calls,
    lifecycle: [...lifecycle]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([type, count]) => ({ type, count })),
  };
}

export interface DidItEverAnswer {
  resourceType: string;
  action: string;
  /** Tool calls under the capability and its descendants, any outcome. */
  calls: number;
  /** Allowed calls doing exactly this. */
  matches: number;
  first: Date | null;
  /** Refused attempts at it (not counted in matches). */
  refused: number;
}

/**
 * "Did this capability, or anything derived from it, ever <action> a <resourceType>?" Counts the
 * allowed calls doing it (and the first time), the refused attempts, and all calls under it.
 */
export async function didItEver(
  db: Db,
  authority: Authority,
  target: { id: string; tenant: string; resourceType: string; action: string },
): Promise<DidItEverAnswer | null> {
  assertCan(authority, "console.read");
  const tenant = viewOf(authority, target.tenant)[0];
  if (!tenant) return null;
  const [cap] = await db
    .select({ id: capabilities.id, tenant: capabilities.tenant })
    .from(capabilities)
    .where(and(eq(capabilities.tenant, tenant), eq(capabilities.id, target.id)));
  if (!cap) return null;
  const doing = and(eq(events.resourceType, target.resourceType), eq(events.action, target.action));
  const [row] = await db
    .select({
      calls: count(),
      matches: sql<number>`count(*) filter (where ${doing} and ${events.outcome} = 'allowed')`.mapWith(
        Number,
      ),
      refused: sql<number>`count(*) filter (where ${doing} and ${events.outcome} = 'denied')`.mapWith(Number),
      first:
        sql<Date | null>`min(${events.ts}) filter (where ${doing} and ${events.outcome} = 'allowed')`.mapWith(
          (v) => (v === null ? null : new Date(v)),
        ),
    })
    .from(events)
    .where(
      and(
        eq(events.tenant, cap.tenant),
        eq(events.type, "tool.call"),
        inArray(events.capabilityId, subtreeIds(db, cap)),
      ),
    );
  return {
    resourceType: target.resourceType,
    action: target.action,
    calls: row?.calls ?? 0,
    matches: row?.matches ?? 0,
    first: row?.first ?? null,
    refused: row?.refused ?? 0,
  };
}

/** Resource types and actions seen in the calls under a capability (for the question's choices). */
export async function usedOperations(db: Db, authority: Authority, cap: { id: string; tenant: string }) {
  assertCan(authority, "console.read");
  if (!viewOf(authority, cap.tenant).length) return [];
  return db
    .selectDistinct({ resourceType: events.resourceType, action: events.action })
    .from(events)
    .where(
      and(
        eq(events.tenant, cap.tenant),
        eq(events.type, "tool.call"),
        isNotNull(events.resourceType),
        inArray(events.capabilityId, subtreeIds(db, cap)),
      ),
    )
    .limit(200);
}

/** The most recent requests in view, for the Requests index. */
export async function listRecentRequests(db: Db, authority: Authority, limit = 50) {
  assertCan(authority, "console.read");
  return db
    .select({
      request: capabilities.request,
      tenant: capabilities.tenant,
      principal: capabilities.principal,
      agent: capabilities.agent,
      issuedAt: capabilities.issuedAt,
    })
    .from(capabilities)
    .where(
      and(
        inArray(capabilities.tenant, tenantsInView(authority)),
        eq(capabilities.kind, "minted"),
        isNotNull(capabilities.request),
      ),
    )
    .orderBy(desc(capabilities.issuedAt))
    .limit(limit);
}
