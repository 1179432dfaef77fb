import "server-only";
import { and, asc, count, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { capabilities, events } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan, can } from "@/lib/auth/permissions";
import { rightLines } from "@/lib/graph/build";
import { type CompareBlock, type CompareCall, type CompareSide, keyRequestBlocks } from "@/lib/graph/compare";
import { describeNarrowing, type SummaryLike } from "@/lib/graph/narrowing";
import { getRequestGraph, tenantsHolding } from "./capabilities";
import { listRequestCalls } from "./requests";

export const COMPARE_KINDS = ["capability", "request"] as const;
export type CompareKind = (typeof COMPARE_KINDS)[number];
/** Calls listed per side; the counts by outcome are always whole. */
export const COMPARE_CALLS = 500;

export const compareSideSchema = z.object({
  kind: z.enum(COMPARE_KINDS, { message: "kind: choose capability or request" }),
  id: z.string().trim().min(1, "id: required").max(300, "id: at most 300 characters"),
  tenant: z.string().trim().max(100, "tenant: at most 100 characters").optional(),
});

const budgetLines = (summary: SummaryLike) =>
  Object.entries(summary.budget ?? {}).map(([k, v]) => `${k} ≤ ${v}`);

/**
 * The one tenant in view holding this id: the one asked for (if in view), else the only holder.
 * Null when none does, or several do and none was named (the page then asks for a tenant).
 */
async function tenantFor(
  db: Db,
  authority: Authority,
  target: { kind: CompareKind; id: string; tenant?: string },
): Promise<string | null> {
  const view = tenantsInView(authority);
  if (target.tenant) return view.includes(target.tenant) ? target.tenant : null;
  const holders = await tenantsHolding(
    db,
    authority,
    target.kind === "capability" ? { capability: target.id } : { request: target.id },
  );
  return holders.length === 1 ? (holders[0] as string) : null;
}

async function capabilitySide(db: Db, tenant: string, id: string) {
  const [cap] = await db
    .select()
    .from(capabilities)
    .where(and(eq(capabilities.tenant, tenant), eq(capabilities.id, id)));
  if (!cap) return null;
  const chainRows = cap.ancestors.length
    ? await db
        .select()
        .from(capabilities)
        .where(and(eq(capabilities.tenant, tenant), inArray(capabilities.id, cap.ancestors)))
    : [];
  const byId = new Map(chainRows.map((c) => [c.id, c]));
  // The token's blocks: the authority block (the root) and one attenuation block per step.
  const chain = [...cap.ancestors.map((a) => byId.get(a) ?? null), cap];
  const blocks: CompareBlock[] = [];
  chain.forEach((c, i) => {
    if (!c) return;
    const prev = i > 0 ? chain[i - 1] : null;
    const summary = c.summary as SummaryLike;
    blocks.push({
      key: String(i),
      label: i === 0 ? "Authority block" : `Block ${i} (attenuation)`,
      capabilityId: c.id,
      agent: c.agent ?? c.principal ?? "unknown agent",
      kind: c.kind,
      rights: rightLines(summary, { allIds: true }),
      budget: budgetLines(summary),
      expiresAt: c.expiresAt ? c.expiresAt.toISOString() : null,
      narrowed: prev
        ? c.kind === "escalation"
          ? ["escalation"]
          : describeNarrowing(
              { summary: prev.summary as SummaryLike, expiresAt: prev.expiresAt },
              { summary, expiresAt: c.expiresAt },
            )
        : [],
    });
  });
  const [list, totals] = await Promise.all([
    db
      .select({
        id: events.id,
        ts: events.ts,
        tool: events.tool,
        outcome: events.outcome,
        reason: events.reason,
        capabilityId: events.capabilityId,
      })
      .from(events)
      .where(and(eq(events.tenant, tenant), eq(events.capabilityId, id), eq(events.type, "tool.call")))
      .orderBy(asc(events.ts), asc(events.id))
      .limit(COMPARE_CALLS + 1),
    db
      .select({ outcome: events.outcome, n: count() })
      .from(events)
      .where(and(eq(events.tenant, tenant), eq(events.capabilityId, id), eq(events.type, "tool.call")))
      .groupBy(events.outcome),
  ]);
  return {
    principal: cap.principal,
    agent: cap.agent,
    blocks,
    calls: list as CompareCall[],
    totals: Object.fromEntries(totals.map((t) => [t.outcome, t.n])) as Partial<Record<string, number>>,
  };
}

async function requestSide(db: Db, authority: Authority, tenant: string, id: string) {
  const graph = await getRequestGraph(db, authority, id, { tenant });
  const { calls: all } = await listRequestCalls(db, authority, { request: id, tenant });
  if (!graph && all.length === 0) return null;
  const nodes = graph?.nodes ?? [];
  const label = new Map((graph?.edges ?? []).map((e) => [e.target, e.label]));
  // Tree order (parent before child, siblings by id), so equal shapes line up across requests.
  const children = new Map<string | null, typeof nodes>();
  for (const n of nodes) children.set(n.parentId, [...(children.get(n.parentId) ?? []), n]);
  const ordered: typeof nodes = [];
  const walk = (parent: string | null) => {
    for (const n of (children.get(parent) ?? []).sort((x, y) => x.agent.localeCompare(y.agent))) {
      ordered.push(n);
      walk(n.id);
    }
  };
  walk(null);
  const keys = keyRequestBlocks(ordered);
  const rows = ordered.length
    ? await db
        .select({ id: capabilities.id, summary: capabilities.summary, principal: capabilities.principal })
        .from(capabilities)
        .where(
          and(
            eq(capabilities.tenant, tenant),
            inArray(
              capabilities.id,
              ordered.map((n) => n.id),
            ),
          ),
        )
    : [];
  const summaries = new Map(rows.map((r) => [r.id, r.summary as SummaryLike]));
  const blocks: CompareBlock[] = ordered.map((n, i) => ({
    key: keys[i] as string,
    label: `${n.kind === "minted" && !n.parentId ? "Root" : n.kind} · depth ${n.depth}`,
    capabilityId: n.id,
    agent: n.agent,
    kind: n.kind,
    rights: rightLines(summaries.get(n.id) ?? {}, { allIds: true }),
    budget: budgetLines(summaries.get(n.id) ?? {}),
    expiresAt: n.expiresAt,
    narrowed: n.parentId ? (label.get(n.id) ?? "same rights").split(" · ") : [],
  }));
  const root = ordered[0];
  const totals = { allowed: 0, denied: 0, error: 0 } as Record<string, number>;
  for (const c of all) totals[c.outcome] = (totals[c.outcome] ?? 0) + 1;
  return {
    principal: rows.find((r) => r.id === root?.id)?.principal ?? null,
    agent: root?.agent ?? all[0]?.agent ?? null,
    blocks,
    calls: all.slice(0, COMPARE_CALLS + 1) as CompareCall[],
    totals,
  };
}

/**
 * One side of a comparison, in the user's view: a capability (its blocks, what each step
 * narrowed, the calls it authorized) or a request (its capabilities, their narrowing, its calls).
 * Null when the id is unknown in the tenants in view: another tenant's id reads as not found.
 */
export async function getCompareSide(
  db: Db,
  authority: Authority,
  input: z.input<typeof compareSideSchema>,
): Promise<CompareSide | null> {
  assertCan(authority, "console.read");
  const target = compareSideSchema.parse(input);
  const tenant = await tenantFor(db, authority, target);
  if (!tenant) return null;
  const side =
    target.kind === "capability"
      ? await capabilitySide(db, tenant, target.id)
      : await requestSide(db, authority, tenant, target.id);
  if (!side) return null;
  const full = can(authority, "events.read.full");
  return {
    kind: target.kind,
    id: target.id,
    tenant,
    principal: side.principal,
    agent: side.agent,
    blocks: side.blocks,
    counts: {
      allowed: side.totals.allowed ?? 0,
      denied: side.totals.denied ?? 0,
      error: side.totals.error ?? 0,
    },
    calls: side.calls.slice(0, COMPARE_CALLS).map((c) => (full ? c : { ...c, reason: null })),
    callsTruncated: side.calls.length > COMPARE_CALLS,
  };
}
