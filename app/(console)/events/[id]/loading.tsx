export default function Loading() {
  return (
    <div aria-busy="true" className="muted explorer-loading">
      <h1>Event</h1>
      <p>Loading the event…</p>
    </div>
  );
}
