import Link from "next/link";

export default function NotFound() {
  return (
    <main className="message-wrap">
      <div className="card login-card">
        <h1>Not found</h1>
        <p>There is nothing at this address, or it is outside your tenants.</p>
        <Link href="/">Back to the overview</Link>
      </div>
    </main>
  );
}
