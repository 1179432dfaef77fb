import type { ReactNode } from "react";
import { requirePermission } from "@/lib/auth/guard";

// The permission is checked here, outside this route's loading boundary, so a refusal is a real
// 403 before anything streams (the page checks again and uses the authority).
export default async function Layout({ children }: { children: ReactNode }) {
  await requirePermission("escalations.read");
  return children;
}
