export default function Loading() {
  return (
    <>
      <p className="muted">Requests /</p>
      <h1>Request</h1>
      <p className="muted" role="status">
        Loading the request…
      </p>
    </>
  );
}
