import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { alerts, capabilities, events } from "@/db/schema";
import { EXAMPLE_RULES } from "@/lib/alerts/rule";
import { evaluateDueRules } from "@/lib/alerts/runner";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import type { Authority } from "@/lib/auth/authority";
import {
  alertRuleInputSchema,
  backtestAlertRule,
  backtestSchema,
  createAlertRule,
  listAlerts,
  setBusinessHours,
  triageAlert,
} from "@/lib/data/alerts";
import { uuidv7 } from "@/lib/ids";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

// Tuesday 2026-11-24, 08:00 UTC = 09:00 in Paris (business hours there: Mon–Fri 09:00–18:00).
const TUE_0900_PARIS = Date.parse("2026-11-24T08:00:00.000Z");
const ROOT = "a0".repeat(32);
const CHILD = "b1".repeat(32);
const OTHER = "c2".repeat(32);
const NARROW = "d3".repeat(32);
const WIDE = "e4".repeat(32);

let n = 0;
function ev(tenant: string, atMs: number, over: Partial<ChainedContent>): ChainedContent {
  n += 1;
  return {
    id: uuidv7(atMs + n),
    ts: new Date(atMs),
    tenant,
    type: "tool.call",
    principal: "p@x",
    agent: "bot",
    session: "s",
    request: `r-${n}`,
    tool: "crm.lookup",
    action: "read",
    outcome: "allowed",
    meta: {},
    ...over,
  } as ChainedContent;
}

describe.each(backends)("alerts on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let investigator: Authority;
  let viewer: Authority;
  let globexAdmin: Authority;
  const T = "acme";

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, [T, "globex"]);
    admin = await signedIn(database.db, { email: "admin@acme.test", role: "admin", tenants: [T] });
    investigator = await signedIn(database.db, {
      email: "inv@acme.test",
      role: "investigator",
      tenants: [T],
    });
    viewer = await signedIn(database.db, { email: "viewer@acme.test", role: "viewer", tenants: [T] });
    globexAdmin = await signedIn(database.db, {
      email: "admin@globex.test",
      role: "admin",
      tenants: ["globex"],
    });
    await setBusinessHours(database.db, admin, {
      tenant: T,
      timeZone: "Europe/Paris",
      days: [1, 2, 3, 4, 5],
      start: "09:00",
      end: "18:00",
    });
    const root = { tenant: T, tokenHash: "h", rootId: ROOT, kind: "minted" as const };
    await database.db.insert(capabilities).values([
      {
        ...root,
        id: ROOT,
        depth: 0,
        summary: {
          rights: [
            { resource: "Order", actions: ["read"] },
            { resource: "Customer", actions: ["read"] },
          ],
        },
      },
      {
        ...root,
        id: CHILD,
        parentId: ROOT,
        ancestors: [ROOT],
        depth: 1,
        kind: "attenuated" as const,
        summary: { rights: [{ resource: "Customer", actions: ["read"] }] },
      },
      {
        ...root,
        id: OTHER,
        rootId: OTHER,
        depth: 0,
        summary: { rights: [{ resource: "Customer", actions: ["read"] }] },
      },
      {
        ...root,
        id: NARROW,
        parentId: ROOT,
        ancestors: [ROOT],
        depth: 1,
        kind: "attenuated" as const,
        summary: { rights: [{ resource: "Order", actions: ["read"], ids: ["o-1"] }] },
      },
      {
        ...root,
        id: WIDE,
        parentId: ROOT,
        ancestors: [ROOT],
        depth: 1,
        kind: "attenuated" as const,
        summary: { rights: [{ resource: "Order", actions: ["read", "write"] }] },
      },
    ]);
    for (const r of EXAMPLE_RULES) {
      const definition =
        r.name === "Descendant of a capability touched a field"
          ? { ...r.definition, query: `under:${ROOT} field:ssn` }
          : r.definition;
      await createAlertRule(
        database.db,
        admin,
        alertRuleInputSchema.parse({ tenant: T, name: r.name, severity: r.severity, definition }),
      );
    }
  });
  afterAll(async () => database?.close());

  const t = (minutes: number) => TUE_0900_PARIS + minutes * 60_000;
  const scenario: ChainedContent[] = [];

  it("each shipped example fires on its crafted sequence and not on the near miss", async () => {
    scenario.push(
      // Denials spike: 10 by spike@ within 5 min fires once; 9 by near@ does not.
      ...Array.from({ length: 10 }, (_, i) =>
        ev(T, t(10) + i * 20_000, { principal: "spike@x", outcome: "denied" }),
      ),
      ...Array.from({ length: 9 }, (_, i) =>
        ev(T, t(10) + i * 20_000, { principal: "near@x", outcome: "denied" }),
      ),
      // Escalation used at 03:00 Paris (out of hours) fires; at 10:00 Paris it does not.
      ev(T, t(-6 * 60), { type: "escalation.used", session: "night", tool: "orders.refund" }),
      ev(T, t(60), { type: "escalation.used", session: "day", tool: "orders.refund" }),
      // Deny then escalate: within 5 min fires (seq@); after 6 min does not (slow@).
      ev(T, t(100), { principal: "seq@x", outcome: "denied" }),
      ev(T, t(103), { principal: "seq@x", type: "escalation.requested", tool: null }),
      ev(T, t(100), { principal: "slow@x", outcome: "denied" }),
      ev(T, t(106), { principal: "slow@x", type: "escalation.requested", tool: null }),
      // Wider than parent: WIDE grants write:Order, ROOT does not; NARROW is narrower.
      ev(T, t(120), { capabilityId: WIDE, principal: "w@x" }),
      ev(T, t(121), { capabilityId: NARROW, principal: "w@x" }),
      // First use of a tool by an agent: newbot's first crm.export fires, its second does not.
      ev(T, t(130), { agent: "newbot", tool: "crm.export" }),
      ev(T, t(131), { agent: "newbot", tool: "crm.export" }),
      // A descendant of ROOT touching ssn fires; a non-descendant touching ssn, or CHILD touching email, do not.
      ev(T, t(140), { capabilityId: CHILD, fields: ["ssn"], principal: "d@x" }),
      ev(T, t(141), { capabilityId: OTHER, fields: ["ssn"], principal: "d@x" }),
      ev(T, t(142), { capabilityId: CHILD, fields: ["email"], principal: "d@x" }),
    );
    await database.db.transaction((tx) => appendEvents(tx, scenario));
    const reports = await evaluateDueRules(database.db, { owner: "test" });
    expect(reports.filter((r) => r.error)).toEqual([]);
    const opened = await listAlerts(database.db, investigator);
    const byRule = (name: string) => opened.filter((a) => a.ruleName === name);
    expect(byRule("Denials spike per principal").map((a) => a.group)).toEqual([{ principal: "spike@x" }]);
    expect(byRule("Escalation used outside business hours").map((a) => a.group)).toEqual([
      { session: "night" },
    ]);
    expect(byRule("Denied, then escalation requested").map((a) => a.group)).toEqual([{ principal: "seq@x" }]);
    const wider = byRule("Child capability wider than its parent");
    expect(wider.map((a) => a.group)).toEqual([{ capability: WIDE }]);
    expect(wider[0]?.title).toMatch(/grants write:Order, which its parent does not/);
    // "First use": every agent's first tool is new; newbot's crm.export fires once.
    const firstUse = byRule("First use of a tool by an agent").filter((a) => a.group.agent === "newbot");
    expect(firstUse).toHaveLength(1);
    expect(firstUse[0]?.title).toMatch(/tool crm\.export: first in 30 days/);
    const descendant = byRule("Descendant of a capability touched a field");
    expect(descendant).toHaveLength(1);
    const [trigger] = await database.db
      .select({ capabilityId: events.capabilityId, fields: events.fields })
      .from(events)
      .where(and(eq(events.tenant, T), eq(events.id, descendant[0]?.eventIds[0] ?? "")));
    expect(trigger).toEqual({ capabilityId: CHILD, fields: ["ssn"] });
    // Every opened alert is in the audit log, where streams pick it up.
    const records = await database.db
      .select({ id: events.resourceId })
      .from(events)
      .where(and(eq(events.tenant, T), eq(events.type, "console.alert.opened")));
    expect(records.map((r) => r.id).sort()).toEqual(opened.map((a) => a.id).sort());
    // A second round finds nothing new (alerts about alerts never loop).
    expect(
      (await evaluateDueRules(database.db, { owner: "test" })).flatMap((r) => (r.opened ? [r] : [])),
    ).toEqual([]);
  });

  it("a backtest over the same events opens exactly what live evaluation opened", async () => {
    const live = await listAlerts(database.db, investigator, { limit: 500 });
    for (const r of EXAMPLE_RULES) {
      const definition =
        r.name === "Descendant of a capability touched a field"
          ? { ...r.definition, query: `under:${ROOT} field:ssn` }
          : r.definition;
      const bt = await backtestAlertRule(
        database.db,
        admin,
        backtestSchema.parse({ tenant: T, definition, days: 7 }),
        new Date(t(24 * 60)),
      );
      const liveIds = live
        .filter((a) => a.ruleName === r.name)
        .map((a) => a.eventIds[0])
        .sort();
      expect({ rule: r.name, ids: bt.alerts.map((a) => a.triggerId).sort() }).toEqual({
        rule: r.name,
        ids: liveIds,
      });
    }
  });

  it("investigators triage, each step audited; viewers and other tenants cannot", async () => {
    const [a] = await listAlerts(database.db, investigator, { status: "open" });
    if (!a) throw new Error("no open alert");
    await triageAlert(database.db, investigator, {
      tenant: T,
      id: a.id,
      to: "acknowledged",
      note: "looking",
    });
    await triageAlert(database.db, investigator, { tenant: T, id: a.id, to: "resolved" });
    const [after] = await database.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.tenant, T), eq(alerts.id, a.id)));
    expect(after).toMatchObject({ status: "resolved", updatedBy: "inv@acme.test", note: "looking" });
    const steps = await database.db
      .select({ type: events.type })
      .from(events)
      .where(and(eq(events.tenant, T), eq(events.resourceId, a.id)))
      .orderBy(events.seq);
    expect(steps.map((s) => s.type)).toEqual([
      "console.alert.opened",
      "console.alert.acknowledged",
      "console.alert.resolved",
    ]);
    await expect(triageAlert(database.db, viewer, { tenant: T, id: a.id, to: "open" })).rejects.toThrow(
      /role/,
    );
    await expect(
      triageAlert(database.db, globexAdmin, { tenant: T, id: a.id, to: "open" }),
    ).rejects.toThrow();
    expect(await listAlerts(database.db, globexAdmin)).toEqual([]);
    await expect(
      createAlertRule(
        database.db,
        investigator,
        alertRuleInputSchema.parse({
          tenant: T,
          name: "x",
          severity: "low",
          definition: { query: "", aggregation: { kind: "each" } },
        }),
      ),
    ).rejects.toThrow(/role/);
  });

  it("refuses a rule whose query does not parse, naming the field", () => {
    const r = alertRuleInputSchema.safeParse({
      tenant: T,
      name: "bad",
      severity: "low",
      definition: { query: "princpal:x", aggregation: { kind: "each" } },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["definition", "query"]);
  });
});
