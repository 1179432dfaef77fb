import "server-only";
import { and, eq, inArray, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Executor } from "@/db/client";
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

/**
 * The one tenant among `tenants` whose table has a row matching `match` (an id), read without a
 * lock. A caller that then locks the row names this tenant alone, so no locking statement spans
 * the caller's whole scope (docs/scale.md: on Citus it stays on one shard). Undefined when no row
 * matches; an id found in several of the tenants is ambiguous, never silently one of them.
 */
export async function tenantOfRow(
  tx: Executor,
  args: { table: PgTable & { tenant: PgColumn }; tenants: readonly string[]; match: SQL; what: string },
): Promise<string | undefined> {
  if (args.tenants.length === 0) return undefined;
  const found = (await tx
    .selectDistinct({ tenant: args.table.tenant })
    .from(args.table)
    .where(and(inArray(args.table.tenant, [...args.tenants]), args.match))) as { tenant: string }[];
  if (found.length > 1) throw new AmbiguousTenantError(args.what, found.map((r) => r.tenant).sort());
  return found[0]?.tenant;
}

/**
 * The row matching `match` (an id) in the caller's tenants, locked for a change: its tenant is
 * found first (tenantOfRow), so the locking statement names that tenant alone. Absent, or in a
 * tenant outside `tenants`, it is `unknown` (NotFoundError): another tenant's row is not the
 * caller's to learn of.
 */
export async function lockRowInScope<T extends PgTable & { tenant: PgColumn }>(
  tx: Executor,
  args: { table: T; tenants: readonly string[]; match: SQL; what: string; unknown: string },
): Promise<T["$inferSelect"]> {
  const tenant = await tenantOfRow(tx, args);
  if (!tenant) throw new NotFoundError(args.unknown);
  const table: PgTable = args.table;
  const [row] = await tx
    .select()
    .from(table)
    .where(and(eq(args.table.tenant, tenant), args.match))
    .for("update");
  if (!row) throw new NotFoundError(args.unknown);
  return row as T["$inferSelect"];
}
