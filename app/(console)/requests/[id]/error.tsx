"use client";

import Link from "next/link";

export default function RequestError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="notice">
      <h1>This request could not be loaded</h1>
      <p>The database did not answer in time or refused the query. Nothing was changed.</p>
      <p className="row-actions">
        <button type="button" onClick={reset}>
          Try again
        </button>
        <Link href="/requests">Back to requests</Link>
      </p>
    </div>
  );
}
