import "server-only";
import { and, count, desc, eq, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { events } from "@/db/schema";
import { type Authority, tenantsInView } from "@/lib/auth/authority";
import { assertCan } from "@/lib/auth/permissions";
import { eventsSince } from "@/lib/query/event-time";

// Coverage (issue 13): the share of tool calls that ran under a capability. An attested
// tool.call always names its capability (the v1 schema requires one); an observed one (from
// traces) does only when the agent put capcon.capability.id on its span. So coverage is how far
// a team has moved from "we trace our agents" to "our agents hold capabilities".

export interface CoverageCount {
  name: string;
  calls: number;
  covered: number;
}

export interface Coverage {
  calls: number;
  covered: number;
  /** covered / calls, or null without calls. */
  share: number | null;
  observed: number;
  /** One bucket per day (or hour) of the window, oldest first. */
  series: { label: string; calls: number; covered: number }[];
  tenants: CoverageCount[];
  agents: CoverageCount[];
  tools: CoverageCount[];
  /** Tools called in the window that never carried a capability, most called first. */
  neverCovered: string[];
}

const COVERED = sql<number>`count(*) filter (where ${events.capabilityId} is not null)`.mapWith(Number);
const OBSERVED = sql<number>`count(*) filter (where ${events.tier} = 'observed')`.mapWith(Number);

export function coverageShare(c: { calls: number; covered: number }): number | null {
  return c.calls > 0 ? c.covered / c.calls : null;
}

/** "82%", or "—" without calls; never rounds a partial coverage up to 100% or down to 0%. */
export function percent(share: number | null): string {
  if (share === null) return "—";
  const p = Math.round(share * 100);
  if (p === 100 && share < 1) return ">99%";
  if (p === 0 && share > 0) return "<1%";
  return `${p}%`;
}

/**
 * Coverage of the tool calls in [from, to) within the caller's tenants, optionally one
 * principal's. Open to every role: it says how many calls carried a capability, nothing about
 * which capability.
 */
export async function getCoverage(
  db: Db,
  authority: Authority,
  args: { from: Date; to: Date; principal?: string; bucket: "day" | "hour" },
): Promise<Coverage> {
  assertCan(authority, "console.read");
  const conds: SQL[] = [
    inArray(events.tenant, tenantsInView(authority)),
    eq(events.type, "tool.call"),
    eventsSince(args.from),
    lt(events.ts, args.to),
  ];
  if (args.principal !== undefined) conds.push(eq(events.principal, args.principal));
  const where = and(...conds);
  const fmt = args.bucket === "day" ? "YYYY-MM-DD" : "HH24";
  const bucket = sql<string>`to_char(${events.ts} at time zone 'UTC', ${sql.raw(`'${fmt}'`)})`;
  const grouped = (col: typeof events.tenant | typeof events.agent | typeof events.tool) =>
    db
      .select({ name: col, calls: count(), covered: COVERED })
      .from(events)
      .where(where)
      .groupBy(col)
      .orderBy(desc(count()))
      .limit(50);
  const [[total], series, tenants, agents, tools] = await Promise.all([
    db.select({ calls: count(), covered: COVERED, observed: OBSERVED }).from(events).where(where),
    db.select({ label: bucket, calls: count(), covered: COVERED }).from(events).where(where).groupBy(bucket),
    grouped(events.tenant),
    grouped(events.agent),
    grouped(events.tool),
  ]);
  const step = args.bucket === "day" ? 86_400_000 : 3_600_000;
  const slots = Math.max(1, Math.ceil((args.to.getTime() - args.from.getTime()) / step));
  const labelOf = (t: number) =>
    args.bucket === "day" ? new Date(t).toISOString().slice(0, 10) : new Date(t).toISOString().slice(11, 13);
  const filled = Array.from({ length: Math.min(slots, 62) }, (_, i) => {
    const label = labelOf(args.from.getTime() + i * step);
    const hit = series.find((s) => s.label === label);
    return { label, calls: hit?.calls ?? 0, covered: hit?.covered ?? 0 };
  });
  const named = (rows: { name: string | null; calls: number; covered: number }[]) =>
    rows.map((r) => ({ name: r.name ?? "(none)", calls: r.calls, covered: r.covered }));
  const calls = total?.calls ?? 0;
  const covered = total?.covered ?? 0;
  return {
    calls,
    covered,
    share: coverageShare({ calls, covered }),
    observed: total?.observed ?? 0,
    series: filled,
    tenants: named(tenants),
    agents: named(agents),
    tools: named(tools),
    neverCovered: named(tools)
      .filter((t) => t.covered === 0)
      .map((t) => t.name),
  };
}

/** "82% of alice@acme.example's calls carried a capability; crm.export never did." */
export function coverageSentence(c: Coverage, who: string): string {
  if (c.calls === 0) return `No tool calls by ${who} in this window.`;
  const whose = who.endsWith("s") ? `${who}'` : `${who}'s`;
  const head = `${percent(c.share)} of ${whose} ${c.calls.toLocaleString("en")} tool call${c.calls === 1 ? "" : "s"} carried a capability`;
  if (c.neverCovered.length === 0) return `${head}.`;
  const shown = c.neverCovered.slice(0, 3).join(", ");
  const more = c.neverCovered.length > 3 ? ` and ${c.neverCovered.length - 3} more` : "";
  return `${head}; ${shown}${more} never did.`;
}

/** The panel's plain props: figures formatted on the server, agents then tools. */
export function coverageView(c: Coverage, who: string) {
  const row = (kind: string) => (r: CoverageCount) => ({ kind, ...r, percent: percent(coverageShare(r)) });
  return {
    calls: c.calls,
    covered: c.covered,
    observed: c.observed,
    percent: percent(c.share),
    sentence: coverageSentence(c, who),
    series: c.series,
    rows: [
      ...(c.tenants.length > 1 ? c.tenants.map(row("tenant")) : []),
      ...c.agents.slice(0, 8).map(row("agent")),
      ...c.tools.slice(0, 12).map(row("tool")),
    ],
  };
}
