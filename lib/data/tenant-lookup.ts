import "server-only";
import type { Authority } from "@/lib/auth/authority";
import { ConflictError, NotFoundError } from "./console-users";

// Ids are unique per tenant only (issue 11: tenant-first keys). A console user with several
// tenants may name an id that exists in more than one of them; the console then asks which,
// and never picks one silently.

/** Thrown when an id names rows in several of the user's tenants and no tenant was given. */
export class AmbiguousTenantError extends ConflictError {
  override name = "AmbiguousTenantError";
  readonly field = "tenant";
  constructor(
    what: string,
    readonly tenants: readonly string[],
  ) {
    super(`That ${what} exists in several of your tenants (${tenants.join(", ")}): choose the tenant.`);
  }
}

/**
 * The tenants a lookup by id may search: the one asked for (if in scope) or every tenant in scope.
 * A tenant outside scope gives an empty list, so the lookup answers "unknown" and names nothing.
 */
export function lookupTenants(authority: Authority, tenant?: string | null): string[] {
  if (tenant) return authority.tenants.includes(tenant) ? [tenant] : [];
  return [...authority.tenants];
}

/** The single row an id names within the searched tenants: unknown, ambiguous, or that row. */
export function oneRow<T extends { tenant: string }>(rows: readonly T[], what: string): T {
  const [first, ...rest] = rows;
  if (!first) throw new NotFoundError(`Unknown ${what}.`);
  if (rest.length > 0) throw new AmbiguousTenantError(what, [...new Set(rows.map((r) => r.tenant))].sort());
  return first;
}
