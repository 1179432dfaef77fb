/** Shown while the Escalations page reads its rows. */
export default function Loading() {
  return (
    <>
      <h1>Escalations</h1>
      <p className="muted" role="status" aria-live="polite">
        Loading escalations…
      </p>
    </>
  );
}
