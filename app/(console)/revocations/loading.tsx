/** Shown while the Revocations page reads its rows. */
export default function Loading() {
  return (
    <>
      <h1>Revocations</h1>
      <p className="muted" role="status" aria-live="polite">
        Loading revocations…
      </p>
    </>
  );
}
