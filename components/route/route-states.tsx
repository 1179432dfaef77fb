"use client";

import Link from "next/link";
import { useEffect } from "react";

/** A route's loading state: says what is being read, in the page's place. */
export function RouteLoading({ what }: { what: string }) {
  return (
    <div aria-busy="true" aria-live="polite">
      <p className="card muted">Loading {what}…</p>
    </div>
  );
}

/**
 * A route's error state: says what failed without the server's wording (which may name a tenant
 * or a query), offers a retry and a way back. The digest lets an admin find the server log line.
 */
export function RouteError({
  what,
  error,
  reset,
  back,
}: {
  what: string;
  error: Error & { digest?: string };
  reset: () => void;
  back: { href: string; label: string };
}) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div className="notice error" role="alert">
      <p style={{ marginTop: 0 }}>
        <strong>{what} could not be shown.</strong> The console could not read it just now.
        {error.digest ? (
          <>
            {" "}
            Reference: <span className="mono">{error.digest}</span>.
          </>
        ) : null}
      </p>
      <p className="row-actions" style={{ marginBottom: 0 }}>
        <button type="button" onClick={reset}>
          Try again
        </button>
        <Link href={back.href}>{back.label}</Link>
      </p>
    </div>
  );
}
