import type { Authority } from "@/lib/auth/authority";
import { evidenceExportLinks } from "@/lib/evidence/links";

/** "Export evidence bundle" for the explorer, a request or a capability; nothing when not allowed. */
export function EvidenceExportLink(props: {
  authority: Authority;
  source: Parameters<typeof evidenceExportLinks>[1];
  tenant?: string | null;
  label?: string;
}) {
  const links = evidenceExportLinks(props.authority, props.source, props.tenant);
  const label = props.label ?? "Export evidence bundle";
  return links.map((l) => (
    <a key={l.tenant} className="button" href={l.href} download data-testid="export-evidence">
      {links.length > 1 ? `${label} (${l.tenant})` : label}
    </a>
  ));
}
