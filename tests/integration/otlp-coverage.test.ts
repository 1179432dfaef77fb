import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { coverageSentence, getCoverage, percent } from "@/lib/data/coverage";
import { listEvents } from "@/lib/data/events-query";
import { getPrincipalDay } from "@/lib/data/principal-day";
import { handleIngest } from "@/lib/ingest";
import { handleOtlpTraces } from "@/lib/otlp/handler";
import { backends } from "../support/db";
import { addTenants } from "../support/fixtures";
import { ingestRequest, makeEvent, newKey } from "../support/ingest-fixtures";
import { authority } from "../support/query-fixtures";

const DAY = "2026-11-20";
const at = (hh: number, mm: number) => Date.UTC(2026, 10, 20, hh, mm);
const ALICE = "alice@acme.example";

type Attr = [string, string];
function otlpSpan(traceId: string, n: number, startMs: number, attrs: Attr[]) {
  return {
    traceId,
    spanId: `${n.toString(16).padStart(16, "0")}`,
    name: attrs.find(([k]) => k === "gen_ai.operation.name")?.[1] ?? "span",
    kind: 1,
    startTimeUnixNano: `${BigInt(startMs) * 1_000_000n}`,
    endTimeUnixNano: `${BigInt(startMs + 40) * 1_000_000n}`,
    attributes: attrs.map(([key, v]) => ({ key, value: { stringValue: v } })),
  };
}
const tool = (name: string, cap?: string): Attr[] => [
  ["gen_ai.operation.name", "execute_tool"],
  ["gen_ai.tool.name", name],
  ["gen_ai.agent.id", "alice-bot"],
  ["user.id", ALICE],
  ...(cap ? ([["capcon.capability.id", cap]] as Attr[]) : []),
];

describe.each(backends)("coverage and the tier/is: terms on $name", (backend) => {
  let database: Database;
  const acmeViewer = authority({ role: "viewer", tenants: ["acme"] });
  const acmeInvestigator = authority({ role: "investigator", tenants: ["acme"] });
  const admin = authority({ role: "admin", tenants: ["acme", "globex"] });
  const window = {
    from: new Date(`${DAY}T00:00:00Z`),
    to: new Date(`${DAY}T00:00:00Z`).getTime() + 86_400_000,
  };
  const range = { from: window.from, to: new Date(window.to) };

  const sendOtlp = async (key: string, spans: unknown[]) => {
    const res = await handleOtlpTraces(
      database.db,
      new Request("http://console.test/api/v1/otlp/v1/traces", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }),
      }),
    );
    expect(res.status, await res.clone().text()).toBe(200);
  };

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme", "globex"]);
    const acmeKey = await newKey(database.db, "acme");
    const globexKey = await newKey(database.db, "globex");
    // Attested: 6 calls of crm.lookup at 09:xx, each under a capability (the v1 schema requires one).
    const attested = Array.from({ length: 6 }, (_, i) =>
      makeEvent("acme", {
        ts: new Date(at(9, i)).toISOString(),
        principal: ALICE,
        agent: "alice-bot",
        tool: "crm.lookup",
        outcome: "allowed",
        reason: null,
      }),
    );
    const res = await handleIngest(database.db, ingestRequest(acmeKey, { events: attested }));
    expect(res.status).toBe(200);
    // Observed at 10:xx: 2 covered crm.lookup, 3 uncovered crm.export, one agent span (not a call).
    const trace = "6bf92f3577b34da6a3ce929d0e0e4736";
    await sendOtlp(acmeKey, [
      otlpSpan(trace, 1, at(10, 0), [
        ["gen_ai.operation.name", "invoke_agent"],
        ["gen_ai.agent.id", "alice-bot"],
        ["user.id", ALICE],
      ]),
      otlpSpan(trace, 2, at(10, 1), tool("crm.lookup", "cap-a")),
      otlpSpan(trace, 3, at(10, 2), tool("crm.lookup", "cap-b")),
      otlpSpan(trace, 4, at(10, 3), tool("crm.export")),
      otlpSpan(trace, 5, at(10, 4), tool("crm.export")),
      otlpSpan(trace, 6, at(10, 5), tool("crm.export")),
    ]);
    // globex: 5 uncovered calls by the same principal name, outside acme's view.
    await sendOtlp(
      globexKey,
      Array.from({ length: 5 }, (_, i) =>
        otlpSpan("7bf92f3577b34da6a3ce929d0e0e4736", 16 + i, at(11, i), tool("erp.dump")),
      ),
    );
  });
  afterAll(() => database?.close());

  it("counts the share of tool calls under a capability per tenant, agent, tool and hour", async () => {
    const c = await getCoverage(database.db, acmeViewer, { ...range, bucket: "hour" });
    expect({ calls: c.calls, covered: c.covered, observed: c.observed }).toEqual({
      calls: 11,
      covered: 8,
      observed: 5,
    });
    expect(percent(c.share)).toBe("73%");
    expect(c.tenants).toEqual([{ name: "acme", calls: 11, covered: 8 }]);
    expect(c.agents).toEqual([{ name: "alice-bot", calls: 11, covered: 8 }]);
    expect(c.tools).toEqual([
      { name: "crm.lookup", calls: 8, covered: 8 },
      { name: "crm.export", calls: 3, covered: 0 },
    ]);
    expect(c.neverCovered).toEqual(["crm.export"]);
    expect(c.series).toHaveLength(24);
    expect(c.series.filter((s) => s.calls > 0)).toEqual([
      { label: "09", calls: 6, covered: 6 },
      { label: "10", calls: 5, covered: 2 },
    ]);
    expect(coverageSentence(c, "Alice's bot")).toBe(
      "73% of Alice's bot's 11 tool calls carried a capability; crm.export never did.",
    );
  });

  it("sees only the tenants in view, and one principal when asked", async () => {
    const all = await getCoverage(database.db, admin, { ...range, bucket: "day" });
    expect([all.calls, all.covered, percent(all.share)]).toEqual([16, 8, "50%"]);
    expect(all.tenants).toEqual([
      { name: "acme", calls: 11, covered: 8 },
      { name: "globex", calls: 5, covered: 0 },
    ]);
    expect(all.series).toEqual([{ label: DAY, calls: 16, covered: 8 }]);
    const nobody = await getCoverage(database.db, admin, {
      ...range,
      principal: "bob@acme.example",
      bucket: "day",
    });
    expect([nobody.calls, nobody.share]).toEqual([0, null]);
    const day = await getPrincipalDay(database.db, acmeViewer, { principal: ALICE, day: DAY });
    const observedRequest = day.requests.find((r) => r.request === "6bf92f3577b34da6a3ce929d0e0e4736");
    expect(observedRequest).toMatchObject({ calls: 5, observed: 5, uncovered: 3 });
    expect(day.requests.filter((r) => r.observed === 0)).toHaveLength(6);
  });

  it("selects uncovered calls and either tier with is: and tier:", async () => {
    const q = async (query: string, who = acmeInvestigator) => {
      const res = await listEvents(database.db, who, { q: query, limit: 200 });
      expect(res.error).toBeUndefined();
      return res.rows;
    };
    const uncovered = await q("is:uncovered");
    expect(uncovered.map((r) => [r.tool, r.tier, r.uncovered])).toEqual([
      ["crm.export", "observed", true],
      ["crm.export", "observed", true],
      ["crm.export", "observed", true],
    ]);
    expect(await q("is:uncovered", acmeViewer)).toHaveLength(3);
    expect(await q("tier:observed")).toHaveLength(6);
    expect((await q("tier:observed")).every((r) => r.tier === "observed")).toBe(true);
    expect(await q("tier:attested")).toHaveLength(6);
    expect((await q("tier:attested")).every((r) => r.tier === "attested" && !r.uncovered)).toBe(true);
    expect(await q("is:covered")).toHaveLength(8);
    expect(await q("is:observed -is:uncovered type:tool.call")).toHaveLength(2);
    expect(await q("TIER:Observed tool:crm.lookup")).toHaveLength(2);
    const bad = await listEvents(database.db, acmeInvestigator, { q: "tool:crm.* tier:seen" });
    expect(bad.error).toMatchObject({ message: 'tier: "seen" is not a tier.', position: 16, length: 4 });
    const badIs = await listEvents(database.db, acmeInvestigator, { q: "is:nope" });
    expect(badIs.error?.hint).toContain("uncovered");
  });
});
