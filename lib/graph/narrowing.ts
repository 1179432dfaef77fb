// What one derivation step took away, in words for an edge label. Works on the capability
// summaries as stored from events (rights, budget) plus expiry; framework-free.

export interface SummaryRight {
  resource: string;
  actions: string[];
  ids?: string[];
  fields?: string[];
}

export interface SummaryLike {
  rights?: SummaryRight[];
  budget?: Record<string, number>;
}

export interface CapabilityShape {
  summary: SummaryLike;
  expiresAt: Date | string | null;
}

function list(values: string[], max = 3): string {
  return values.length <= max
    ? values.join(", ")
    : `${values.slice(0, max).join(", ")} +${values.length - max}`;
}

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m}m` : `${Math.round(m / 60)}h`;
}

/** Each phrase names one dimension the child lost: resources, actions, ids, fields, budget, expiry. */
export function describeNarrowing(parent: CapabilityShape, child: CapabilityShape): string[] {
  const out: string[] = [];
  const pr = parent.summary.rights ?? [];
  const cr = child.summary.rights ?? [];
  const childResources = new Set(cr.map((r) => r.resource));
  const dropped = [...new Set(pr.map((r) => r.resource))].filter((r) => !childResources.has(r));
  if (dropped.length > 0 && cr.length > 0) out.push(`only ${list([...childResources])}`);
  else if (cr.length === 0 && pr.length > 0) out.push("no rights left");
  for (const c of cr) {
    const parents = pr.filter((p) => p.resource === c.resource);
    if (parents.length === 0) continue;
    const pActions = new Set(parents.flatMap((p) => p.actions));
    if (c.actions.length < pActions.size) out.push(`${c.resource}: ${c.actions.join("/")} only`);
    const pAllIds = parents.some((p) => !p.ids);
    const pIds = new Set(parents.flatMap((p) => p.ids ?? []));
    if (c.ids && (pAllIds || c.ids.length < pIds.size)) out.push(`${c.resource} ids ${list(c.ids)}`);
    const pAllFields = parents.some((p) => !p.fields);
    const pFields = new Set(parents.flatMap((p) => p.fields ?? []));
    if (c.fields && (pAllFields || c.fields.length < pFields.size)) out.push(`fields ${list(c.fields)}`);
  }
  const pb = parent.summary.budget ?? {};
  for (const [k, v] of Object.entries(child.summary.budget ?? {})) {
    if (pb[k] === undefined || v < (pb[k] as number)) out.push(`${k} ≤ ${v}`);
  }
  const pe = parent.expiresAt ? new Date(parent.expiresAt).getTime() : Number.POSITIVE_INFINITY;
  const ce = child.expiresAt ? new Date(child.expiresAt).getTime() : Number.POSITIVE_INFINITY;
  if (ce < pe) out.push(Number.isFinite(pe) ? `expires ${minutes(pe - ce)} sooner` : "now expires");
  return out;
}
