"use client";

// A failure while reading the cases: say so and offer a retry; the details stay in the server log.
export default function CasesError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert">
      <h1>Cases</h1>
      <p className="error">The cases could not be loaded. Nothing was changed.</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
