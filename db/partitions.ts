// The events table's monthly partitions (issue 17 point 1; migration 0010). A month is
// [first day 00:00 UTC, next month's first day) of received_at, in a table named events_YYYY_MM.
// The console creates months ahead (ensureEventPartitions, from the retention job and at start),
// so a write never finds its month missing; retention drops months every tenant has cut
// (lib/retention/). Partition DDL names only tables built here from dates, never input.
import { sql } from "drizzle-orm";
import type { Executor } from "./client";

export interface EventPartition {
  name: string;
  /** Inclusive start (UTC midnight of the month's first day). */
  from: Date;
  /** Exclusive end. */
  to: Date;
}

/** How many months past the current one always exist. */
export const MONTHS_AHEAD = 2;

export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export function addMonths(month: Date, n: number): Date {
  return new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + n, 1));
}

export function partitionName(month: Date): string {
  return `events_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

const NAME = /^events_(\d{4})_(\d{2})$/;

/** The month a partition name stands for, or null for a name this module did not make. */
export function monthOfPartition(name: string): Date | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const month = Number(m[2]);
  if (month < 1 || month > 12) return null;
  return new Date(Date.UTC(Number(m[1]), month - 1, 1));
}

/** The events table's partitions, oldest first (only those named as this module names them). */
export async function listEventPartitions(db: Executor): Promise<EventPartition[]> {
  const res = (await db.execute(sql`
    select c.relname as name from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent
      join pg_namespace n on n.oid = p.relnamespace
     where p.relname = 'events' and n.nspname = current_schema()`)) as { rows: { name: string }[] };
  const out: EventPartition[] = [];
  for (const r of res.rows) {
    const from = monthOfPartition(r.name);
    if (from) out.push({ name: r.name, from, to: addMonths(from, 1) });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/**
 * Creates every missing month from `from`'s month (default: the current one) to MONTHS_AHEAD
 * past `now`'s. Idempotent; run it under the retention job's lock (or in a migration or test) so
 * two instances do not create one month at once. Returns the names created.
 */
export async function ensureEventPartitions(
  db: Executor,
  opts: { now?: Date; from?: Date; ahead?: number } = {},
): Promise<string[]> {
  const now = opts.now ?? new Date();
  const have = new Set((await listEventPartitions(db)).map((p) => p.name));
  const last = addMonths(monthStart(now), opts.ahead ?? MONTHS_AHEAD);
  const created: string[] = [];
  for (let m = monthStart(opts.from && opts.from < now ? opts.from : now); m <= last; m = addMonths(m, 1)) {
    const name = partitionName(m);
    if (have.has(name)) continue;
    await db.execute(
      sql.raw(
        `create table if not exists "${name}" partition of "events" for values from ('${m.toISOString()}') to ('${addMonths(m, 1).toISOString()}')`,
      ),
    );
    created.push(name);
  }
  return created;
}

/** PostgreSQL's answer to a row whose received_at has no partition (check_violation, 23514). */
export function isMissingPartition(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const msg = (e as { message?: unknown }).message;
    if (typeof msg === "string" && msg.includes("no partition of relation")) return true;
  }
  return false;
}
