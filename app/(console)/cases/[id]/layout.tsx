import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { requirePermission } from "@/lib/auth/guard";
import { caseExists } from "@/lib/data/cases";
import { getDb } from "@/lib/server/db";

// Outside the loading boundary (the list's loading.tsx sits in the (list) group for this reason) so an unknown case (or another tenant's) is a real 404, not a 200
// stream that ends in "not found". The page checks again and reads the case itself.
export default async function CaseLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ id: string }>;
}) {
  const authority = await requirePermission("cases.manage");
  if (!(await caseExists(await getDb(), authority, (await params).id))) notFound();
  return children;
}
