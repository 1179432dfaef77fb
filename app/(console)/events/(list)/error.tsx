"use client";

import Link from "next/link";

export default function EventsError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert">
      <h1>Events</h1>
      <p>The explorer could not load these events. Nothing was changed.</p>
      <p className="row-actions">
        <button type="button" onClick={reset}>
          Try again
        </button>
        <Link href="/events">Start over</Link>
      </p>
    </div>
  );
}
