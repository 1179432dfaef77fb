import type { CaseItemKind, CaseVerdict } from "@/db/schema";

export const VERDICT_LABELS: Record<CaseVerdict, string> = {
  benign: "benign",
  misuse: "misuse",
  false_positive: "false positive",
};

export const KIND_LABELS: Record<CaseItemKind, string> = {
  event: "Events",
  capability: "Capabilities",
  request: "Requests",
  session: "Sessions",
  principal: "Principals",
};
