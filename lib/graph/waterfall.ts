// A request's timeline as rows of bars: one span row per capability (from its first to its
// last use), its calls under it, its derived capabilities (sub-agents) nested below. Pure and
// framework-free: the page computes it on the server and the component only draws percentages.

export type Decision = "allowed" | "denied" | "escalated" | "revoked" | "error";

export interface WaterfallCapability {
  id: string;
  parentId: string | null;
  kind: "minted" | "attenuated" | "escalation";
  agent: string;
}

export interface WaterfallCall {
  id: string;
  ts: Date | string;
  capabilityId: string | null;
  agent: string | null;
  tool: string | null;
  outcome: "allowed" | "denied" | "error";
  reason: string | null;
  latencyMs: number | null;
}

export interface SpanRow {
  kind: "span";
  key: string;
  capabilityId: string | null;
  capabilityKind: WaterfallCapability["kind"] | null;
  agent: string;
  level: number;
  /** ms from the request's start; null when the capability made no call here. */
  start: number | null;
  end: number | null;
  counts: Record<Decision, number>;
}

export interface CallRow {
  kind: "call";
  key: string;
  id: string;
  capabilityId: string | null;
  agent: string;
  tool: string;
  decision: Decision;
  level: number;
  at: Date;
  /** ms from the request's start. */
  start: number;
  /** The call's latency when the platform reported one. */
  duration: number | null;
  reason: string | null;
}

export type WaterfallRow = SpanRow | CallRow;

export interface Waterfall {
  origin: Date | null;
  /** ms from origin to the last call's end: the x axis' length (at least 1). */
  total: number;
  rows: WaterfallRow[];
  counts: Record<Decision, number>;
}

const REVOKED = /\bis revoked\b|\brevoked\b/i;

/** How a call was decided: escalated = allowed by an escalation; revoked = refused for a revocation. */
export function decisionOf(
  call: Pick<WaterfallCall, "outcome" | "reason">,
  capKind: string | null,
): Decision {
  if (call.outcome === "error") return "error";
  if (call.outcome === "denied") return call.reason && REVOKED.test(call.reason) ? "revoked" : "denied";
  return capKind === "escalation" ? "escalated" : "allowed";
}

const zero = (): Record<Decision, number> => ({ allowed: 0, denied: 0, escalated: 0, revoked: 0, error: 0 });

const ms = (d: Date | string) => (d instanceof Date ? d.getTime() : Date.parse(d));

/**
 * Rows in tree order: each capability's span, its calls by time, then its children ordered by
 * first use. Calls naming no capability of the request (observed spans, uncovered calls) come
 * last under one "no capability" span. `origin` defaults to the first call; pass the minting
 * time to start the axis there.
 */
export function buildWaterfall(
  capabilities: WaterfallCapability[],
  calls: WaterfallCall[],
  opts: { origin?: Date | null } = {},
): Waterfall {
  const sorted = [...calls].sort((a, b) => ms(a.ts) - ms(b.ts) || a.id.localeCompare(b.id));
  const firstCall = sorted[0] ? ms(sorted[0].ts) : null;
  const originMs =
    opts.origin && (firstCall === null || opts.origin.getTime() <= firstCall)
      ? opts.origin.getTime()
      : firstCall;
  const byId = new Map(capabilities.map((c) => [c.id, c]));
  const callsOf = new Map<string | null, WaterfallCall[]>();
  for (const c of sorted) {
    const key = c.capabilityId && byId.has(c.capabilityId) ? c.capabilityId : null;
    callsOf.set(key, [...(callsOf.get(key) ?? []), c]);
  }
  const children = new Map<string | null, WaterfallCapability[]>();
  for (const c of capabilities) {
    const parent = c.parentId && byId.has(c.parentId) ? c.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), c]);
  }
  // Subtree first use, so sub-agents appear in the order they started working.
  const firstUse = new Map<string, number>();
  const subtreeFirst = (id: string, seen = new Set<string>()): number => {
    const known = firstUse.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return Number.POSITIVE_INFINITY;
    seen.add(id);
    const own = callsOf.get(id)?.[0];
    let first = own ? ms(own.ts) : Number.POSITIVE_INFINITY;
    for (const ch of children.get(id) ?? []) first = Math.min(first, subtreeFirst(ch.id, seen));
    firstUse.set(id, first);
    return first;
  };
  const byFirstUse = (list: WaterfallCapability[]) =>
    [...list].sort((a, b) => subtreeFirst(a.id) - subtreeFirst(b.id) || a.id.localeCompare(b.id));
  const rows: WaterfallRow[] = [];
  const counts = zero();
  let total = 1;
  const rel = (t: number) => (originMs === null ? 0 : t - originMs);
  const emit = (cap: WaterfallCapability | null, level: number, list: WaterfallCall[]) => {
    const spanCounts = zero();
    const span: SpanRow = {
      kind: "span",
      key: `span-${cap?.id ?? "none"}`,
      capabilityId: cap?.id ?? null,
      capabilityKind: cap?.kind ?? null,
      agent: cap?.agent ?? "no capability",
      level,
      start: null,
      end: null,
      counts: spanCounts,
    };
    rows.push(span);
    for (const call of list) {
      const decision = decisionOf(call, cap?.kind ?? null);
      const start = rel(ms(call.ts));
      const end = start + Math.max(0, call.latencyMs ?? 0);
      spanCounts[decision]++;
      counts[decision]++;
      span.start = span.start === null ? start : Math.min(span.start, start);
      span.end = span.end === null ? end : Math.max(span.end, end);
      total = Math.max(total, end);
      rows.push({
        kind: "call",
        key: `call-${call.id}`,
        id: call.id,
        capabilityId: cap?.id ?? call.capabilityId,
        agent: call.agent ?? cap?.agent ?? "unknown agent",
        tool: call.tool ?? "?",
        decision,
        level: level + 1,
        at: new Date(ms(call.ts)),
        start,
        duration: call.latencyMs ?? null,
        reason: call.reason,
      });
    }
  };
  const visited = new Set<string>();
  const walk = (cap: WaterfallCapability, level: number) => {
    if (visited.has(cap.id)) return;
    visited.add(cap.id);
    emit(cap, level, callsOf.get(cap.id) ?? []);
    for (const child of byFirstUse(children.get(cap.id) ?? [])) walk(child, level + 1);
  };
  for (const root of byFirstUse(children.get(null) ?? [])) walk(root, 0);
  // A parent cycle in bad data has no root: draw what the walk missed at the top, never lose it.
  for (const cap of byFirstUse(capabilities)) walk(cap, 0);
  const loose = callsOf.get(null);
  if (loose?.length) emit(null, 0, loose);
  return { origin: originMs === null ? null : new Date(originMs), total, rows, counts };
}
