"use client";

export default function RequestsError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="notice">
      <h1>Requests could not be loaded</h1>
      <p>The database did not answer in time or refused the query. Nothing was changed.</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
