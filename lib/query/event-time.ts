import { and, gte, type SQL, sql } from "drizzle-orm";
import { events } from "@/db/schema";
import { LIMITS } from "@/lib/ingest/event-schema";

/**
 * The earliest received_at an event with ts ≥ `from` can have: ingest refuses a ts more than
 * maxFutureSkewMs ahead of its arrival (lib/ingest/validate.ts, lib/otlp/observed.ts).
 */
export function arrivedNoEarlierThan(from: Date): Date {
  return new Date(from.getTime() - LIMITS.maxFutureSkewMs);
}

/**
 * `ts >= from`, plus the received_at bound it implies: received_at is the partition key
 * (db/partitions.ts), so PostgreSQL skips every month before `from` (less the skew). Same rows.
 */
export function eventsSince(from: Date): SQL {
  return and(gte(events.ts, from), gte(events.receivedAt, arrivedNoEarlierThan(from))) as SQL;
}

/** eventsSince for raw SQL over "events". */
export function eventsSinceSql(from: Date): SQL {
  return sql`"events"."ts" >= ${from.toISOString()}::timestamptz and "events"."received_at" >= ${arrivedNoEarlierThan(from).toISOString()}::timestamptz`;
}
