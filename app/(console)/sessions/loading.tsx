export default function Loading() {
  return (
    <>
      <h1>Sessions</h1>
      <p className="muted" role="status">
        Loading sessions…
      </p>
    </>
  );
}
