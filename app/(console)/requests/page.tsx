import type { Metadata } from "next";
import { ComingSoon } from "@/components/ui/coming-soon";
import { requireRole } from "@/lib/auth/guard";

export const metadata: Metadata = { title: "Requests" };

export default async function Page() {
  await requireRole(["viewer", "investigator", "admin"]);
  return (
    <ComingSoon
      title="Requests"
      what="request pages with capability derivation graphs arrive with the audit explorer issue."
    />
  );
}
