import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { events } from "@/db/schema";
import { appendEvents, lockChainHead } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import { pgCode } from "@/lib/ingest/store";

export interface ObservedStoreResult {
  stored: number;
  /** Spans already stored (an exporter's retry, a concurrent copy of the same export). */
  duplicates: number;
}

const RETRYABLE = new Set(["23505", "40001", "40P01"]);
const MAX_ATTEMPTS = 4;

/**
 * Stores observed events once per (tenant, trace id, span id). Inside one transaction the
 * tenant's chain head is locked first, the same lock appendEvents and the attested ingest take,
 * so a concurrent export of the same spans either committed before (its rows are seen by the
 * pre-check and skipped) or waits. Only spans not stored yet reach appendEvents: a duplicate never
 * takes a chain sequence number. The partial unique index is the backstop: should two writers
 * ever slip past each other, the loser's whole transaction rolls back and is run again.
 */
export async function storeObserved(
  db: Db,
  args: { tenant: string; contents: ChainedContent[]; beforeCommit?: () => Promise<void> },
): Promise<ObservedStoreResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => storeInTx(tx, args));
    } catch (err) {
      const code = pgCode(err);
      if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

const spanKey = (traceId: string | null | undefined, spanId: string | null | undefined) =>
  `${traceId}/${spanId}`;

async function storeInTx(
  tx: Tx,
  args: { tenant: string; contents: ChainedContent[]; beforeCommit?: () => Promise<void> },
): Promise<ObservedStoreResult> {
  const { tenant } = args;
  await lockChainHead(tx, tenant);

  // Within one request a span repeated counts once (the first copy wins).
  const unique = new Map<string, ChainedContent>();
  for (const c of args.contents) {
    const key = spanKey(c.traceId, c.spanId);
    if (!unique.has(key)) unique.set(key, c);
  }
  const existing = new Set<string>();
  const traceIds = [...new Set([...unique.values()].map((c) => c.traceId as string))];
  for (let i = 0; i < traceIds.length; i += 500) {
    const rows = await tx
      .select({ traceId: events.traceId, spanId: events.spanId })
      .from(events)
      .where(
        and(
          eq(events.tenant, tenant),
          sql`${events.tier} = 'observed'`,
          inArray(events.traceId, traceIds.slice(i, i + 500)),
        ),
      );
    for (const r of rows) existing.add(spanKey(r.traceId, r.spanId));
  }
  const fresh = [...unique.entries()].filter(([key]) => !existing.has(key)).map(([, c]) => c);
  if (fresh.length > 0) await appendEvents(tx, fresh);
  await args.beforeCommit?.();
  return { stored: fresh.length, duplicates: args.contents.length - fresh.length };
}
