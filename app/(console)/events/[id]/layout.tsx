import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { requirePermission } from "@/lib/auth/guard";
import { getEvent } from "@/lib/data/events-query";
import { getDb } from "@/lib/server/db";

// Outside this route's loading boundary (the list's loading.tsx sits in the (list) group for this
// reason), so an unknown event, or another tenant's, is a real 404 rather than a streamed 200.
// The page checks again for the asked tenant and reads the event itself.
export default async function EventLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ id: string }>;
}) {
  const authority = await requirePermission("events.read");
  const id = decodeURIComponent((await params).id);
  if (!(await getEvent(await getDb(), authority, { id }))) notFound();
  return children;
}
