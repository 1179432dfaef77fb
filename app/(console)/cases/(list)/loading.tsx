export default function Loading() {
  return (
    <div role="status" aria-live="polite">
      <h1>Cases</h1>
      <p className="muted">Loading cases…</p>
    </div>
  );
}
