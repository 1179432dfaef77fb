// Live evaluation: every console process runs rounds; a lease on each rule's row lets one
// process evaluate a rule at a time, and the alerts a round opens, their audit events (which the
// streams then deliver) and the rule's new cursor commit in one transaction, fenced by the lease.
// Ingest never waits for any of it: rules read committed events after the fact.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { durableCommit } from "@/db/durability";
import { type AlertRule, alertRules, alertSettings, alerts, chainHeads } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import { CONTENT_VERSION_ERASABLE, erasableEvent } from "@/lib/audit/subjects";
import { uuidv7 } from "@/lib/ids";
import { leaseOwner, type Pace, type Rounds, startRounds } from "@/lib/rounds";
import { evaluateRule, type Firing, HistoryCache } from "./evaluate";
import { alertDefinitionSchema, type BusinessHours } from "./rule";

export const ALERT_ROUND = { leaseMs: 30_000, rulesPerRound: 20, candidatesPerRule: 1000 };

export async function businessHoursOf(db: Executor, tenant: string): Promise<BusinessHours> {
  const [s] = await db.select().from(alertSettings).where(eq(alertSettings.tenant, tenant));
  return s
    ? { timeZone: s.timeZone, days: s.businessDays, start: s.businessStart, end: s.businessEnd }
    : { timeZone: "UTC", days: [1, 2, 3, 4, 5], start: "09:00", end: "18:00" };
}

export function lastFiredIn(db: Executor, rule: Pick<AlertRule, "tenant" | "id">) {
  return async (dedupKey: string): Promise<Date | null> => {
    const [row] = await db
      .select({ at: alerts.triggerTs })
      .from(alerts)
      .where(and(eq(alerts.tenant, rule.tenant), eq(alerts.ruleId, rule.id), eq(alerts.dedupKey, dedupKey)))
      .orderBy(desc(alerts.triggerTs))
      .limit(1);
    return row?.at ?? null;
  };
}

export function alertTitle(rule: Pick<AlertRule, "name">, f: Firing): string {
  const group = Object.entries(f.group)
    .map(([k, v]) => `${k} ${v ?? "(none)"}`)
    .join(", ");
  return `${rule.name}${group ? ` — ${group}` : ""}: ${f.detail}`;
}

async function openAlerts(tx: Executor, rule: AlertRule, firings: Firing[], now: Date) {
  if (firings.length === 0) return;
  // Alerts and their audit events are evidence (and may reach a SIEM at once): this transaction
  // commits durably even on the background's async-commit connections.
  await durableCommit(tx);
  const rows = firings.map((f) => ({
    tenant: rule.tenant,
    id: uuidv7(now.getTime()),
    ruleId: rule.id,
    ruleName: rule.name,
    severity: rule.severity,
    dedupKey: f.dedupKey,
    title: alertTitle(rule, f),
    group: f.group,
    eventIds: [f.trigger.id],
    triggerSeq: f.trigger.seq,
    triggerTs: f.trigger.ts,
  }));
  await tx.insert(alerts).values(rows);
  // Each alert is an audit event too, so the streams deliver it and the log records it.
  const records: ChainedContent[] = rows.map((a, i) => {
    const t = (firings[i] as Firing).trigger;
    const type = "console.alert.opened";
    // The event names the trigger's principal and is erasable (lib/audit/subjects.ts): principal
    // and meta are committed, so the title, which may hold the name (grouped by principal, a
    // new principal), goes in meta. The reason, hashed in clear, is the title only when the
    // name is not in it; otherwise the rule's name.
    const named = !!t.principal && a.title.includes(t.principal);
    return {
      id: uuidv7(now.getTime()),
      ts: now,
      tenant: rule.tenant,
      type,
      contentVersion: erasableEvent({ type, principal: t.principal }) ? CONTENT_VERSION_ERASABLE : 1,
      principal: t.principal,
      agent: "console",
      session: t.session,
      request: t.request,
      tool: t.tool,
      action: "alert",
      resourceType: "alert",
      resourceId: a.id,
      outcome: "allowed",
      reason: named ? rule.name : a.title,
      capabilityId: t.capabilityId,
      meta: { rule: rule.name, ruleId: rule.id, severity: rule.severity, trigger: t.id, title: a.title },
    } as ChainedContent;
  });
  await appendEvents(tx, records);
}

export interface RuleRoundReport {
  tenant: string;
  ruleId: string;
  opened: number;
  error: string | null;
}

export async function evaluateDueRules(
  db: Db,
  opts: { owner: string; now?: () => Date; limits?: Partial<typeof ALERT_ROUND>; cache?: HistoryCache },
): Promise<RuleRoundReport[]> {
  const limits = { ...ALERT_ROUND, ...opts.limits };
  const now = (opts.now ?? (() => new Date()))();
  const until = new Date(now.getTime() + limits.leaseMs);
  const at = sql`${now.toISOString()}::timestamptz`;
  const free = sql`(${alertRules.leaseUntil} is null or ${alertRules.leaseUntil} < ${at} or ${alertRules.leaseOwner} = ${opts.owner})`;
  // The rules with new events are read without a lock; each is then claimed by a statement on
  // its own tenant's row that checks the lease again, so no statement locks rows of several
  // tenants (docs/scale.md). Two instances racing for a rule: the second finds it leased.
  const due = await db
    .select({ tenant: alertRules.tenant, id: alertRules.id })
    .from(alertRules)
    .innerJoin(chainHeads, eq(chainHeads.tenant, alertRules.tenant))
    .where(and(eq(alertRules.enabled, true), sql`${chainHeads.seq} > ${alertRules.cursor}`, free))
    .orderBy(alertRules.tenant, alertRules.id)
    .limit(limits.rulesPerRound);
  const claimed: AlertRule[] = [];
  for (const r of due) {
    const [rule] = await db
      .update(alertRules)
      .set({ leaseOwner: opts.owner, leaseUntil: until })
      .where(
        and(eq(alertRules.tenant, r.tenant), eq(alertRules.id, r.id), eq(alertRules.enabled, true), free),
      )
      .returning();
    if (rule) claimed.push(rule);
  }
  const reports: RuleRoundReport[] = [];
  // A tenant's business hours, read once per round for all its rules.
  const hoursOf = new Map<string, BusinessHours>();
  for (const rule of claimed) {
    const fence = and(
      eq(alertRules.tenant, rule.tenant),
      eq(alertRules.id, rule.id),
      eq(alertRules.leaseOwner, opts.owner),
    );
    try {
      const definition = alertDefinitionSchema.parse(rule.definition);
      const [head] = await db
        .select({ seq: chainHeads.seq })
        .from(chainHeads)
        .where(eq(chainHeads.tenant, rule.tenant));
      const headSeq = head?.seq ?? 0;
      const hours = hoursOf.get(rule.tenant) ?? (await businessHoursOf(db, rule.tenant));
      hoursOf.set(rule.tenant, hours);
      const opened = await db.transaction(async (tx) => {
        const result = await evaluateRule(tx, {
          tenant: rule.tenant,
          ruleId: rule.id,
          definition,
          range: { afterSeq: rule.cursor, headSeq },
          hours,
          lastFired: lastFiredIn(tx, rule),
          limit: limits.candidatesPerRule,
          now,
          cache: opts.cache,
        });
        await openAlerts(tx, rule, result.firings, now);
        const cursor = result.complete ? headSeq : (result.lastSeq ?? rule.cursor);
        await tx
          .update(alertRules)
          .set({ cursor, lastError: null, leaseOwner: null, leaseUntil: null, updatedAt: sql`now()` })
          .where(fence);
        return result.firings.length;
      });
      reports.push({ tenant: rule.tenant, ruleId: rule.id, opened, error: null });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await db
        .update(alertRules)
        .set({ lastError: message.slice(0, 500), leaseOwner: null, leaseUntil: null })
        .where(fence);
      reports.push({ tenant: rule.tenant, ruleId: rule.id, opened: 0, error: message });
    }
  }
  return reports;
}

export type AlertEvaluator = Rounds<RuleRoundReport[]>;

export function startAlertEvaluator(db: Db, opts: { intervalMs?: number; pace?: Pace } = {}): AlertEvaluator {
  const owner = leaseOwner();
  // What this process read of each rule's groups, so each round reads only the new events.
  const cache = new HistoryCache();
  return startRounds({
    intervalMs: opts.intervalMs ?? 1_000,
    round: () => evaluateDueRules(db, { owner, cache }),
    empty: [],
    log: (m, e) => console.error(`[alerts] ${m}`, e ?? ""),
    pace: opts.pace,
  });
}
