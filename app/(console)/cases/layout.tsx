import type { ReactNode } from "react";
import { requirePermission } from "@/lib/auth/guard";

// Not the check (each page and action makes its own): loading.tsx streams the page, and a refusal
// thrown inside that stream would reach the browser as a 200. Refusing here, outside the loading
// boundary, keeps a viewer's answer a real 403.
export default async function CasesLayout({ children }: { children: ReactNode }) {
  await requirePermission("cases.manage");
  return children;
}
