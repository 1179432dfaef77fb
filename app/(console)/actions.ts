"use server";

import { cookies } from "next/headers";
import { z } from "zod";
import { defineAction } from "@/lib/actions/pipeline";
import { TENANT_COOKIE } from "@/lib/auth/guard";
import { tenantCookieOptions } from "@/lib/auth/tenant-cookie";
import { ForbiddenError } from "@/lib/errors";

const switchTenantSchema = z.string().min(1).nullable();

/** Narrows every view to one tenant in scope, or widens back to all of them (null). */
export const switchTenant = defineAction({
  permission: "tenant.switch",
  schema: switchTenantSchema,
  what: "switch the tenant",
  read: (tenant: string | null) => tenant,
  run: async ({ authority, input: tenant }) => {
    if (tenant !== null && !authority.tenants.includes(tenant))
      throw new ForbiddenError("That tenant is outside your scope.");
    const jar = await cookies();
    if (tenant) jar.set(TENANT_COOKIE, tenant, await tenantCookieOptions());
    else jar.delete(TENANT_COOKIE);
    return { tenant };
  },
  revalidate: [["/", "layout"]],
});
