"use client";

/** The Escalations page could not be shown: say so, leak nothing, offer a retry. */
export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <>
      <h1>Escalations</h1>
      <div className="notice" role="alert">
        <p>The escalations could not be loaded. Nothing was changed.</p>
        {error.digest && <p className="muted mono">Reference: {error.digest}</p>}
        <button type="button" onClick={reset}>
          Try again
        </button>
      </div>
    </>
  );
}
