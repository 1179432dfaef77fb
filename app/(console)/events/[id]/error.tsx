"use client";

import Link from "next/link";

export default function EventError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert">
      <h1>Event</h1>
      <p>This event could not be loaded. Nothing was changed.</p>
      <p className="row-actions">
        <button type="button" onClick={reset}>
          Try again
        </button>
        <Link href="/events">Back to the explorer</Link>
      </p>
    </div>
  );
}
