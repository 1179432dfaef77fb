import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { can } from "@/lib/auth/permissions";

/**
 * The "Export evidence bundle" links for a page: one per tenant the page's events may belong to
 * (a bundle covers one tenant's log), none when the user may not export.
 */
export function evidenceExportLinks(
  authority: Authority,
  source: { kind: "query"; q: string } | { kind: "request" | "capability"; id: string },
  tenant?: string | null,
): { tenant: string; href: string }[] {
  if (!can(authority, "evidence.export")) return [];
  const tenants = tenant ? [tenant] : tenantsInView(authority);
  const params: Record<string, string> =
    source.kind === "query" ? { kind: "query", q: source.q } : { kind: source.kind, id: source.id };
  return tenants.map((t) => ({
    tenant: t,
    href: `/evidence/export?${new URLSearchParams({ ...params, tenant: t })}`,
  }));
}
