import type { Metadata } from "next";
import { ComingSoon } from "@/components/ui/coming-soon";
import { requireRole } from "@/lib/auth/guard";

export const metadata: Metadata = { title: "Escalations" };

export default async function Page() {
  await requireRole(["investigator", "admin"]);
  return (
    <ComingSoon
      title="Escalations"
      what="issuing 60-second escalations, two-person approval and their history arrive with the escalations and revocations issue."
    />
  );
}
