// Two capabilities or two requests side by side: what differs, computed once here so the page
// only marks it. Blocks are aligned by key (block index for a capability's chain; depth, agent
// and occurrence for a request's capabilities), rights compared as lines, calls by tool.

export interface CompareBlock {
  key: string;
  label: string;
  capabilityId: string;
  agent: string;
  kind: "minted" | "attenuated" | "escalation";
  rights: string[];
  budget: string[];
  expiresAt: string | null;
  /** What this step narrowed from the block before it (empty for the first). */
  narrowed: string[];
}

export interface CompareCall {
  id: string;
  ts: Date;
  tool: string | null;
  outcome: "allowed" | "denied" | "error";
  reason: string | null;
  capabilityId: string | null;
}

export interface CompareSide {
  kind: "capability" | "request";
  id: string;
  tenant: string;
  principal: string | null;
  agent: string | null;
  blocks: CompareBlock[];
  counts: { allowed: number; denied: number; error: number };
  calls: CompareCall[];
  callsTruncated: boolean;
}

export interface BlockDiff {
  key: string;
  a: CompareBlock | null;
  b: CompareBlock | null;
  /** Rights lines in one side's block and not the other's. */
  onlyA: string[];
  onlyB: string[];
  narrowedDiffers: boolean;
}

export interface ToolDiff {
  tool: string;
  a: { allowed: number; denied: number; error: number };
  b: { allowed: number; denied: number; error: number };
  differs: boolean;
}

export interface CompareDiff {
  blocks: BlockDiff[];
  tools: ToolDiff[];
  countsDiffer: { allowed: boolean; denied: boolean; error: boolean };
}

const setOf = (xs: string[]) => new Set(xs);

/** Keys blocks so equal positions meet: "depth:agent#n" for a request, the index for a chain. */
export function keyRequestBlocks<T extends { depth: number; agent: string }>(nodes: T[]): string[] {
  const seen = new Map<string, number>();
  return nodes.map((n) => {
    const base = `${n.depth}:${n.agent}`;
    const i = (seen.get(base) ?? 0) + 1;
    seen.set(base, i);
    return `${base}#${i}`;
  });
}

function toolCounts(calls: CompareCall[]) {
  const out = new Map<string, { allowed: number; denied: number; error: number }>();
  for (const c of calls) {
    const t = c.tool ?? "?";
    const v = out.get(t) ?? { allowed: 0, denied: 0, error: 0 };
    v[c.outcome]++;
    out.set(t, v);
  }
  return out;
}

export function diffSides(a: CompareSide, b: CompareSide): CompareDiff {
  const bByKey = new Map(b.blocks.map((x) => [x.key, x]));
  const aKeys = new Set(a.blocks.map((x) => x.key));
  const blocks: BlockDiff[] = [];
  for (const x of a.blocks) {
    const y = bByKey.get(x.key) ?? null;
    const ys = setOf(y?.rights ?? []);
    const xs = setOf(x.rights);
    blocks.push({
      key: x.key,
      a: x,
      b: y,
      onlyA: x.rights.filter((r) => !ys.has(r)),
      onlyB: (y?.rights ?? []).filter((r) => !xs.has(r)),
      narrowedDiffers: y ? x.narrowed.join("·") !== y.narrowed.join("·") : true,
    });
  }
  for (const y of b.blocks)
    if (!aKeys.has(y.key))
      blocks.push({ key: y.key, a: null, b: y, onlyA: [], onlyB: y.rights, narrowedDiffers: true });
  const ta = toolCounts(a.calls);
  const tb = toolCounts(b.calls);
  const none = { allowed: 0, denied: 0, error: 0 };
  const tools = [...new Set([...ta.keys(), ...tb.keys()])].sort().map((tool) => {
    const x = ta.get(tool) ?? none;
    const y = tb.get(tool) ?? none;
    return {
      tool,
      a: x,
      b: y,
      differs: x.allowed !== y.allowed || x.denied !== y.denied || x.error !== y.error,
    };
  });
  return {
    blocks,
    tools,
    countsDiffer: {
      allowed: a.counts.allowed !== b.counts.allowed,
      denied: a.counts.denied !== b.counts.denied,
      error: a.counts.error !== b.counts.error,
    },
  };
}
