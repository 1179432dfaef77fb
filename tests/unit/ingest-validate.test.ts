import { looksLikeRawToken, textProblem } from "@capability-console/sdk/schema";
import { describe, expect, it } from "vitest";
import { jsonDepthExceeds, parseJsonBytes, validateBatch } from "@/lib/ingest";
import { eventSchema } from "@/lib/ingest/event-schema";
import { makeEvent } from "../support/ingest-fixtures";

describe("ingest validation", () => {
  it("accepts DESIGN.md's example event and normalises its id and timestamp", () => {
    const e = makeEvent("acme", {
      id: "01936F4E-6C1A-7B7E-9D5E-2A9C1F0B4E21",
      ts: "2026-11-26T10:14:03.512+01:00",
    });
    const r = eventSchema.safeParse(e);
    expect(r.success).toBe(true);
    expect(r.data?.id).toBe("01936f4e-6c1a-7b7e-9d5e-2a9c1f0b4e21");
    expect(r.data?.ts.toISOString()).toBe("2026-11-26T09:14:03.512Z");
  });

  it("accepts ULIDs (upper-cased) and optional fields as null", () => {
    const r = eventSchema.safeParse({
      id: "01arz3ndektsv4rrffq69g5fav",
      ts: "2026-11-26T09:14:03Z",
      tenant: "acme",
      type: "session.revoked",
      outcome: "allowed",
      principal: null,
      meta: null,
    });
    expect(r.success).toBe(true);
    expect(r.data?.id).toBe("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  });

  it("reports every invalid item with index and dotted field; valid items are not stored alone", () => {
    const r = validateBatch({
      events: [
        makeEvent("acme"),
        makeEvent("acme", { resource: { type: "" } }),
        makeEvent("acme", { extra: 1, latencyMs: -1 }),
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(400);
    expect(r.field).toBe("events[1].resource.type");
    expect(r.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 1, field: "resource.type" }),
        expect.objectContaining({ index: 2, field: "extra" }),
        expect.objectContaining({ index: 2, field: "latencyMs" }),
      ]),
    );
  });

  it("limits the batch to 1,000 events (413) and refuses an empty one", () => {
    expect(validateBatch({ events: Array.from({ length: 1000 }, () => makeEvent("a")) }).ok).toBe(true);
    expect(validateBatch({ events: Array.from({ length: 1001 }, () => ({})) })).toMatchObject({
      ok: false,
      status: 413,
    });
    expect(validateBatch({ events: [] })).toMatchObject({ ok: false, status: 400 });
  });

  it("text rules: identifiers refuse all controls, free text allows tab and newline", () => {
    expect(textProblem("a\tb", "identifier")).toMatch(/control/);
    expect(textProblem("a\tb\nc", "text")).toBeNull();
    expect(textProblem("\u009b31m", "text")).toMatch(/ANSI/);
    for (const c of [
      "\u202a",
      "\u202b",
      "\u202c",
      "\u202d",
      "\u202e",
      "\u2066",
      "\u2067",
      "\u2068",
      "\u2069",
    ])
      expect(textProblem(`x${c}y`, "text")).toMatch(/bidirectional/);
    expect(textProblem("emoji 😀 ok", "text")).toBeNull();
    expect(textProblem("\udc00", "text")).toMatch(/Unicode/);
  });

  it("token detection spares hex ids and digests", () => {
    expect(looksLikeRawToken("ab".repeat(64))).toBe(false);
    expect(looksLikeRawToken(`sha256:${"0f".repeat(32)}`)).toBe(false);
    expect(looksLikeRawToken("a normal sentence with words")).toBe(false);
    expect(looksLikeRawToken(`CAES${"Zm9vYmFy".repeat(20)}`)).toBe(true);
    expect(looksLikeRawToken("Authorization: Bearer cck_abcdefghijklmnopqrstuvwxyz")).toBe(true);
  });
});

describe("ingest body parsing", () => {
  it("measures nesting outside strings only", () => {
    expect(jsonDepthExceeds('{"a":"[[[[[[[["}', 2)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[["}', 2)).toBe(false);
    expect(jsonDepthExceeds("[[[1]]]", 2)).toBe(true);
  });

  it("refuses invalid UTF-8 and reports broken JSON without throwing", () => {
    expect(parseJsonBytes(new Uint8Array([0x7b, 0xff, 0x7d]), 8)).toMatchObject({
      ok: false,
      kind: "bad_utf8",
    });
    expect(parseJsonBytes(Buffer.from("{oops"), 8)).toMatchObject({ ok: false, kind: "bad_json" });
    expect(parseJsonBytes(Buffer.from('{"a":[1]}'), 8)).toEqual({ ok: true, value: { a: [1] } });
  });
});

describe("escalation records belong to the console", () => {
  const event = (type: string) => ({
    id: "01900000-0000-7000-8000-0000000000a1",
    ts: "2026-11-26T10:00:00.000Z",
    tenant: "acme",
    type,
    outcome: "allowed",
  });

  it("refuses escalation.* events from a platform, naming the field", () => {
    for (const type of ["escalation.used", "escalation.issued", "escalation.expired"]) {
      const r = validateBatch({ events: [event("agent.note"), event(type)] });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.status).toBe(400);
        expect(r.details).toEqual([
          { index: 1, field: "type", message: expect.stringContaining("recorded by the console itself") },
        ]);
      }
    }
  });

  it("takes them from the demo loader, which stands in for the console's own records", () => {
    expect(validateBatch({ events: [event("escalation.used")] }, { consoleRecords: true }).ok).toBe(true);
  });

  it("bounds ts at 5 minutes ahead of the server clock, and accepts any past (issue 11, item 4)", () => {
    const now = new Date("2026-11-26T12:00:00.000Z");
    const at = (iso: string) => validateBatch({ events: [makeEvent("acme", { ts: iso })] }, { now });
    expect(at("2026-11-26T12:05:00.000Z").ok).toBe(true);
    expect(at("2020-01-01T00:00:00.000Z").ok).toBe(true);
    const ahead = at("2026-11-26T12:05:00.001Z");
    expect(ahead).toMatchObject({ ok: false, status: 400, field: "events[0].ts" });
    if (ahead.ok) return;
    expect(ahead.details?.[0]?.message).toMatch(/301 s ahead of the server clock; at most 300 s/);
    const far = at("9999-12-31T23:59:59Z");
    expect(far.ok).toBe(false);
    if (!far.ok) expect(far.details?.[0]?.message).toMatch(/days ahead of the server clock/);
  });
});
