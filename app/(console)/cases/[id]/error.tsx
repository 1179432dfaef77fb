"use client";

import Link from "next/link";

// A failure while reading one case: say so, offer a retry and the way back; details stay on the server.
export default function CaseError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert">
      <h1>Case</h1>
      <p className="error">The case could not be loaded. Nothing was changed.</p>
      <p className="row-actions">
        <button type="button" onClick={reset}>
          Try again
        </button>
        <Link href="/cases">All cases</Link>
      </p>
    </div>
  );
}
