import { StringChunk } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "@/lib/query/cursor";
import { parseQuery } from "@/lib/query/parse";
import { type Detail, escapeLike, likePattern, queryToSql } from "@/lib/query/sql";

const dialect = new PgDialect();
const now = new Date("2026-11-27T12:00:00Z");

function compile(q: string, opts: { tenants?: string[]; detail?: Detail } = {}) {
  const parsed = parseQuery(q, { now });
  if (!parsed.ok) throw new Error(parsed.error.message);
  const compiled = queryToSql(parsed.query, {
    tenants: opts.tenants ?? ["acme"],
    detail: opts.detail ?? "full",
  });
  if (!compiled.ok) return { ...compiled, sql: "", params: [] as unknown[] };
  return { ...compiled, ...dialect.sqlToQuery(compiled.where) };
}

describe("LIKE escaping", () => {
  it("escapes % _ and backslash, then maps * to %", () => {
    expect(escapeLike("100%_\\x*")).toBe("100\\%\\_\\\\x*");
    expect(likePattern("crm.*", { contains: false })).toBe("crm.%");
    expect(likePattern("a%b*", { contains: true })).toBe("%a\\%b%%");
  });
});

describe("queryToSql", () => {
  it("always scopes by tenant, even for the empty query", () => {
    const empty = compile("");
    expect(empty.sql).toBe('"events"."tenant" in ($1)');
    expect(empty.params).toEqual(["acme"]);
    expect(compile("-tenant:acme").sql).toMatch(/^\("events"\."tenant" in \(\$1\) and/);
    expect(compile("", { tenants: [] }).sql).toBe("false");
  });

  it("binds every value as a parameter", () => {
    const c = compile(`principal:"x'); drop table events; --" tool:crm.* reason:100% cap.right:Order/write`);
    expect(c.sql).not.toContain("drop table");
    expect(c.params).toContain("x'); drop table events; --");
    expect(c.params).toContain("crm.%");
    expect(c.params).toContain("%100\\%%");
    expect(c.params).toContain(JSON.stringify({ rights: [{ resource: "Order", actions: ["write"] }] }));
  });

  it("uses the index-friendly forms for capability lookups", () => {
    expect(compile("under:cap_exact_id").sql).toContain('"capabilities"."ancestors" @> array[$');
    expect(compile("under:8f3a9c01…").sql).toContain('"capabilities"."ancestors" && array(select');
    expect(compile("cap.right:Order/write").sql).toMatch(/"capabilities"\."summary" @> \$\d+::jsonb/);
    // Capability subqueries are tenant-scoped too.
    expect(compile("under:cap_exact_id").sql).toMatch(/"capabilities"\."tenant" in \(\$\d+\)/);
    expect(compile("cap:8f3a9c01").sql).toMatch(/"events"\."capability_id" like \$\d+/);
  });

  it("negates with IS NOT TRUE so null columns count as 'not equal'", () => {
    expect(compile("-principal:bob").sql).toContain('("events"."principal" = $2) is not true');
  });

  it("compiles to one flat SQL of text and bound values, cheap to render on every page", () => {
    // Nested SQL, column and Param objects cost drizzle tens of microseconds a page to render.
    for (const q of [
      "",
      "principal:alice@acme.example after:2026-11-01 before:2026-11-02",
      "under:8f3a9c01 OR under:cap_exact_id OR cap.right:Order/write",
      '-(timeout OR reason:"x y") field:email resource:Order/o_1 NOT tenant:globex',
    ]) {
      const parsed = parseQuery(q, { now });
      if (!parsed.ok) throw new Error(parsed.error.message);
      const c = queryToSql(parsed.query, { tenants: ["acme", "globex"], detail: "full" });
      if (!c.ok) throw new Error(c.error.message);
      for (const chunk of c.where.queryChunks)
        expect(chunk instanceof StringChunk || typeof chunk === "string", q).toBe(true);
    }
  });

  it("turns a tenant outside the scope into no rows and a notice that names no tenant", () => {
    for (const t of ["globex", "nosuch"]) {
      const c = compile(`tenant:${t}`);
      expect(c.ok).toBe(true);
      if (!c.ok) return;
      expect(c.sql).toContain("false");
      expect(c.notices).toHaveLength(1);
      expect(c.notices[0]?.message).toBe("tenant: not in your scope.");
      expect(c.notices[0]?.hint).toBe("You can search: acme.");
    }
    expect(compile("tenant:acme")).toMatchObject({ ok: true, notices: [] });
  });

  it("refuses detail keys to summary viewers and keeps reason out of their free text", () => {
    for (const q of ["reason:x", "cap:8f3a9c01", "under:8f3a9c01", "cap.right:Order", "a OR -(reason:x)"]) {
      const c = compile(q, { detail: "summary" });
      expect(c.ok, q).toBe(false);
      if (!c.ok) expect(c.error.message).toMatch(/needs the investigator role/);
    }
    // The reason is inside the trigram index's expression, which only narrows the rows; what
    // matches is decided by each visible column's own test, never the reason's for a viewer.
    const summary = compile("timeout", { detail: "summary" }).sql;
    expect(summary).not.toContain('"events"."reason" ilike');
    expect(summary).toMatch(
      /ilike \$2 and \("events"\."tool" ilike \$3 or "events"\."principal" ilike \$4 or "events"\."agent" ilike \$5 or "events"\."resource_id" ilike \$6\)\)/,
    );
    expect(compile("timeout", { detail: "full" }).sql).toContain('"events"."reason" ilike');
  });
});

describe("properties", () => {
  // Printable ASCII heavy on the characters the grammar cares about.
  const grammarChars = fc.constantFrom(
    ..."abcxyz019:-\"\\()*%_'; #/.…ORNTAD ".split(""),
    "OR",
    "NOT",
    "AND",
    "principal:",
    "tool:",
    "cap:",
    "under:",
    "cap.right:",
    "after:",
    "outcome:",
    "tenant:",
    "reason:",
  );
  const queryish = fc.array(grammarChars, { maxLength: 60 }).map((a) => a.join(""));

  it("never throws, on any string", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 100 }), queryish),
        (q) => {
          const r = parseQuery(q, { now });
          if (!r.ok) {
            expect(r.error.position).toBeGreaterThanOrEqual(0);
            expect(r.error.position + r.error.length).toBeLessThanOrEqual(q.length);
            expect(r.error.message.length).toBeGreaterThan(0);
            expect(r.error.hint.length).toBeGreaterThan(0);
          } else {
            for (const detail of ["summary", "full"] as const)
              expect(() => queryToSql(r.query, { tenants: ["acme"], detail })).not.toThrow();
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never puts a user value into the SQL text", () => {
    const MARK = "qzmarkq";
    // Values carry a marker; whatever the rest of the value holds, the marker must only ever
    // appear among the bound parameters.
    const value = fc.string({ maxLength: 20 }).map((s) => `${MARK}${s.replace(/[\s"()\\]/g, "")}`);
    const key = fc.constantFrom(
      "principal",
      "agent",
      "tool",
      "type",
      "reason",
      "session",
      "request",
      "action",
      "field",
      "tenant",
      "resource",
      "cap",
      "under",
      "cap.right",
    );
    const clause = fc.tuple(fc.boolean(), key, value).map(([neg, k, v]) => `${neg ? "-" : ""}${k}:"${v}"`);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            clause,
            value.map((v) => `"${v}"`),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (parts) => {
          const r = parseQuery(parts.join(" OR "), { now });
          if (!r.ok) return;
          const c = queryToSql(r.query, { tenants: [`${MARK}tenant`], detail: "full" });
          if (!c.ok) return;
          const { sql, params } = dialect.sqlToQuery(c.where);
          expect(sql.toLowerCase()).not.toContain(MARK);
          expect(params.some((p) => String(p).includes(MARK))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("round-trips cursors and rejects anything else", () => {
    const cursor = { sort: "ts_desc" as const, ts: "2026-11-26T09:14:03.512250Z", id: "01936f4e-6c1a" };
    expect(decodeCursor(encodeCursor(cursor), "ts_desc")).toEqual(cursor);
    expect(decodeCursor(encodeCursor(cursor), "ts_asc")).toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(() => decodeCursor(s, "ts_desc")).not.toThrow();
        const fromJson = Buffer.from(s).toString("base64url");
        expect(decodeCursor(fromJson, "ts_desc")).toBeNull();
      }),
    );
  });
});
