import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { evaluateRule, type Firing, HistoryCache } from "@/lib/alerts/evaluate";
import { type AlertDefinition, alertDefinitionSchema, EXAMPLE_RULES } from "@/lib/alerts/rule";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import { uuidv7 } from "@/lib/ids";
import { backends } from "../support/db";

// Live evaluation keeps what a round read of each group's history (HistoryCache), so the next
// round reads only the new events. Whatever the events and however they are split into rounds,
// a process with the cache must fire exactly what one without it fires: the same events go to
// two tenants, one evaluated with a cache, one without, round by round.

const HOURS = { timeZone: "UTC", days: [1, 2, 3, 4, 5], start: "09:00", end: "18:00" };
const T0 = Date.parse("2026-11-24T08:00:00.000Z");

const RULES: AlertDefinition[] = [
  ...EXAMPLE_RULES.map((r) => alertDefinitionSchema.parse(r.definition)),
  alertDefinitionSchema.parse({
    query: "type:tool.call",
    aggregation: { kind: "distinct", of: "resource", threshold: 3 },
    groupBy: ["principal"],
    windowMinutes: 2,
    dedupMinutes: 1,
  }),
  alertDefinitionSchema.parse({
    query: "type:tool.call outcome:denied",
    aggregation: { kind: "count", threshold: 2 },
    groupBy: ["agent"],
    windowMinutes: 1,
    dedupMinutes: 1,
  }),
  alertDefinitionSchema.parse({
    query: "type:tool.call",
    aggregation: { kind: "new_value", of: "resource", lookbackDays: 1 },
    groupBy: ["principal"],
  }),
];

const step = fc.record({
  dt: fc.integer({ min: -20_000, max: 40_000 }),
  principal: fc.constantFrom("a@x", "b@x", "c@x"),
  agent: fc.constantFrom("bot1", "bot2"),
  outcome: fc.constantFrom("allowed", "denied"),
  type: fc.constantFrom("tool.call", "tool.call", "escalation.requested", "escalation.used"),
  resource: fc.constantFrom("c_1", "c_2", "c_3", "c_4"),
  tool: fc.constantFrom("crm.lookup", "crm.export", "orders.refund"),
});

describe.each(backends)("the alert history cache on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => database?.close());

  it("fires exactly what evaluation without it fires, round after round", { timeout: 180_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 5 }),
        async (rounds) => {
          run += 1;
          const tenants = { cached: `cache${run}`, plain: `plain${run}` };
          const cache = new HistoryCache();
          const fired = { cached: new Map<string, Date>(), plain: new Map<string, Date>() };
          const cursors = { cached: RULES.map(() => 0), plain: RULES.map(() => 0) };
          const out = { cached: [] as string[], plain: [] as string[] };
          let at = T0;
          let seq = 0;
          for (const chunk of rounds) {
            for (const which of ["cached", "plain"] as const) {
              let t = at;
              const rows: ChainedContent[] = chunk.map((s, i) => {
                t = Math.max(T0, t + s.dt);
                return {
                  id: uuidv7(t + i),
                  ts: new Date(t),
                  tenant: tenants[which],
                  type: s.type,
                  principal: s.principal,
                  agent: s.agent,
                  session: "s",
                  tool: s.type === "tool.call" ? s.tool : null,
                  action: "read",
                  resourceType: "Customer",
                  resourceId: s.resource,
                  outcome: s.outcome,
                  meta: {},
                } as ChainedContent;
              });
              await database.db.transaction((tx) => appendEvents(tx, rows));
            }
            seq += chunk.length;
            at = Math.max(T0, at + chunk.reduce((a, s) => a + s.dt, 0));
            for (const which of ["cached", "plain"] as const)
              for (const [i, definition] of RULES.entries()) {
                const result = await evaluateRule(database.db, {
                  tenant: tenants[which],
                  ruleId: `rule${i}`,
                  definition,
                  range: { afterSeq: cursors[which][i] as number, headSeq: seq },
                  hours: HOURS,
                  lastFired: async (k) => fired[which].get(k) ?? null,
                  now: new Date(at),
                  ...(which === "cached" ? { cache } : {}),
                });
                cursors[which][i] = seq;
                for (const f of result.firings as Firing[]) {
                  fired[which].set(f.dedupKey, f.trigger.ts);
                  out[which].push(`${i}:${f.trigger.seq}:${f.detail}`);
                }
              }
          }
          expect(out.cached).toEqual(out.plain);
        },
      ),
      { numRuns: 12 },
    );
  });
});
