import type { Metadata } from "next";
import { ComingSoon } from "@/components/ui/coming-soon";
import { requireRole } from "@/lib/auth/guard";

export const metadata: Metadata = { title: "Revocations" };

export default async function Page() {
  await requireRole(["investigator", "admin"]);
  return (
    <ComingSoon
      title="Revocations"
      what="the revocation feed, with who revoked what and why, arrives with the escalations and revocations issue."
    />
  );
}
