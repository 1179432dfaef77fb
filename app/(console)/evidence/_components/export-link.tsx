import type { Authority } from "@/lib/auth/authority";
import { evidenceExportHref } from "@/lib/evidence/links";

/** "Export evidence bundle" for the explorer, a request or a capability; nothing when not allowed. */
export function EvidenceExportLink(props: {
  authority: Authority;
  source: Parameters<typeof evidenceExportHref>[1];
  tenant?: string | null;
  label?: string;
}) {
  const href = evidenceExportHref(props.authority, props.source, props.tenant);
  if (!href) return null;
  return (
    <a className="button" href={href} download data-testid="export-evidence">
      {props.label ?? "Export evidence bundle"}
    </a>
  );
}
