"use server";

import { defineAction } from "@/lib/actions/pipeline";
import {
  alertRuleInputSchema,
  backtestAlertRule,
  backtestSchema,
  businessHoursSchema,
  createAlertRule,
  deleteAlertRule,
  ruleEnabledSchema,
  ruleRefSchema,
  setAlertRuleEnabled,
  setBusinessHours,
  triageAlert,
  triageSchema,
} from "@/lib/data/alerts";

export const triageAlertAction = defineAction({
  permission: "alerts.triage",
  schema: triageSchema,
  what: "change the alert",
  run: ({ db, authority, input }) => triageAlert(db, authority, input),
  revalidate: ["/alerts"],
});

export const createAlertRuleAction = defineAction({
  permission: "alerts.rules",
  schema: alertRuleInputSchema,
  what: "save the rule",
  run: ({ db, authority, input }) => createAlertRule(db, authority, input),
  revalidate: ["/alerts"],
});

export const backtestAlertRuleAction = defineAction({
  permission: "alerts.rules",
  schema: backtestSchema,
  what: "backtest the rule",
  run: async ({ db, authority, input }) => {
    const r = await backtestAlertRule(db, authority, input);
    return {
      complete: r.complete,
      alerts: r.alerts.slice(0, 200).map((a) => ({ ...a, triggerTs: a.triggerTs.toISOString() })),
      total: r.alerts.length,
    };
  },
});

export const setAlertRuleEnabledAction = defineAction({
  permission: "alerts.rules",
  schema: ruleEnabledSchema,
  what: (i) => (i.enabled ? "enable the rule" : "disable the rule"),
  run: ({ db, authority, input }) => setAlertRuleEnabled(db, authority, input),
  revalidate: ["/alerts"],
});

export const deleteAlertRuleAction = defineAction({
  permission: "alerts.rules",
  schema: ruleRefSchema,
  what: "delete the rule",
  run: ({ db, authority, input }) => deleteAlertRule(db, authority, input),
  revalidate: ["/alerts"],
});

export const setBusinessHoursAction = defineAction({
  permission: "alerts.rules",
  schema: businessHoursSchema,
  what: "save the business hours",
  run: ({ db, authority, input }) => setBusinessHours(db, authority, input),
  revalidate: ["/alerts"],
});
