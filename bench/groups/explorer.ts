import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { migrateDatabase } from "../../db/migrate";
import type { Authority } from "../../lib/auth/authority";
import { listEvents } from "../../lib/data/events-query";
import { seedLarge } from "../../lib/demo/large";
import { onScratchPglite, onScratchPostgres } from "../databases";
import { type BenchGroup, type BenchResult, interleavedCalls, percentile } from "../harness";

const GROUP = "explorer";
// Enough calls that the p95 is not just the second-slowest call.
const RUNS = Number(process.env.BENCH_EXPLORER_RUNS ?? 500);
const WARMUP = 10;
const COLUMNS = sql.raw(
  `id, ts, tenant, type, principal, agent, session, request, tool, action, resource_type, resource_id, outcome,
   latency_ms, received_at, trace_id, span_id, fields, reason, capability_id, capability_hash, input_digest, cost, meta`,
);

const authority: Authority = {
  userId: "00000000-0000-4000-8000-000000000001",
  email: "bench@console.test",
  name: null,
  role: "investigator",
  tenants: ["acme"],
  activeTenant: null,
  sessionId: "bench",
  authTime: new Date(),
};

/** True when an EXPLAIN (FORMAT JSON) plan reads the events table with a sequential scan. */
function scansEvents(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(scansEvents);
  if (!node || typeof node !== "object") return false;
  const n = node as Record<string, unknown>;
  // The table or one of its monthly partitions (db/partitions.ts).
  if (n["Node Type"] === "Seq Scan" && /^events(_\d{4}_\d{2})?$/.test(String(n["Relation Name"])))
    return true;
  return Object.values(n).some((v) => typeof v === "object" && scansEvents(v));
}

interface Case {
  name: string;
  q: string;
  hand: SQL;
}

function cases(sample: Awaited<ReturnType<typeof seedLarge>>["sample"]): Case[] {
  const from = new Date(`${sample.day}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const page = sql`order by ts desc, id desc limit 50`;
  const t = sample.tenant;
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const rights = JSON.stringify({ rights: [{ resource: "Order", actions: ["write"] }] });
  return [
    {
      name: "principal + day",
      q: `principal:${sample.principal} after:${day(from)} before:${day(to)}`,
      hand: sql`select ${COLUMNS} from events where tenant = ${t} and principal = ${sample.principal}
                 and ts >= ${from.toISOString()} and ts < ${to.toISOString()} ${page}`,
    },
    {
      name: "cap:",
      q: `cap:${sample.childId}`,
      hand: sql`select ${COLUMNS} from events where tenant = ${t} and capability_id = ${sample.childId} ${page}`,
    },
    {
      name: "under:",
      q: `under:${sample.rootId}`,
      hand: sql`select ${COLUMNS} from events where tenant = ${t} and capability_id in (
                  select id from capabilities where tenant = ${t}
                   and (id = ${sample.rootId} or ancestors @> array[${sample.rootId}]::text[])) ${page}`,
    },
    {
      name: "cap.right:",
      q: "cap.right:Order/write",
      hand: sql`select ${COLUMNS} from events where tenant = ${t} and capability_id in (
                  select id from capabilities where tenant = ${t} and summary @> ${rights}::jsonb) ${page}`,
    },
  ];
}

async function measure(backend: string, database: Database, n: number, progress: (s: string) => void) {
  await migrateDatabase(database);
  const started = Date.now();
  let last = 0;
  const seeded = await seedLarge({
    db: database.db,
    events: n,
    onProgress: (done, total) => {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      progress(`${backend}: seeding ${done.toLocaleString("en")} / ${total.toLocaleString("en")} events`);
    },
  });
  progress(
    `${backend}: seeded ${seeded.events.toLocaleString("en")} events in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  const results: BenchResult[] = [];
  const scale = `${Math.round(n / 1000)}k events`;
  let seqScans = 0;
  for (const c of cases(seeded.sample)) {
    let rows = 0;
    const { subject: viaConsole, baseline: viaHand } = await interleavedCalls(
      async () => {
        const res = await listEvents(database.db, authority, { q: c.q, limit: 50 });
        if (res.error) throw new Error(`${c.name}: ${res.error.message}`);
        rows = res.rows.length;
      },
      () => database.db.execute(c.hand),
      { runs: RUNS, warmup: WARMUP },
    );
    const plan = (await database.db.execute(sql`explain (format json) ${c.hand}`)) as {
      rows: { "QUERY PLAN": unknown }[];
    };
    if (scansEvents(plan.rows[0]?.["QUERY PLAN"])) seqScans++;
    const p95 = percentile(viaConsole, 95);
    const handP95 = percentile(viaHand, 95);
    const postgres = backend === "postgres";
    progress(
      `${backend}: ${c.name}: p50 ${percentile(viaConsole, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (hand SQL p95 ${handP95.toFixed(1)} ms), ${rows} rows`,
    );
    results.push({
      group: GROUP,
      name: `${backend} ${scale}: ${c.name} first page, p95 vs hand-written SQL p95`,
      value: Number(p95.toFixed(2)),
      unit: "ms",
      baseline: Number(handP95.toFixed(2)),
      ratio: Number((p95 / handP95).toFixed(2)),
      target: postgres ? "<= 1.5 and p95 <= 100 ms" : null,
      pass: !postgres || (p95 / handP95 <= 1.5 && p95 <= 100),
    });
    results.push({
      group: GROUP,
      name: `${backend} ${scale}: ${c.name} first page, p50`,
      value: Number(percentile(viaConsole, 50).toFixed(2)),
      unit: "ms",
      baseline: Number(percentile(viaHand, 50).toFixed(2)),
      ratio: Number((percentile(viaConsole, 50) / percentile(viaHand, 50)).toFixed(2)),
      target: null,
      pass: true,
    });
  }
  results.push({
    group: GROUP,
    name: `${backend} ${scale}: hand-written plans that scan the whole events table`,
    value: seqScans,
    unit: "queries",
    baseline: null,
    ratio: null,
    target: backend === "postgres" ? "= 0" : null,
    pass: backend !== "postgres" || seqScans === 0,
  });
  return results;
}

async function run(): Promise<BenchResult[]> {
  const progress = (s: string) => process.stderr.write(`  ${s}\n`);
  const results: BenchResult[] = [];
  const pgEvents = Number(process.env.BENCH_EXPLORER_EVENTS ?? 1_000_000);
  const pgliteEvents = Number(process.env.BENCH_EXPLORER_PGLITE_EVENTS ?? 100_000);
  const pg = await onScratchPostgres(
    { prefix: "cc_bench_explorer", poolSize: 4, progress, missing: "its targets are not measured" },
    (database) => measure("postgres", database, pgEvents, progress),
  );
  if (pg) results.push(...pg);
  results.push(
    ...(await onScratchPglite("cc-bench-explorer", (database) =>
      measure("pglite", database, pgliteEvents, progress),
    )),
  );
  return results;
}

const group: BenchGroup = { name: GROUP, description: "explorer queries at scale vs hand-written SQL", run };
export default group;
