"use server";

import { revalidatePath } from "next/cache";
import { cookies } from "next/headers";
import { authorizeAction, TENANT_COOKIE } from "@/lib/auth/guard";
import { tenantCookieOptions } from "@/lib/auth/tenant-cookie";

/** Narrows every view to one tenant in scope, or widens back to all of them (null). */
export async function switchTenant(tenant: string | null) {
  const auth = await authorizeAction(["viewer", "investigator", "admin"]);
  if (!auth.ok) return auth;
  if (tenant !== null && (typeof tenant !== "string" || !auth.authority.tenants.includes(tenant))) {
    return { ok: false as const, error: "That tenant is outside your scope." };
  }
  const jar = await cookies();
  if (tenant) jar.set(TENANT_COOKIE, tenant, await tenantCookieOptions());
  else jar.delete(TENANT_COOKIE);
  revalidatePath("/", "layout");
  return { ok: true as const, data: { tenant } };
}
