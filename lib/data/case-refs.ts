import "server-only";
import { and, asc, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { type CaseItemKind, capabilities, events, sessions } from "@/db/schema";

// What a case item points at (issue 12): an event, capability, request, session or principal of
// the case's own tenant. Existence is checked when pinned (never another tenant's row), and each
// item is shown with a short label read at display time.

/** Whether `ref` names a `kind` of tenant `tenant`. Every query is scoped by that one tenant. */
export async function refExists(
  tx: Executor,
  target: { tenant: string; kind: CaseItemKind; ref: string },
): Promise<boolean> {
  const { tenant, kind, ref } = target;
  const first = async (query: Promise<unknown[]>) => (await query).length > 0;
  const inEvents = (cond: SQL) =>
    first(
      tx
        .select({ id: events.id })
        .from(events)
        .where(and(eq(events.tenant, tenant), cond))
        .limit(1),
    );
  const inCaps = (cond: SQL) =>
    first(
      tx
        .select({ id: capabilities.id })
        .from(capabilities)
        .where(and(eq(capabilities.tenant, tenant), cond))
        .limit(1),
    );
  switch (kind) {
    case "event":
      return inEvents(eq(events.id, ref));
    case "capability":
      return inCaps(eq(capabilities.id, ref));
    case "request":
      return (await inCaps(eq(capabilities.request, ref))) || inEvents(eq(events.request, ref));
    case "session":
      return (
        (await first(
          tx
            .select({ id: sessions.id })
            .from(sessions)
            .where(and(eq(sessions.tenant, tenant), eq(sessions.id, ref)))
            .limit(1),
        )) || inEvents(eq(events.session, ref))
      );
    case "principal":
      return (await inCaps(eq(capabilities.principal, ref))) || inEvents(eq(events.principal, ref));
  }
}

/** The tenants in `scope` where `ref` exists, at most two (enough to say "ambiguous"). */
export async function tenantsWithRef(
  tx: Executor,
  target: { scope: readonly string[]; kind: CaseItemKind; ref: string },
): Promise<string[]> {
  const found: string[] = [];
  for (const tenant of target.scope) {
    if (await refExists(tx, { tenant, kind: target.kind, ref: target.ref })) found.push(tenant);
    if (found.length > 1) break;
  }
  return found;
}

export interface ItemLabel {
  /** What the item is, in a few words: an event's time/tool/outcome, a capability's principal/rights. */
  title: string;
  detail: string | null;
  /** ISO time, for events (formatted by the page). */
  at: string | null;
  outcome: string | null;
}

interface Right {
  resource?: string;
  actions?: string[];
}

/** "Order write, Customer read" from a capability summary; never ids or fields in full. */
export function rightsSummary(summary: Record<string, unknown>): string {
  const rights = Array.isArray(summary.rights) ? (summary.rights as Right[]) : [];
  if (rights.length === 0) return "no rights";
  const parts = rights.slice(0, 4).map((r) => `${r.resource ?? "?"} ${(r.actions ?? []).join("/")}`.trim());
  return rights.length > 4 ? `${parts.join(", ")} and ${rights.length - 4} more` : parts.join(", ");
}

/** Labels for one tenant's items, keyed `${kind}:${ref}`; a ref that no longer resolves has none. */
export async function labelItems(
  tx: Executor,
  tenant: string,
  items: readonly { kind: CaseItemKind; ref: string }[],
): Promise<Map<string, ItemLabel>> {
  const out = new Map<string, ItemLabel>();
  const refsOf = (kind: CaseItemKind) => items.filter((i) => i.kind === kind).map((i) => i.ref);
  const eventRefs = refsOf("event");
  if (eventRefs.length > 0) {
    const rows = await tx
      .select({
        id: events.id,
        ts: events.ts,
        type: events.type,
        tool: events.tool,
        outcome: events.outcome,
        principal: events.principal,
      })
      .from(events)
      .where(and(eq(events.tenant, tenant), inArray(events.id, eventRefs)));
    for (const e of rows)
      out.set(`event:${e.id}`, {
        title: e.tool ?? e.type,
        detail: e.principal,
        at: e.ts.toISOString(),
        outcome: e.outcome,
      });
  }
  const capRefs = refsOf("capability");
  if (capRefs.length > 0) {
    const rows = await tx
      .select({ id: capabilities.id, principal: capabilities.principal, summary: capabilities.summary })
      .from(capabilities)
      .where(and(eq(capabilities.tenant, tenant), inArray(capabilities.id, capRefs)));
    for (const c of rows)
      out.set(`capability:${c.id}`, {
        title: c.principal ?? "unknown principal",
        detail: rightsSummary(c.summary),
        at: null,
        outcome: null,
      });
  }
  for (const ref of refsOf("request")) {
    const [cap] = await tx
      .select({ principal: capabilities.principal, agent: capabilities.agent })
      .from(capabilities)
      .where(and(eq(capabilities.tenant, tenant), eq(capabilities.request, ref)))
      .orderBy(asc(capabilities.depth))
      .limit(1);
    const [ev] = cap
      ? [cap]
      : await tx
          .select({ principal: events.principal, agent: events.agent })
          .from(events)
          .where(and(eq(events.tenant, tenant), eq(events.request, ref)))
          .orderBy(desc(events.ts))
          .limit(1);
    if (ev)
      out.set(`request:${ref}`, {
        title: ev.principal ?? "unknown principal",
        detail: ev.agent,
        at: null,
        outcome: null,
      });
  }
  for (const ref of refsOf("session")) {
    const [s] = await tx
      .select({ principal: sessions.principal, agent: sessions.agent })
      .from(sessions)
      .where(and(eq(sessions.tenant, tenant), eq(sessions.id, ref)));
    out.set(`session:${ref}`, {
      title: s?.principal ?? "session",
      detail: s?.agent ?? null,
      at: null,
      outcome: null,
    });
  }
  for (const ref of refsOf("principal"))
    out.set(`principal:${ref}`, { title: ref, detail: null, at: null, outcome: null });
  return out;
}

/** Where an item opens in the console. */
export function itemHref(item: { tenant: string; kind: CaseItemKind; ref: string }): string {
  const t = `tenant=${encodeURIComponent(item.tenant)}`;
  const r = encodeURIComponent(item.ref);
  switch (item.kind) {
    case "event":
      return `/events/${r}?${t}`;
    case "capability":
      return `/capabilities/${r}?${t}`;
    case "request":
      return `/requests/${r}?${t}`;
    case "session":
      return `/events?q=${encodeURIComponent(`session:${JSON.stringify(item.ref)} tenant:${item.tenant}`)}`;
    case "principal":
      return `/principals/${r}`;
  }
}
