import type { Metadata } from "next";
import { ComingSoon } from "@/components/ui/coming-soon";
import { requireRole } from "@/lib/auth/guard";

export const metadata: Metadata = { title: "Events" };

export default async function Page() {
  await requireRole(["viewer", "investigator", "admin"]);
  return (
    <ComingSoon
      title="Events"
      what="the events explorer (query language, keyset pagination, saved queries, export) arrives with the audit explorer issue."
    />
  );
}
