import type { Metadata } from "next";
import { ComingSoon } from "@/components/ui/coming-soon";
import { requireRole } from "@/lib/auth/guard";

export const metadata: Metadata = { title: "Principals" };

export default async function Page() {
  await requireRole(["viewer", "investigator", "admin"]);
  return (
    <ComingSoon
      title="Principals"
      what="the principal day view (everything one principal’s bot did on a day) arrives with the audit explorer issue."
    />
  );
}
