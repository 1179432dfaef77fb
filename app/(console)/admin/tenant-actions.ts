"use server";

import { revalidatePath } from "next/cache";
import { type ActionResult, failed, invalid } from "@/lib/actions/result";
import { authorizeAction } from "@/lib/auth/guard";
import {
  addIssuerKey,
  addIssuerKeySchema,
  retireIssuerKey,
  retireIssuerKeySchema,
  setTenantPolicy,
  tenantPolicySchema,
} from "@/lib/data/tenant-admin";
import { getDb } from "@/lib/server/db";

export type TenantPolicyState = ActionResult<{
  tenant: string;
  twoPersonEscalations: boolean;
  max: number;
}> & {
  values?: Record<string, string>;
};

export async function setTenantPolicyAction(
  _prev: TenantPolicyState | null,
  form: FormData,
): Promise<TenantPolicyState> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const values = {
    tenant: String(form.get("tenant") ?? ""),
    escalationMaxTtlSeconds: String(form.get("escalationMaxTtlSeconds") ?? ""),
    twoPersonEscalations: form.get("twoPersonEscalations") === "on" ? "on" : "",
  };
  const parsed = tenantPolicySchema.safeParse({
    tenant: values.tenant,
    escalationMaxTtlSeconds: values.escalationMaxTtlSeconds,
    twoPersonEscalations: values.twoPersonEscalations === "on",
  });
  if (!parsed.success) return { ...invalid(parsed.error), values };
  try {
    const saved = await setTenantPolicy(await getDb(), auth.authority, parsed.data);
    revalidatePath("/admin");
    revalidatePath("/escalations");
    return {
      ok: true,
      data: {
        tenant: saved.tenant,
        twoPersonEscalations: saved.twoPersonEscalations,
        max: saved.escalationMaxTtlSeconds,
      },
    };
  } catch (err) {
    return { ...failed(err, "save the escalation policy"), values };
  }
}

export type AddIssuerKeyState = ActionResult<{ kid: string; tenant: string }> & {
  values?: Record<string, string>;
};

export async function addIssuerKeyAction(
  _prev: AddIssuerKeyState | null,
  form: FormData,
): Promise<AddIssuerKeyState> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const values = {
    tenant: String(form.get("tenant") ?? ""),
    kid: String(form.get("kid") ?? ""),
    publicKey: String(form.get("publicKey") ?? ""),
  };
  const parsed = addIssuerKeySchema.safeParse(values);
  if (!parsed.success) return { ...invalid(parsed.error), values };
  try {
    const added = await addIssuerKey(await getDb(), auth.authority, parsed.data);
    revalidatePath("/admin");
    return { ok: true, data: { kid: added.kid, tenant: added.tenant ?? "" } };
  } catch (err) {
    return { ...failed(err, "add the issuer key"), values };
  }
}

export async function retireIssuerKeyAction(input: {
  kid: string;
  graceSeconds: number;
}): Promise<ActionResult<{ verifiesUntil: string }>> {
  const auth = await authorizeAction(["admin"]);
  if (!auth.ok) return auth;
  const parsed = retireIssuerKeySchema.safeParse(input);
  if (!parsed.success) return invalid(parsed.error);
  try {
    const retired = await retireIssuerKey(await getDb(), auth.authority, parsed.data);
    revalidatePath("/admin");
    return { ok: true, data: { verifiesUntil: (retired.verifiesUntil as Date).toISOString() } };
  } catch (err) {
    return failed(err, "retire the issuer key");
  }
}
