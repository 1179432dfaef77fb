export default function Loading() {
  return (
    <>
      <h1>Compare</h1>
      <p className="muted" role="status">
        Comparing…
      </p>
    </>
  );
}
