import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { requirePermission } from "@/lib/auth/guard";
import { tenantsHolding } from "@/lib/data/capabilities";
import { getDb } from "@/lib/server/db";

// Outside this route's loading boundary (the list's loading.tsx sits in the (list) group), so a
// request no tenant in view holds is a real 404 rather than a streamed 200. The page checks again.
export default async function RequestLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ id: string }>;
}) {
  const authority = await requirePermission("console.read");
  const request = decodeURIComponent((await params).id);
  if ((await tenantsHolding(await getDb(), authority, { request })).length === 0) notFound();
  return children;
}
