import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePermission } from "@/lib/auth/guard";
import { can } from "@/lib/auth/permissions";
import { getEvent } from "@/lib/data/events-query";
import { findGatewayRequestsByDeniedEvent } from "@/lib/data/gateway-requests";
import { getDb } from "@/lib/server/db";
import { EventDetail, type EventRowView } from "../_components/event-detail";
import { DEFAULT_STATE } from "../url-state";
import "../explorer.css";

export const metadata: Metadata = { title: "Event" };

/**
 * One event's permalink: the explorer's detail on a page of its own, under the same rules
 * (events.read, the tenants in view, the role's columns). An unknown id and another tenant's
 * answer the same not-found page.
 */
export default async function EventPage(props: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const authority = await requirePermission("events.read");
  const { id } = await props.params;
  const sp = await props.searchParams;
  const tenant = typeof sp.tenant === "string" ? sp.tenant : null;
  const db = await getDb();
  const event = await getEvent(db, authority, { id: decodeURIComponent(id), tenant });
  if (!event) notFound();
  const row = JSON.parse(JSON.stringify(event)) as EventRowView;
  const gateway =
    can(authority, "escalations.read") && event.type === "tool.call" && event.outcome === "denied"
      ? Object.fromEntries(
          await findGatewayRequestsByDeniedEvent(db, authority, [
            { tenant: event.tenant, eventId: event.id },
          ]),
        )
      : {};
  return (
    <article className="event-page" data-testid="event-page">
      <nav aria-label="Breadcrumb" className="muted">
        <Link href="/events">Events</Link> / <span className="mono">{event.id}</span>
      </nav>
      <EventDetail
        row={row}
        state={{ ...DEFAULT_STATE, range: "all" }}
        canEscalate={can(authority, "escalations.issue")}
        canRevoke={can(authority, "sessions.revoke")}
        gatewayRequest={gateway[`${event.tenant}/${event.id}`]}
        Heading="h1"
      />
    </article>
  );
}
