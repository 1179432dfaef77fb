// Here, one level up from [id]: its layout throws notFound() (for a real 404 status), and a
// not-found.tsx catches only what is thrown below the layout of its own segment.
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
