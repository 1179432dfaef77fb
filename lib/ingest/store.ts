import type { IngestItemStatus, IngestResponse } from "@capability-console/sdk/schema";
import { sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { appendEvents, lockChainHead } from "@/lib/audit/append";
import { type ChainedContent, contentHash } from "@/lib/audit/chain";
import { ContentUnverifiable, ensureSubjectKeys, loadSubjectKeys, subjectsOf } from "@/lib/audit/subjects";
import type { IngestEvent } from "./event-schema";
import { upsertCapabilities, upsertSessions } from "./graph";
import { capabilityFacts, toEventContent } from "./rows";

/** The 200 answer of POST /api/v1/events: the SDK's wire type (packages/sdk/src/schema/wire.ts). */
export type ItemStatus = IngestItemStatus;
export type StoreResult = IngestResponse;

// No checkpoint is signed here: signing under the tenant's lock made every batch of that tenant
// wait for a signature and a row. lib/audit/checkpointer.ts covers the new head within its bound.
export interface StoreOptions {
  /** The ingest key's source: named when a platform's own revocation report is shown. */
  source?: string;
  /** Test hook: runs inside the transaction, after every write, before COMMIT. */
  beforeCommit?: () => Promise<void>;
}

// unique_violation (a concurrent writer of the same tenant's row), serialization_failure,
// deadlock_detected: the transaction rolled back whole, so running it again is safe.
const RETRYABLE = new Set(["23505", "40001", "40P01"]);
const MAX_ATTEMPTS = 4;

export function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/**
 * Stores a validated batch of one tenant's events exactly once. Inside one transaction it first
 * locks the tenant's chain head (appendEvents locks the same row again, harmlessly), so a
 * concurrent batch with the same ids either committed before (its rows are seen here and
 * reported as duplicates or conflicts) or waits for this one. Only new events are chained:
 * a duplicate never takes a sequence number. The caller replies only after this resolves,
 * that is after COMMIT.
 */
export async function storeBatch(
  db: Db,
  args: { tenant: string; events: readonly IngestEvent[] } & StoreOptions,
): Promise<StoreResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => storeInTx(tx, args));
    } catch (err) {
      const code = pgCode(err);
      if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

async function storeInTx(
  tx: Tx,
  args: { tenant: string; events: readonly IngestEvent[] } & StoreOptions,
): Promise<StoreResult> {
  const { tenant } = args;
  await lockChainHead(tx, tenant);

  const contents = args.events.map(toEventContent);
  const ids = [...new Set(contents.map((c) => c.id))];
  // Only this tenant's rows: another tenant's event with the same id is none of this key's
  // business, and the answer must not reveal that it exists (issue 11).
  const existing = new Map<string, { contentHash: string; erased: boolean }>();
  // The ids as one JSON parameter: an IN list binds one parameter per id, which costs more to
  // build and to parse than the index probes cost.
  for (let i = 0; i < ids.length; i += 500) {
    const found = (await tx.execute(sql`
      select "id", "content_hash" as "contentHash", "erased" is not null as "erased" from "events"
       where "tenant" = ${tenant}
         and "id" in (select json_array_elements_text(${JSON.stringify(ids.slice(i, i + 500))}::json))`)) as unknown as {
      rows: { id: string; contentHash: string; erased: boolean }[];
    };
    for (const r of found.rows) existing.set(r.id, r);
  }

  // Erasable events (lib/audit/subjects.ts) hash with their subject's key, created on first use
  // by a new event only: a retry of an erased person's old event must not bring the name back.
  const fresh0 = contents.filter((c) => !existing.has(c.id));
  const keys = await ensureSubjectKeys(tx, tenant, subjectsOf(fresh0));
  const retried = subjectsOf(contents.filter((c) => existing.has(c.id))).filter((s) => !keys.has(s));
  for (const [s, k] of await loadSubjectKeys(tx, tenant, retried)) keys.set(s, k);
  const hashes = contents.map((c) => {
    try {
      return contentHash(c, keys);
    } catch (err) {
      // A retry of an erased person's event: no key any more (judged below as a duplicate).
      if (err instanceof ContentUnverifiable) return "";
      throw err;
    }
  });

  const results: StoreResult["results"] = [];
  const fresh: ChainedContent[] = [];
  const freshHashes: string[] = [];
  const freshEvents: IngestEvent[] = [];
  // An id repeated inside the batch is judged against its first occurrence, like a retry.
  const firstInBatch = new Map<string, string>();
  contents.forEach((c, i) => {
    const hash = hashes[i] as string;
    const before = existing.get(c.id);
    const earlier = firstInBatch.get(c.id);
    let status: ItemStatus;
    // An erased event can no longer be compared: its id is taken, so a retry is a duplicate.
    if (before) status = before.contentHash === hash || before.erased ? "duplicate" : "conflict";
    else if (earlier !== undefined) status = earlier === hash ? "duplicate" : "conflict";
    else {
      status = "created";
      firstInBatch.set(c.id, hash);
      fresh.push(c);
      freshHashes.push(hash);
      freshEvents.push(args.events[i] as IngestEvent);
    }
    results.push({ id: c.id, status });
  });

  if (fresh.length > 0) {
    await appendEvents(tx, fresh, freshHashes);
    await upsertCapabilities(
      tx,
      tenant,
      freshEvents.flatMap((e) => (e.capability ? [capabilityFacts(e, e.capability)] : [])),
    );
    await upsertSessions(tx, { tenant, source: args.source }, freshEvents);
  }
  await args.beforeCommit?.();
  const count = (s: ItemStatus) => results.filter((r) => r.status === s).length;
  return {
    accepted: count("created"),
    duplicates: count("duplicate"),
    conflicts: count("conflict"),
    results,
  };
}
