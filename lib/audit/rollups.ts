// The Overview's rollups (issue 17 point 4; migrations 0012 and 0015): kept by appendEvents in the
// transaction that appends the events, so they commit or fail with them, under the tenant's
// chain-head lock (one writer per tenant: no lost update). One statement per batch: the batch's
// counts as one JSON parameter, added to the stored ones (ON CONFLICT … n = n + excluded.n).
import { sql } from "drizzle-orm";
import type { Executor } from "@/db/client";

export interface RollupRow {
  tenant: string;
  ts: Date | string;
  type: string;
  outcome: string;
  principal?: string | null;
  agent?: string | null;
  reason?: string | null;
}

const iso = (ts: Date | string) => (ts instanceof Date ? ts : new Date(ts)).toISOString();

/** The dimensions of the daily rollup: one row per (tenant, dim, day, value). */
export const ROLLUP_DIMS = ["outcome", "principal", "agent", "reason"] as const;

/**
 * The batch's counts: daily tool calls by outcome, by principal, by agent and by denied reason
 * (each its own row, migration 0015); hourly events by outcome.
 */
export function planRollups(rows: readonly RollupRow[]) {
  const daily = new Map<
    string,
    { tenant: string; day: string; dim: string; value: string | null; n: number }
  >();
  const hourly = new Map<string, { tenant: string; hour: string; outcome: string; n: number }>();
  const add = (tenant: string, day: string, dim: string, value: string | null) => {
    const k = JSON.stringify([tenant, dim, day, value]);
    const have = daily.get(k);
    if (have) have.n += 1;
    else daily.set(k, { tenant, day, dim, value, n: 1 });
  };
  for (const r of rows) {
    const at = iso(r.ts);
    const hour = `${at.slice(0, 13)}:00:00.000Z`;
    const hk = JSON.stringify([r.tenant, hour, r.outcome]);
    const h = hourly.get(hk);
    if (h) h.n += 1;
    else hourly.set(hk, { tenant: r.tenant, hour, outcome: r.outcome, n: 1 });
    if (r.type !== "tool.call") continue;
    const day = at.slice(0, 10);
    add(r.tenant, day, "outcome", r.outcome);
    if (r.principal != null) add(r.tenant, day, "principal", r.principal);
    if (r.agent != null) add(r.tenant, day, "agent", r.agent);
    if (r.outcome === "denied") add(r.tenant, day, "reason", r.reason ?? null);
  }
  return { daily: [...daily.values()], hourly: [...hourly.values()] };
}

/** The rollup upserts for a batch, as data-modifying CTEs to ride in the caller's statement. */
export function rollupCtes(rows: readonly RollupRow[]) {
  const { daily, hourly } = planRollups(rows);
  const parts = [];
  if (daily.length > 0)
    parts.push(sql`rollup_daily as (
      insert into event_rollups_daily (tenant, day, dim, value, n)
      select tenant, day, dim, value, n
        from json_to_recordset(${JSON.stringify(daily)}::json)
          as r(tenant text, day date, dim text, value text, n bigint)
      on conflict (tenant, dim, day, value)
      do update set n = event_rollups_daily.n + excluded.n)`);
  if (hourly.length > 0)
    parts.push(sql`rollup_hourly as (
      insert into event_rollups_hourly (tenant, hour, outcome, n)
      select tenant, hour, outcome::event_outcome, n
        from json_to_recordset(${JSON.stringify(hourly)}::json) as r(tenant text, hour timestamptz, outcome text, n bigint)
      on conflict (tenant, hour, outcome) do update set n = event_rollups_hourly.n + excluded.n)`);
  return parts;
}

/** Adds a batch to the rollups in a statement of its own (restore; appendEvents uses rollupCtes). */
export async function addToRollups(tx: Executor, rows: readonly RollupRow[]): Promise<void> {
  const ctes = rollupCtes(rows);
  if (ctes.length === 0) return;
  await tx.execute(sql`with ${sql.join(ctes, sql`, `)} select 1`);
}

/** The daily rollup's rows of the tenant's tool calls matching `where`, as (day, dim, value, n). */
function dailyOf(tenant: string, where: ReturnType<typeof sql>) {
  return sql`
    select day, dim, value, count(*) as n from (
      select (ts at time zone 'UTC')::date as day, d.dim, d.value
        from events
        cross join lateral (values
          ('outcome', outcome::text),
          ('principal', principal),
          ('agent', agent),
          ('reason', case when outcome = 'denied' then reason end)) as d(dim, value)
       where tenant = ${tenant} and type = 'tool.call' and ${where}
         and (d.dim = 'outcome' or (d.dim = 'reason' and outcome = 'denied') or d.value is not null)
    ) x group by 1, 2, 3`;
}

/**
 * Takes a tenant's events up to `seq` out of the rollups, exactly (a retention cut, before the
 * rows are deleted): the counts of those rows are subtracted and emptied rollup rows removed.
 */
export async function subtractFromRollups(tx: Executor, tenant: string, seq: number): Promise<void> {
  await tx.execute(sql`
    with gone as (${dailyOf(tenant, sql`seq <= ${seq}`)})
    update event_rollups_daily r set n = r.n - gone.n from gone
     where r.tenant = ${tenant} and r.dim = gone.dim and r.day = gone.day
       and r.value is not distinct from gone.value`);
  await tx.execute(sql`
    with gone as (
      select date_trunc('hour', ts at time zone 'UTC') at time zone 'UTC' as hour, outcome, count(*) as n
        from events where tenant = ${tenant} and seq <= ${seq} group by 1, 2)
    update event_rollups_hourly r set n = r.n - gone.n from gone
     where r.tenant = ${tenant} and r.hour = gone.hour and r.outcome = gone.outcome`);
  await tx.execute(sql`delete from event_rollups_daily where tenant = ${tenant} and n <= 0`);
  await tx.execute(sql`delete from event_rollups_hourly where tenant = ${tenant} and n <= 0`);
}

/** Recomputes a tenant's rollups from its events (a loader that bypassed appendEvents; repairs). */
export async function rebuildRollups(tx: Executor, tenant: string): Promise<void> {
  await tx.execute(sql`delete from event_rollups_daily where tenant = ${tenant}`);
  await tx.execute(sql`delete from event_rollups_hourly where tenant = ${tenant}`);
  await tx.execute(sql`
    insert into event_rollups_daily (tenant, day, dim, value, n)
    select ${tenant}, day, dim, value, n from (${dailyOf(tenant, sql`true`)}) d`);
  await tx.execute(sql`
    insert into event_rollups_hourly (tenant, hour, outcome, n)
    select tenant, date_trunc('hour', ts at time zone 'UTC') at time zone 'UTC', outcome, count(*)
      from events where tenant = ${tenant} group by 1, 2, 3`);
}
