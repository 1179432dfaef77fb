import "server-only";
import { randomBytes } from "node:crypto";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import { type ALERT_STATUSES, type Alert, alertRules, alertSettings, alerts, chainHeads } from "@/db/schema";
import { evaluateRule } from "@/lib/alerts/evaluate";
import { alertDefinitionSchema, alertRuleInputSchema, businessHoursSchema } from "@/lib/alerts/rule";
import { alertTitle, businessHoursOf } from "@/lib/alerts/runner";
import { appendEvents } from "@/lib/audit/append";
import { consoleEvents } from "@/lib/audit/console-event";
import { type Authority, assertTenantsInScope, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { ConflictError, NotFoundError } from "@/lib/errors";

export { alertRuleInputSchema, businessHoursSchema };

const ref = { tenant: z.string().trim().min(1).max(64), id: z.string().trim().min(1).max(64) };
export const ruleRefSchema = z.object(ref);
export const ruleEnabledSchema = z.object({ ...ref, enabled: z.boolean() });
export const triageSchema = z.object({
  ...ref,
  to: z.enum(["acknowledged", "suppressed", "resolved", "open"]),
  note: z.string().trim().max(1000).optional(),
});
export const backtestSchema = z.object({
  tenant: z.string().trim().min(1).max(64),
  definition: alertDefinitionSchema,
  days: z.number().int().min(1).max(30).default(7),
});

async function audit(
  tx: Executor,
  authority: Authority,
  type: `console.alert${string}`,
  tenant: string,
  resource: string,
  meta: Record<string, unknown>,
) {
  await appendEvents(
    tx,
    consoleEvents({
      actor: authority,
      type,
      tenants: [tenant],
      resource: { type: "alert", id: resource },
      meta,
    }),
  );
}

export async function listAlertRules(db: Db, authority: Authority) {
  assertCan(authority, "alerts.triage");
  const tenants = tenantsInView(authority);
  if (tenants.length === 0) return [];
  return db
    .select({
      tenant: alertRules.tenant,
      id: alertRules.id,
      name: alertRules.name,
      severity: alertRules.severity,
      definition: alertRules.definition,
      enabled: alertRules.enabled,
      lastError: alertRules.lastError,
      createdBy: alertRules.createdBy,
      createdAt: alertRules.createdAt,
    })
    .from(alertRules)
    .where(inArray(alertRules.tenant, tenants))
    .orderBy(asc(alertRules.tenant), asc(alertRules.name));
}

/** A new rule; it evaluates events from the tenant's current head on (backtest for the past). */
export async function createAlertRule(
  db: Db,
  authority: Authority,
  input: z.output<typeof alertRuleInputSchema>,
) {
  assertCan(authority, "alerts.rules");
  assertTenantsInScope(authority, [input.tenant]);
  const id = `ar_${randomBytes(9).toString("base64url")}`;
  await db.transaction(async (tx) => {
    const [taken] = await tx
      .select({ id: alertRules.id })
      .from(alertRules)
      .where(and(eq(alertRules.tenant, input.tenant), eq(alertRules.name, input.name)));
    if (taken) throw new ConflictError(`A rule named ${input.name} exists in ${input.tenant}.`);
    const [head] = await tx
      .select({ seq: chainHeads.seq })
      .from(chainHeads)
      .where(eq(chainHeads.tenant, input.tenant));
    await tx.insert(alertRules).values({
      tenant: input.tenant,
      id,
      name: input.name,
      severity: input.severity,
      definition: input.definition as Record<string, unknown>,
      cursor: head?.seq ?? 0,
      createdBy: authority.email,
    });
    await audit(tx, authority, "console.alert_rule.created", input.tenant, id, {
      name: input.name,
      severity: input.severity,
      definition: input.definition,
    });
  });
  return { tenant: input.tenant, id };
}

async function ownedRule(tx: Executor, authority: Authority, r: { tenant: string; id: string }) {
  assertTenantsInScope(authority, [r.tenant]);
  const [rule] = await tx
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.tenant, r.tenant), eq(alertRules.id, r.id)))
    .for("update");
  if (!rule) throw new NotFoundError("Unknown rule.");
  return rule;
}

export async function setAlertRuleEnabled(
  db: Db,
  authority: Authority,
  input: z.output<typeof ruleEnabledSchema>,
) {
  assertCan(authority, "alerts.rules");
  await db.transaction(async (tx) => {
    const rule = await ownedRule(tx, authority, input);
    if (rule.enabled === input.enabled) return;
    // Re-enabled rules start at the head: what happened while off is a backtest's job.
    const [head] = await tx
      .select({ seq: chainHeads.seq })
      .from(chainHeads)
      .where(eq(chainHeads.tenant, rule.tenant));
    await tx
      .update(alertRules)
      .set({
        enabled: input.enabled,
        ...(input.enabled ? { cursor: head?.seq ?? rule.cursor } : {}),
        updatedAt: sql`now()`,
      })
      .where(and(eq(alertRules.tenant, rule.tenant), eq(alertRules.id, rule.id)));
    await audit(
      tx,
      authority,
      input.enabled ? "console.alert_rule.enabled" : "console.alert_rule.disabled",
      rule.tenant,
      rule.id,
      { name: rule.name },
    );
  });
}

export async function deleteAlertRule(db: Db, authority: Authority, input: z.output<typeof ruleRefSchema>) {
  assertCan(authority, "alerts.rules");
  await db.transaction(async (tx) => {
    const rule = await ownedRule(tx, authority, input);
    await tx.delete(alertRules).where(and(eq(alertRules.tenant, rule.tenant), eq(alertRules.id, rule.id)));
    await audit(tx, authority, "console.alert_rule.deleted", rule.tenant, rule.id, { name: rule.name });
  });
}

export interface BacktestAlert {
  title: string;
  triggerId: string;
  triggerTs: Date;
  dedupKey: string;
}

/** What a rule would have opened over the last `days` days, without opening anything. */
export async function backtestAlertRule(
  db: Db,
  authority: Authority,
  input: z.output<typeof backtestSchema>,
  now = new Date(),
) {
  assertCan(authority, "alerts.rules");
  assertTenantsInScope(authority, [input.tenant]);
  const hours = await businessHoursOf(db, input.tenant);
  const result = await evaluateRule(db, {
    tenant: input.tenant,
    ruleId: "backtest",
    definition: input.definition,
    range: { from: new Date(now.getTime() - input.days * 86_400_000), to: now },
    hours,
    lastFired: async () => null,
    limit: 5000,
    now,
  });
  return {
    complete: result.complete,
    alerts: result.firings.map(
      (f): BacktestAlert => ({
        title: alertTitle({ name: "Backtest" }, f),
        triggerId: f.trigger.id,
        triggerTs: f.trigger.ts,
        dedupKey: f.dedupKey,
      }),
    ),
  };
}

export async function listAlerts(
  db: Db,
  authority: Authority,
  opts: { status?: (typeof ALERT_STATUSES)[number] | "active"; limit?: number } = {},
): Promise<Alert[]> {
  assertCan(authority, "alerts.triage");
  const tenants = tenantsInView(authority);
  if (tenants.length === 0) return [];
  const status =
    opts.status === "active"
      ? inArray(alerts.status, ["open", "acknowledged"])
      : opts.status
        ? eq(alerts.status, opts.status)
        : undefined;
  return db
    .select()
    .from(alerts)
    .where(and(inArray(alerts.tenant, tenants), status))
    .orderBy(desc(alerts.openedAt), desc(alerts.id))
    .limit(Math.min(opts.limit ?? 100, 500));
}

export async function triageAlert(db: Db, authority: Authority, input: z.output<typeof triageSchema>) {
  assertCan(authority, "alerts.triage");
  assertTenantsInScope(authority, [input.tenant]);
  await db.transaction(async (tx) => {
    const [a] = await tx
      .select()
      .from(alerts)
      .where(and(eq(alerts.tenant, input.tenant), eq(alerts.id, input.id)))
      .for("update");
    if (!a) throw new NotFoundError("Unknown alert.");
    if (a.status === input.to) return;
    await tx
      .update(alerts)
      .set({
        status: input.to,
        updatedAt: sql`now()`,
        updatedBy: authority.email,
        note: input.note ?? a.note,
      })
      .where(and(eq(alerts.tenant, a.tenant), eq(alerts.id, a.id)));
    await audit(
      tx,
      authority,
      `console.alert.${input.to === "open" ? "reopened" : input.to}`,
      a.tenant,
      a.id,
      {
        from: a.status,
        rule: a.ruleName,
        ...(input.note ? { note: input.note } : {}),
      },
    );
  });
}

export async function setBusinessHours(
  db: Db,
  authority: Authority,
  input: z.output<typeof businessHoursSchema>,
) {
  assertCan(authority, "alerts.rules");
  assertTenantsInScope(authority, [input.tenant]);
  await db.transaction(async (tx) => {
    const values = {
      tenant: input.tenant,
      timeZone: input.timeZone,
      businessDays: [...new Set(input.days)].sort(),
      businessStart: input.start,
      businessEnd: input.end,
      updatedBy: authority.email,
    };
    await tx
      .insert(alertSettings)
      .values(values)
      .onConflictDoUpdate({ target: alertSettings.tenant, set: { ...values, updatedAt: sql`now()` } });
    await audit(tx, authority, "console.alert_settings.changed", input.tenant, input.tenant, {
      timeZone: input.timeZone,
      days: values.businessDays,
      start: input.start,
      end: input.end,
    });
  });
}

/** Each of the admin's tenants' business hours (the defaults where none were set). */
export async function listBusinessHours(db: Db, authority: Authority) {
  assertCan(authority, "alerts.rules");
  return Promise.all(
    [...authority.tenants].sort().map(async (tenant) => ({ tenant, ...(await businessHoursOf(db, tenant)) })),
  );
}
