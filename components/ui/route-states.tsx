"use client";

import Link from "next/link";
import { useEffect, useRef } from "react";
import "./route-states.css";

/** A placeholder the size of the panel it stands for, announced politely to screen readers. */
export function PanelSkeleton({ label, rows = 4 }: { label: string; rows?: number }) {
  return (
    <div className="card skeleton" role="status" aria-live="polite" aria-label={label}>
      <span className="sr-only">{label}…</span>
      {Array.from({ length: rows }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: fixed placeholder lines, never reordered.
        <div key={i} className="skeleton-line" style={{ width: `${90 - ((i * 17) % 40)}%` }} />
      ))}
    </div>
  );
}

/** What a route shows while its server component loads: the shell stays, this fills the page. */
export function RouteLoading({ what = "page" }: { what?: string }) {
  return (
    <div aria-busy="true">
      <div className="skeleton-line skeleton-title" />
      <PanelSkeleton label={`Loading ${what}`} rows={8} />
    </div>
  );
}

/**
 * A route's error state: says that this page failed (not the console), offers a retry, and shows
 * the digest an operator can find in the server log. The error's message is not shown: in
 * production Next replaces it anyway, and it could carry details meant for the log only.
 */
export function RouteError({
  error,
  reset,
  what = "This page",
  back = { href: "/", label: "Go to the overview" },
}: {
  error: Error & { digest?: string };
  reset: () => void;
  what?: string;
  /** Where to go instead: the route's parent list, say. */
  back?: { href: string; label: string };
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <div className="card" role="alert">
      <h1 ref={heading} tabIndex={-1}>
        {what} could not be loaded
      </h1>
      <p>
        The rest of the console still works. Try again; if it keeps failing, give this reference to whoever
        runs the console: <span className="mono">{error.digest ?? "no reference (see the server log)"}</span>
      </p>
      <p style={{ display: "flex", gap: 8 }}>
        <button type="button" className="primary" onClick={() => reset()}>
          Try again
        </button>
        <Link href={back.href}>{back.label}</Link>
      </p>
    </div>
  );
}

/**
 * A route's error.tsx in one line: `export default routeError("Alerts")`. Each route names
 * itself (and where to go instead); the behaviour is RouteError's.
 */
export function routeError(what: string, back?: { href: string; label: string }) {
  // biome-ignore lint/correctness/noComponentHookFactories: called once per error.tsx at module load, never while rendering.
  return function RouteErrorBoundary({
    error,
    reset,
  }: {
    error: Error & { digest?: string };
    reset: () => void;
  }) {
    return <RouteError error={error} reset={reset} what={what} back={back} />;
  };
}
