import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { can } from "@/lib/auth/permissions";

/**
 * The "Export evidence bundle" link for a page, or null when the user may not export or the
 * page's events are not one tenant's (a bundle covers one tenant's log).
 */
export function evidenceExportHref(
  authority: Authority,
  source: { kind: "query"; q: string } | { kind: "request" | "capability"; id: string },
  tenant?: string | null,
): string | null {
  if (!can(authority, "evidence.export")) return null;
  const inView = tenantsInView(authority);
  const t = tenant ?? (inView.length === 1 ? inView[0] : null);
  if (!t) return null;
  const params: Record<string, string> =
    source.kind === "query" ? { kind: "query", q: source.q } : { kind: source.kind, id: source.id };
  return `/evidence/export?${new URLSearchParams({ ...params, tenant: t })}`;
}
