// The Overview's rollups (issue 17 point 4; migration 0012): kept by appendEvents in the
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

/** The batch's counts: daily tool calls by (day, outcome, principal, agent, denied reason); hourly events by outcome. */
export function planRollups(rows: readonly RollupRow[]) {
  const daily = new Map<
    string,
    {
      tenant: string;
      day: string;
      outcome: string;
      principal: string | null;
      agent: string | null;
      reason: string | null;
      n: number;
    }
  >();
  const hourly = new Map<string, { tenant: string; hour: string; outcome: string; n: number }>();
  for (const r of rows) {
    const at = iso(r.ts);
    const hour = `${at.slice(0, 13)}:00:00.000Z`;
    const hk = JSON.stringify([r.tenant, hour, r.outcome]);
    const h = hourly.get(hk);
    if (h) h.n += 1;
    else hourly.set(hk, { tenant: r.tenant, hour, outcome: r.outcome, n: 1 });
    if (r.type !== "tool.call") continue;
    const d = {
      tenant: r.tenant,
      day: at.slice(0, 10),
      outcome: r.outcome,
      principal: r.principal ?? null,
      agent: r.agent ?? null,
      reason: r.outcome === "denied" ? (r.reason ?? null) : null,
    };
    const dk = JSON.stringify([d.tenant, d.day, d.outcome, d.principal, d.agent, d.reason]);
    const have = daily.get(dk);
    if (have) have.n += 1;
    else daily.set(dk, { ...d, n: 1 });
  }
  return { daily: [...daily.values()], hourly: [...hourly.values()] };
}

/** The rollup upserts for a batch, as data-modifying CTEs to ride in the caller's statement. */
export function rollupCtes(rows: readonly RollupRow[]) {
  const { daily, hourly } = planRollups(rows);
  const parts = [];
  if (daily.length > 0)
    parts.push(sql`rollup_daily as (
      insert into event_rollups_daily (tenant, day, outcome, principal, agent, reason, n)
      select tenant, day, outcome::event_outcome, principal, agent, reason, n
        from json_to_recordset(${JSON.stringify(daily)}::json)
          as r(tenant text, day date, outcome text, principal text, agent text, reason text, n bigint)
      on conflict (tenant, day, outcome, principal, agent, reason)
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

/**
 * Takes a tenant's events up to `seq` out of the rollups, exactly (a retention cut, before the
 * rows are deleted): the counts of those rows are subtracted and emptied rollup rows removed.
 */
export async function subtractFromRollups(tx: Executor, tenant: string, seq: number): Promise<void> {
  await tx.execute(sql`
    with gone as (
      select (ts at time zone 'UTC')::date as day, outcome, principal, agent,
             case when outcome = 'denied' then reason end as reason, count(*) as n
        from events where tenant = ${tenant} and seq <= ${seq} and type = 'tool.call'
       group by 1, 2, 3, 4, 5)
    update event_rollups_daily r set n = r.n - gone.n from gone
     where r.tenant = ${tenant} and r.day = gone.day and r.outcome = gone.outcome
       and r.principal is not distinct from gone.principal and r.agent is not distinct from gone.agent
       and r.reason is not distinct from gone.reason`);
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
    insert into event_rollups_daily (tenant, day, outcome, principal, agent, reason, n)
    select tenant, (ts at time zone 'UTC')::date, outcome, principal, agent,
           case when outcome = 'denied' then reason end, count(*)
      from events where tenant = ${tenant} and type = 'tool.call' group by 1, 2, 3, 4, 5, 6`);
  await tx.execute(sql`
    insert into event_rollups_hourly (tenant, hour, outcome, n)
    select tenant, date_trunc('hour', ts at time zone 'UTC') at time zone 'UTC', outcome, count(*)
      from events where tenant = ${tenant} group by 1, 2, 3`);
}
