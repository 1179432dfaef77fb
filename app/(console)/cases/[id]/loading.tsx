export default function Loading() {
  return (
    <div role="status" aria-live="polite">
      <p className="muted">Cases /</p>
      <h1>Case</h1>
      <p className="muted">Loading the case, its pinned items and history…</p>
    </div>
  );
}
