import type { Decision } from "@/lib/graph/waterfall";

/** A decision's word and shape, so the timeline never relies on colour alone. */
export const DECISIONS: Record<Decision, { mark: string; label: string }> = {
  allowed: { mark: "✓", label: "allowed" },
  denied: { mark: "✗", label: "denied" },
  escalated: { mark: "⇧", label: "escalated" },
  revoked: { mark: "⊘", label: "revoked" },
  error: { mark: "!", label: "error" },
};

export function DecisionMark({ decision }: { decision: Decision }) {
  const d = DECISIONS[decision];
  return (
    <span className={`decision-mark decision-${decision}`}>
      <span aria-hidden="true">{d.mark}</span> {d.label}
    </span>
  );
}
