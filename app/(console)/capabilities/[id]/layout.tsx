import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { requirePermission } from "@/lib/auth/guard";
import { tenantsHolding } from "@/lib/data/capabilities";
import { getDb } from "@/lib/server/db";

// Outside this route's loading boundary, so a capability no tenant in view holds is a real 404
// rather than a streamed 200. The page checks again for the asked tenant.
export default async function CapabilityLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ id: string }>;
}) {
  const authority = await requirePermission("console.read");
  const capability = (await params).id;
  if ((await tenantsHolding(await getDb(), authority, { capability })).length === 0) notFound();
  return children;
}
