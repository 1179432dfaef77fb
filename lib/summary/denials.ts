// Denial reasons, as the capability core and the gateway write them, grouped into the few plain
// categories a manager can act on. The exact reason stays available beside the category (hover /
// focus): the category is a reading aid, never a replacement for the check that failed.
// Sources of the wording: packages/sdk/src/capability/reasons.ts (explainDenial, explainScope,
// explainCheck), revocation.ts (revocationReason), gateway/policy.ts (no rule allows …) and the
// escalation refusals of gateway/calls.ts and lib/demo.

export type DenialCategory =
  | "no-right"
  | "outside-resources"
  | "outside-fields"
  | "expired"
  | "revoked"
  | "budget"
  | "policy"
  | "other";

export const DENIAL_LABEL: Record<DenialCategory, string> = {
  "no-right": "no right for this action",
  "outside-resources": "outside allowed resources",
  "outside-fields": "asked for fields it may not see",
  expired: "expired",
  revoked: "revoked",
  budget: "budget exhausted",
  policy: "not allowed by policy",
  other: "other reason",
};

// Order matters: a revoked or expired capability is the first thing to fix, whatever else failed.
const RULES: [RegExp, DenialCategory][] = [
  [/\bis revoked\b|\brevoked\b/i, "revoked"],
  [/\bexpired\b/i, "expired"],
  [/\bexceeds budget\b|\bbudget\b/i, "budget"],
  [/^no right grants\b|\bno right grants\b|\baction \S+ is not\b/i, "no-right"],
  [/\bresource \S+ is not\b|outside the narrowed scope/i, "outside-resources"],
  [/\bfields? .* (are|is) outside\b/i, "outside-fields"],
  [
    /\bno rule allows\b|\bdeny policy\b|\bauthorizer check failed\b|^check failed\b|\(check in block/i,
    "policy",
  ],
];

/** The plain category of one denial reason; unknown or missing wording is "other". */
export function categorizeDenial(reason: string | null | undefined): DenialCategory {
  if (!reason) return "other";
  for (const [re, category] of RULES) if (re.test(reason)) return category;
  return "other";
}

export interface CategorizedDenials {
  category: DenialCategory;
  label: string;
  count: number;
  /** The exact reasons in this category, most frequent first (for hover / focus). */
  reasons: { reason: string; count: number }[];
}

/** Groups denial counts by category, largest first; each keeps its exact reasons. */
export function groupDenials(
  rows: readonly { reason: string | null; count: number }[],
): CategorizedDenials[] {
  const by = new Map<DenialCategory, Map<string, number>>();
  for (const r of rows) {
    const category = categorizeDenial(r.reason);
    const reasons = by.get(category) ?? new Map<string, number>();
    const key = r.reason ?? "no reason given";
    reasons.set(key, (reasons.get(key) ?? 0) + r.count);
    by.set(category, reasons);
  }
  return [...by]
    .map(([category, reasons]) => ({
      category,
      label: DENIAL_LABEL[category],
      count: [...reasons.values()].reduce((s, n) => s + n, 0),
      reasons: [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count })),
    }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}
