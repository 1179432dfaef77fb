export default function Loading() {
  return (
    <div aria-busy="true" className="muted explorer-loading">
      <h1>Events</h1>
      <p>Loading events…</p>
    </div>
  );
}
