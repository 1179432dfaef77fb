import type { Metadata } from "next";
import { ComingSoon } from "@/components/ui/coming-soon";
import { requireRole } from "@/lib/auth/guard";

export const metadata: Metadata = { title: "Sessions" };

export default async function Page() {
  await requireRole(["investigator", "admin"]);
  return (
    <ComingSoon
      title="Sessions"
      what="active agent sessions per principal, with revoke, arrive with the escalations and revocations issue."
    />
  );
}
