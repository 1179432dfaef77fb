import { createHash, randomBytes } from "node:crypto";
import { getTableName } from "drizzle-orm";
import pg from "pg";
import type { Database } from "../../db/client";
import { migrateDatabase } from "../../db/migrate";
import { events, type NewEvent } from "../../db/schema";
import { chainHash, contentHash, GENESIS_HASH } from "../../lib/audit/chain";
import { startCheckpointer } from "../../lib/audit/checkpointer";
import { insertApiKey } from "../../lib/data/api-keys";
import { uuidv7 } from "../../lib/ids";
import { eventSchema } from "../../lib/ingest/event-schema";
import { handleIngest } from "../../lib/ingest/handler";
import { toEventContent } from "../../lib/ingest/rows";
import { generateConsoleKey } from "../../lib/server/issuer-key";
import { copyBody, copyInto } from "../copy";
import { onScratchPglite, onScratchPostgres } from "../databases";
import type { BenchGroup, BenchResult } from "../harness";
import { serveHandler } from "../http-server";

const GROUP = "ingest";
const BATCH = 500;
const BATCHES_PER_ROUND = 8;
const ROUNDS = 5;

const hex = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * A realistic tool.call event (DESIGN.md's example shape) with a fresh id. As in the demo
 * traffic, a capability authorizes a few calls (here four) before its request ends.
 */
export function makeEvent(tenant: string, i: number): Record<string, unknown> {
  const capId = hex(`cap-${Math.floor(i / 4)}`);
  return {
    id: uuidv7(),
    ts: new Date(Date.UTC(2026, 10, 26, 9, 0, 0) + i * 37).toISOString(),
    tenant,
    type: "tool.call",
    principal: `user${i % 10}@${tenant}.example`,
    agent: `user${i % 10}-assistant/research`,
    session: `sess_${i % 50}`,
    request: `req_${Math.floor(i / 8)}`,
    traceId: hex(`trace-${Math.floor(i / 8)}`).slice(0, 32),
    tool: i % 3 ? "crm.lookup_customer" : "db.query",
    action: "read",
    resource: { type: "Customer", id: `c_${i % 400}` },
    fields: ["name", "email"],
    outcome: i % 17 ? "allowed" : "denied",
    reason: i % 17 ? undefined : "resource Customer#c_9 is not Customer#c_381 (check in block 2)",
    capability: {
      id: capId,
      hash: `sha256:${hex(`h-${capId}`)}`,
      rootId: capId,
      depth: 0,
      issuer: `${tenant}-2026-11`,
      kind: "minted",
      expiresAt: "2026-11-26T10:15:03.000Z",
      summary: {
        principal: `user${i % 10}@${tenant}.example`,
        tenants: [tenant],
        rights: [{ resource: "Customer", actions: ["read"], fields: ["name", "email"] }],
        budget: { rows: 100 },
        session: `sess_${i % 50}`,
        request: `req_${Math.floor(i / 8)}`,
      },
    },
    inputDigest: `hmac-sha256:${hex(`input-${i}`)}`,
    latencyMs: 12,
    meta: { bench: true },
  };
}

const serve = (database: Database) => serveHandler((request) => handleIngest(database.db, request));

/**
 * The baseline: the same rows, chain columns computed in process, written with one multi-row
 * INSERT per batch: no validation, no idempotency check, no capability bookkeeping.
 */
// Subject keys of the baseline's rows (erasable events hash with them; lib/audit/subjects.ts).
const baselineKeys = new Map<string, Uint8Array>();
const keyOf = (subject: string) => {
  if (!baselineKeys.has(subject)) baselineKeys.set(subject, randomBytes(32));
};

function rawRows(
  batch: Record<string, unknown>[],
  chain: { seq: number; hash: string; tenant: string },
): NewEvent[] {
  return batch.map((e) => {
    const content = toEventContent(eventSchema.parse(e));
    if (content.principal) keyOf(content.principal);
    const ch = contentHash(content, baselineKeys);
    chain.seq += 1;
    const h = chainHash({ tenant: chain.tenant, seq: chain.seq, prevHash: chain.hash, contentHash: ch });
    const row = {
      ...content,
      tenant: chain.tenant,
      contentHash: ch,
      seq: chain.seq,
      prevHash: chain.hash,
      hash: h,
    };
    chain.hash = h;
    return row;
  });
}

/**
 * The physical ceiling (issue #17, point 3): COPY of the same rows, chain columns included, into
 * a table with the events table's columns and no index, key or constraint beyond NOT NULL.
 * CSV is built before the clock starts, as the raw INSERT's rows are.
 */
async function copyCeiling(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const table = `${getTableName(events)}_ceiling`;
  await client.query(
    `drop table if exists ${table}; create table ${table} (like ${getTableName(events)} including defaults)`,
  );
  return {
    async round(batches: NewEvent[][]) {
      const copy = copyBody(events, batches.flat() as Record<string, unknown>[], table);
      const t0 = performance.now();
      await copyInto(client, copy);
      return batches.flat().length / ((performance.now() - t0) / 1000);
    },
    async close() {
      await client.query(`drop table if exists ${table}`).catch(() => {});
      await client.end();
    },
  };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

async function measure(
  name: string,
  database: Database,
  progress: (s: string) => void,
  url?: string,
): Promise<{ http: number; raw: number; copy?: number }> {
  await migrateDatabase(database);
  const signer = generateConsoleKey();
  const { key } = await insertApiKey(database.db, { tenant: "bench", source: "bench", createdBy: "bench" });
  const server = await serve(database);
  // As in the console: checkpoints are signed in the background, on its usual interval.
  const checkpointer = startCheckpointer(database.db, { signer });
  const chain = { tenant: "bench-raw", seq: 0, hash: GENESIS_HASH };
  let n = 0;
  const nextBatch = () => Array.from({ length: BATCH }, () => makeEvent("bench", n++));
  const httpRound = async () => {
    const bodies = Array.from({ length: BATCHES_PER_ROUND }, () => JSON.stringify({ events: nextBatch() }));
    const t0 = performance.now();
    for (const body of bodies) {
      const res = await fetch(`${server.url}/api/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body,
      });
      const out = (await res.json()) as { accepted?: number; error?: string };
      if (res.status !== 200 || out.accepted !== BATCH)
        throw new Error(`ingest answered ${res.status}: ${JSON.stringify(out)}`);
    }
    return (BATCH * BATCHES_PER_ROUND) / ((performance.now() - t0) / 1000);
  };
  const rawRound = async () => {
    const batches = Array.from({ length: BATCHES_PER_ROUND }, () => rawRows(nextBatch(), chain));
    const t0 = performance.now();
    for (const rows of batches) await database.db.insert(events).values(rows);
    return (BATCH * BATCHES_PER_ROUND) / ((performance.now() - t0) / 1000);
  };
  const ceiling = url ? await copyCeiling(url) : undefined;
  const copyChain = { tenant: "bench-copy", seq: 0, hash: GENESIS_HASH };
  const copyRound = async () =>
    ceiling?.round(Array.from({ length: BATCHES_PER_ROUND }, () => rawRows(nextBatch(), copyChain)));
  try {
    await httpRound(); // warm-up: JIT, connection, statement plans
    await rawRound();
    await copyRound();
    const viaHttp: number[] = [];
    const raw: number[] = [];
    const copy: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      viaHttp.push(await httpRound());
      raw.push(await rawRound());
      const c = await copyRound();
      if (c !== undefined) copy.push(c);
      progress(
        `${name}: round ${r}/${ROUNDS}: http ${Math.round(viaHttp.at(-1) ?? 0)} ev/s, raw ${Math.round(raw.at(-1) ?? 0)} ev/s${c === undefined ? "" : `, COPY into an unindexed table ${Math.round(c)} ev/s`}`,
      );
    }
    return { http: median(viaHttp), raw: median(raw), ...(copy.length ? { copy: median(copy) } : {}) };
  } finally {
    await ceiling?.close();
    await checkpointer.stop();
    server.close();
  }
}

async function run(): Promise<BenchResult[]> {
  const progress = (s: string) => process.stderr.write(`  ${s}\n`);
  const results: BenchResult[] = [];
  const record = (
    backend: string,
    m: { http: number; raw: number; copy?: number },
    target: string | null,
  ) => {
    const ratio = m.http / m.raw;
    results.push({
      group: GROUP,
      name: `${backend}: events/s via HTTP (batches of ${BATCH}) vs raw multi-row INSERT`,
      value: Math.round(m.http),
      unit: "ev/s",
      baseline: Math.round(m.raw),
      ratio: Number(ratio.toFixed(3)),
      target,
      pass: target === null ? true : ratio >= 0.5,
    });
    // Issue #17 point 3's figure: HTTP ingest against the physical ceiling, same rows, same run.
    // Its target (>= 0.4) is reported, not yet met: the indexes the explorer needs are the cost.
    if (m.copy !== undefined) {
      const ofCeiling = m.http / m.copy;
      results.push({
        group: GROUP,
        name: `${backend}: events/s via HTTP vs COPY of the same rows into an unindexed table (the ceiling)`,
        value: Math.round(m.http),
        unit: "ev/s",
        baseline: Math.round(m.copy),
        ratio: Number(ofCeiling.toFixed(3)),
        target: ">= 0.4 (issue #17; not met yet)",
        pass: ofCeiling >= 0.4,
      });
    }
  };

  const pg = await onScratchPostgres(
    { prefix: "cc_bench", poolSize: 10, progress, missing: "its target is not measured" },
    (database, url) => measure("postgres", database, progress, url),
  );
  if (pg) record("postgres", pg, ">= 0.5");
  record(
    "pglite",
    await onScratchPglite("cc-bench", (database) => measure("pglite", database, progress)),
    null,
  );
  return results;
}

const group: BenchGroup = { name: GROUP, description: "ingest throughput through HTTP vs raw INSERT", run };
export default group;
