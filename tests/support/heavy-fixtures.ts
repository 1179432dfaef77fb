import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

// A large tenant for query-cost tests, written by the database itself (generate_series), so
// setting up tens of thousands of rows takes well under a second of JavaScript. No hash chain:
// the query layer does not read it. Capabilities: ROOTS roots, each other capability a child of
// root (i mod ROOTS); events spread over all capabilities, one a second back from `now`.

export const HEAVY_TENANT = "bigco";
export const ROOTS = 100;

/** The i-th capability's id (64 hex characters), as SQL over the expression `expr`. */
const capId = (expr: string) => sql.raw(`md5('cap-' || (${expr})) || md5('cap2-' || (${expr}))`);

export async function insertHeavyTenant(
  db: Db,
  args: { events: number; capabilities: number },
): Promise<void> {
  await db.execute(sql`
    insert into capabilities (id, tenant, token_hash, parent_id, root_id, ancestors, depth, summary, kind)
    select ${capId("i")}, ${HEAVY_TENANT}, 'sha256:' || md5('t' || i),
      case when i < ${ROOTS} then null else ${capId(`i % ${ROOTS}`)} end,
      ${capId(`case when i < ${ROOTS} then i else i % ${ROOTS} end`)},
      case when i < ${ROOTS} then '{}'::text[] else array[${capId(`i % ${ROOTS}`)}] end,
      case when i < ${ROOTS} then 0 else 1 end,
      jsonb_build_object('rights', jsonb_build_array(jsonb_build_object(
        'resource', 'Type' || (i % 40), 'actions', jsonb_build_array(case when i % 2 = 0 then 'read' else 'write' end)))),
      (case when i < ${ROOTS} then 'minted' else 'attenuated' end)::capability_kind
    from generate_series(0, ${args.capabilities - 1}) as i`);
  await insertHeavyEvents(db, { from: 1, to: args.events, capabilities: args.capabilities });
}

/** Events number `from` to `to` of the heavy tenant (its capabilities already inserted). */
export async function insertHeavyEvents(
  db: Db,
  args: { from: number; to: number; capabilities: number },
): Promise<void> {
  await db.execute(sql`
    insert into events (id, ts, tenant, type, principal, agent, tool, action, resource_type, resource_id,
      outcome, reason, capability_id, content_hash, seq, prev_hash, hash)
    select 'heavy-' || g, now() - make_interval(secs => g), ${HEAVY_TENANT}, 'tool.call',
      'user' || (g % 50) || '@bigco.example', 'agent-' || (g % 7), 'crm.tool' || (g % 20),
      case when g % 3 = 0 then 'write' else 'read' end, 'Type' || (g % 40), 'r_' || g,
      (case when g % 5 = 0 then 'denied' else 'allowed' end)::event_outcome,
      'the check in block ' || (g % 4) || ' refused resource r_' || g,
      ${capId(`g % ${args.capabilities}`)}, md5('c' || g), g, 'x', 'x'
    from generate_series(${args.from}::int, ${args.to}::int) as g`);
  await db.execute(sql`analyze capabilities`);
  await db.execute(sql`analyze events`);
}
