"use server";

import { defineAction, defineFormAction, type FormState } from "@/lib/actions/pipeline";
import {
  addIssuerKey,
  addIssuerKeySchema,
  retireIssuerKey,
  retireIssuerKeySchema,
  setTenantPolicy,
  setTenantRetention,
  tenantPolicySchema,
  tenantRetentionSchema,
} from "@/lib/data/tenant-admin";

export type TenantPolicyState = FormState<
  { tenant: string; twoPersonEscalations: boolean; max: number },
  Record<string, string>
>;

export const setTenantPolicyAction = defineFormAction({
  permission: "tenants.manage",
  schema: tenantPolicySchema,
  what: "save the escalation policy",
  values: (form): Record<string, string> => ({
    tenant: String(form.get("tenant") ?? ""),
    escalationMaxTtlSeconds: String(form.get("escalationMaxTtlSeconds") ?? ""),
    twoPersonEscalations: form.get("twoPersonEscalations") === "on" ? "on" : "",
  }),
  read: (values) => ({
    tenant: values.tenant,
    escalationMaxTtlSeconds: values.escalationMaxTtlSeconds,
    twoPersonEscalations: values.twoPersonEscalations === "on",
  }),
  run: async ({ db, authority, input }) => {
    const saved = await setTenantPolicy(db, authority, input);
    return {
      tenant: saved.tenant,
      twoPersonEscalations: saved.twoPersonEscalations,
      max: saved.escalationMaxTtlSeconds,
    };
  },
  revalidate: ["/admin", "/escalations"],
});

export type TenantRetentionState = FormState<
  { tenant: string; retentionDays: number | null },
  Record<string, string>
>;

export const setTenantRetentionAction = defineFormAction({
  permission: "tenants.manage",
  schema: tenantRetentionSchema,
  what: "save the retention",
  values: (form): Record<string, string> => ({
    tenant: String(form.get("tenant") ?? ""),
    retentionDays: String(form.get("retentionDays") ?? "").trim(),
  }),
  read: (values) => ({ tenant: values.tenant, retentionDays: values.retentionDays }),
  run: async ({ db, authority, input }) => {
    const saved = await setTenantRetention(db, authority, input);
    return { tenant: saved.tenant, retentionDays: saved.after };
  },
  revalidate: ["/admin"],
});

export type AddIssuerKeyState = FormState<{ kid: string; tenant: string }, Record<string, string>>;

export const addIssuerKeyAction = defineFormAction({
  permission: "tenants.manage",
  schema: addIssuerKeySchema,
  what: "add the issuer key",
  values: (form): Record<string, string> => ({
    tenant: String(form.get("tenant") ?? ""),
    kid: String(form.get("kid") ?? ""),
    publicKey: String(form.get("publicKey") ?? ""),
  }),
  run: async ({ db, authority, input }) => {
    const added = await addIssuerKey(db, authority, input);
    return { kid: added.kid, tenant: added.tenant ?? "" };
  },
  revalidate: ["/admin"],
});

export const retireIssuerKeyAction = defineAction({
  permission: "tenants.manage",
  schema: retireIssuerKeySchema,
  what: "retire the issuer key",
  read: (raw: { kid: string; graceSeconds: number }) => raw,
  run: async ({ db, authority, input }) => {
    const retired = await retireIssuerKey(db, authority, input);
    return { verifiesUntil: (retired.verifiesUntil as Date).toISOString() };
  },
  revalidate: ["/admin"],
});
