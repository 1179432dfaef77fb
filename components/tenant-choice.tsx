import Link from "next/link";

/**
 * An id found in several of the user's tenants (ids are unique per tenant only): the page asks
 * which one, with a link per tenant, instead of silently showing one of them.
 */
export function TenantChoice({
  what,
  id,
  tenants,
  hrefFor,
}: {
  what: string;
  id: string;
  tenants: readonly string[];
  hrefFor: (tenant: string) => string;
}) {
  return (
    <>
      <h1>
        {what} <span className="mono">{id}</span>
      </h1>
      <p className="notice" role="status">
        This {what.toLowerCase()} id exists in {tenants.length} of your tenants. Choose one:
      </p>
      <ul data-testid="tenant-choice">
        {tenants.map((t) => (
          <li key={t}>
            <Link href={hrefFor(t)}>
              {what} <span className="mono">{id}</span> in {t}
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
