import Link from "next/link";

export default function EventNotFound() {
  return (
    <div data-testid="event-not-found">
      <h1>Event not found</h1>
      <p>No event with this id is in your tenants.</p>
      <Link href="/events">Back to the explorer</Link>
    </div>
  );
}
