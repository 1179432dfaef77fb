import Link from "next/link";

/** Newer / older page links for a keyset listing; a missing side is shown disabled, not hidden. */
export function KeysetPager({
  prevHref,
  nextHref,
  label,
}: {
  prevHref: string | null;
  nextHref: string | null;
  label: string;
}) {
  if (!prevHref && !nextHref) return null;
  return (
    <nav className="pager" aria-label={label}>
      {prevHref ? (
        <Link href={prevHref} rel="prev">
          ← Newer
        </Link>
      ) : (
        <span className="muted" aria-disabled="true">
          ← Newer
        </span>
      )}
      {nextHref ? (
        <Link href={nextHref} rel="next">
          Older →
        </Link>
      ) : (
        <span className="muted" aria-disabled="true">
          Older →
        </span>
      )}
    </nav>
  );
}
