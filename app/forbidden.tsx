import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="message-wrap">
      <div className="card login-card">
        <h1>Not allowed</h1>
        <p>Your role does not allow this page. If you need it, ask an admin of your tenant.</p>
        <Link href="/">Back to the overview</Link>
      </div>
    </main>
  );
}
