import type { Role } from "@/db/schema";
import { ForbiddenError } from "@/lib/errors";

/**
 * A signed-in console user's authority for one request: built once from the session by the
 * guard and passed explicitly into the data layer, which never reads the session itself.
 */
export interface Authority {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  /** Every tenant this user may see. */
  tenants: readonly string[];
  /** The tenant chosen in the switcher, or null for all tenants in scope. */
  activeTenant: string | null;
  sessionId: string;
  /** When the user last proved who they are. */
  authTime: Date;
}

// Re-exported: the data layer and the tests import it from here, as before lib/errors existed.
export { ForbiddenError } from "@/lib/errors";

/** The tenants a query may touch: the active tenant, or all in scope. Never empty by accident. */
export function tenantsInView(authority: Authority): string[] {
  if (authority.activeTenant && authority.tenants.includes(authority.activeTenant))
    return [authority.activeTenant];
  return [...authority.tenants];
}

export function assertTenantsInScope(authority: Authority, tenants: readonly string[]): void {
  const outside = tenants.filter((t) => !authority.tenants.includes(t));
  // The message names no tenant: a tenant outside scope must not leak through errors either.
  if (outside.length > 0 || tenants.length === 0)
    throw new ForbiddenError("That tenant is outside your scope.");
}
