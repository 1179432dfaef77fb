export default function Loading() {
  return (
    <>
      <h1>Requests</h1>
      <p className="muted" role="status">
        Loading requests…
      </p>
    </>
  );
}
