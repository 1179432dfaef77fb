import { describe, expect, it } from "vitest";
import { OUTCOMES } from "@/db/schema";
import { KEYS } from "@/lib/query/keys";
import { parseQuery } from "@/lib/query/parse";
import type { QueryError, QueryNode, TermBody } from "@/lib/query/types";

const now = new Date("2026-11-27T12:34:56.000Z");
const HEX64 = "8f3a9c01".repeat(8);

function ok(q: string): QueryNode | null {
  const r = parseQuery(q, { now });
  if (!r.ok) throw new Error(`expected ${q} to parse: ${r.error.message}`);
  return r.query.root;
}
function term(q: string): TermBody {
  const root = ok(q);
  if (root?.kind !== "term") throw new Error(`expected one term for ${q}`);
  const { span: _, ...rest } = root.term;
  return rest;
}
function bad(q: string): QueryError {
  const r = parseQuery(q, { now });
  if (r.ok) throw new Error(`expected ${q} to fail`);
  return r.error;
}
/** The characters an error underlines. */
const underlined = (q: string) => {
  const e = bad(q);
  return q.slice(e.position, e.position + e.length);
};

describe("parseQuery: keys", () => {
  it("parses every key", () => {
    expect(term("principal:alice@acme.example")).toEqual({
      key: "principal",
      value: "alice@acme.example",
      wildcard: false,
    });
    expect(term("agent:alice-assistant/*")).toEqual({
      key: "agent",
      value: "alice-assistant/*",
      wildcard: true,
    });
    expect(term("tool:crm.*")).toEqual({ key: "tool", value: "crm.*", wildcard: true });
    expect(term("type:escalation.*")).toEqual({ key: "type", value: "escalation.*", wildcard: true });
    expect(term("outcome:DENIED")).toEqual({ key: "outcome", value: "denied" });
    expect(term('reason:"not Customer"')).toEqual({ key: "reason", value: "not Customer" });
    expect(term("session:sess_7Hq2")).toEqual({ key: "session", value: "sess_7Hq2" });
    expect(term("request:req_91ab")).toEqual({ key: "request", value: "req_91ab" });
    expect(term("resource:Order")).toEqual({ key: "resource", resourceType: "Order", resourceId: null });
    expect(term("resource:Customer#c_381")).toEqual({
      key: "resource",
      resourceType: "Customer",
      resourceId: "c_381",
    });
    expect(term("action:write")).toEqual({ key: "action", value: "write" });
    expect(term("field:email")).toEqual({ key: "field", value: "email" });
    expect(term("tenant:acme")).toEqual({ key: "tenant", value: "acme" });
    expect(term(`cap:${HEX64}`)).toEqual({ key: "cap", id: HEX64, prefix: false });
    expect(term("cap:8F3A9C01")).toEqual({ key: "cap", id: "8f3a9c01", prefix: true });
    expect(term("cap:8f3a9c01…")).toEqual({ key: "cap", id: "8f3a9c01", prefix: true });
    expect(term(`cap:${HEX64}...`)).toEqual({ key: "cap", id: HEX64, prefix: true });
    expect(term("cap:cap_not_hex")).toEqual({ key: "cap", id: "cap_not_hex", prefix: false });
    expect(term("under:8f3a9c01d2")).toEqual({ key: "under", id: "8f3a9c01d2", prefix: true });
    expect(term("cap.right:Order/write")).toEqual({ key: "cap.right", resource: "Order", action: "write" });
    expect(term("cap.right:Order")).toEqual({ key: "cap.right", resource: "Order", action: null });
    expect(term("cap.right:*/read")).toEqual({ key: "cap.right", resource: null, action: "read" });
    expect(term("after:2026-11-26")).toEqual({ key: "after", at: new Date("2026-11-26T00:00:00Z") });
    expect(term("before:2026-11-26T09:14")).toEqual({ key: "before", at: new Date("2026-11-26T09:14:00Z") });
  });

  it("accepts keys in any case and documents every key it knows", () => {
    expect(term("Principal:bob")).toMatchObject({ key: "principal", value: "bob" });
    expect(KEYS.map((k) => k.name).sort()).toEqual(
      [
        "principal",
        "agent",
        "tool",
        "type",
        "outcome",
        "reason",
        "session",
        "request",
        "resource",
        "action",
        "field",
        "tenant",
        "cap",
        "under",
        "cap.right",
        "after",
        "before",
        "tier",
        "is",
      ].sort(),
    );
    for (const k of KEYS) expect(parseQuery(k.example, { now }).ok, k.example).toBe(true);
  });

  it("takes outcome values from the schema's enum", () => {
    for (const o of OUTCOMES) expect(term(`outcome:${o}`)).toEqual({ key: "outcome", value: o });
    const e = bad("outcome:maybe");
    expect(e.hint).toBe(`Use one of: ${OUTCOMES.join(", ")}.`);
    expect(underlined("tool:x outcome:maybe")).toBe("maybe");
  });

  it("parses the design document's examples", () => {
    expect(
      ok("principal:alice@acme.com tool:crm.* outcome:denied after:2026-11-26 cap:8f3a9c01…"),
    ).toMatchObject({
      kind: "and",
      children: [
        { term: { key: "principal" } },
        { term: { key: "tool" } },
        { term: { key: "outcome" } },
        { term: { key: "after" } },
        { term: { key: "cap" } },
      ],
    });
    expect(ok("cap.right:Order/write tenant:acme")).toMatchObject({ kind: "and" });
  });
});

describe("parseQuery: structure", () => {
  it("is empty for blank input", () => {
    expect(ok("")).toBeNull();
    expect(ok("   \t\n")).toBeNull();
  });

  it("reads free text words and quoted phrases", () => {
    expect(term("timeout")).toEqual({ key: "text", value: "timeout" });
    expect(term('"talking to CRM"')).toEqual({ key: "text", value: "talking to CRM" });
    expect(term('"say \\"hi\\" \\\\ there"')).toEqual({ key: "text", value: 'say "hi" \\ there' });
    expect(term('"http://x"')).toEqual({ key: "text", value: "http://x" });
    expect(term("12:30")).toEqual({ key: "text", value: "12:30" });
    expect(term("or")).toEqual({ key: "text", value: "or" });
  });

  it("negates with - and NOT, on terms and on groups", () => {
    expect(ok("-outcome:allowed")).toMatchObject({ kind: "not", child: { term: { key: "outcome" } } });
    expect(ok("NOT outcome:allowed")).toMatchObject({ kind: "not", child: { term: { key: "outcome" } } });
    expect(ok('-"quoted phrase"')).toMatchObject({
      kind: "not",
      child: { term: { value: "quoted phrase" } },
    });
    expect(ok("-(a OR b)")).toMatchObject({ kind: "not", child: { kind: "or" } });
    expect(ok("NOT NOT a")).toMatchObject({ kind: "not", child: { kind: "not" } });
    expect(ok("-principal:bob")?.kind).toBe("not");
  });

  it("gives OR precedence over the implicit AND; AND may be written", () => {
    expect(ok("a b OR c d")).toMatchObject({
      kind: "and",
      children: [{ term: { value: "a" } }, { kind: "or", children: [{}, {}] }, { term: { value: "d" } }],
    });
    expect(ok("a AND b")).toMatchObject({
      kind: "and",
      children: [{ term: { value: "a" } }, { term: { value: "b" } }],
    });
    expect(ok("(a b) OR c")).toMatchObject({ kind: "or", children: [{ kind: "and" }, { kind: "term" }] });
    expect(ok("outcome:denied OR outcome:error OR tool:x")).toMatchObject({
      kind: "or",
      children: [{}, {}, {}],
    });
  });

  it("records spans that point at each term", () => {
    const q = "tool:crm.*  -outcome:allowed";
    const root = ok(q);
    expect(root?.kind).toBe("and");
    if (root?.kind !== "and") return;
    const [first, second] = root.children;
    if (first?.kind !== "term" || second?.kind !== "not" || second.child.kind !== "term") throw new Error();
    expect(q.slice(first.term.span.position, first.term.span.position + first.term.span.length)).toBe(
      "tool:crm.*",
    );
    const inner = second.child.term.span;
    expect(q.slice(inner.position, inner.position + inner.length)).toBe("-outcome:allowed");
  });
});

describe("parseQuery: relative times against an injected now", () => {
  const at = (q: string) => {
    const t = term(q);
    if (t.key !== "after" && t.key !== "before") throw new Error();
    return t.at.toISOString();
  };
  it("resolves every relative form", () => {
    expect(at("after:15m")).toBe("2026-11-27T12:19:56.000Z");
    expect(at("after:2h")).toBe("2026-11-27T10:34:56.000Z");
    expect(at("after:7d")).toBe("2026-11-20T12:34:56.000Z");
    expect(at("after:1w")).toBe("2026-11-20T12:34:56.000Z");
    expect(at("after:30s")).toBe("2026-11-27T12:34:26.000Z");
    expect(at("after:now-1h")).toBe("2026-11-27T11:34:56.000Z");
    expect(at("before:now")).toBe("2026-11-27T12:34:56.000Z");
    expect(at("after:today")).toBe("2026-11-27T00:00:00.000Z");
    expect(at("after:yesterday")).toBe("2026-11-26T00:00:00.000Z");
    expect(at("after:Today")).toBe("2026-11-27T00:00:00.000Z");
  });
  it("reads ISO dates and date-times, UTC unless an offset is given", () => {
    expect(at("after:2026-11-26T09:14:03.512Z")).toBe("2026-11-26T09:14:03.512Z");
    expect(at("after:2026-11-26T09:14:03+02:00")).toBe("2026-11-26T07:14:03.000Z");
    expect(at("after:2026-11-26T09:14:03-05:30")).toBe("2026-11-26T14:44:03.000Z");
    expect(at("after:2024-02-29")).toBe("2024-02-29T00:00:00.000Z");
  });
  it("refuses bad dates with a hint", () => {
    for (const v of [
      "2026-02-30",
      "2025-02-29",
      "2026-13-01",
      "2026-11-26T24:00",
      "26-11-2026",
      "soon",
      "now+1h",
      "1y",
    ]) {
      const e = bad(`after:${v}`);
      expect(e.message, v).toMatch(/not a date or time/);
      expect(e.hint).toMatch(/2026-11-26/);
      expect(underlined(`after:${v}`)).toBe(v);
    }
  });
});

describe("parseQuery: errors point at the offending characters", () => {
  it("suggests the key the user meant", () => {
    expect(bad("princpal:alice").hint).toBe('Did you mean "principal"?');
    expect(bad("pirncipal:alice").hint).toBe('Did you mean "principal"?');
    expect(bad("outcom:denied").hint).toBe('Did you mean "outcome"?');
    expect(bad("cap.rights:Order/write").hint).toBe('Did you mean "cap.right"?');
    expect(underlined("tool:x princpal:alice")).toBe("princpal");
    expect(bad("zzzzzz:1").hint).toMatch(/Known keys: principal, agent/);
    expect(bad("http://example.test").hint).toMatch(/quote it/);
  });

  it("reports an unterminated quote from the quote to the end", () => {
    const e = bad('tool:x reason:"not Customer');
    expect(e.message).toBe("Unterminated quote.");
    expect(underlined('tool:x reason:"not Customer')).toBe('"not Customer');
    expect(underlined('x "open')).toBe('"open');
  });

  it("reports empty values", () => {
    expect(bad("principal:").message).toBe("principal: needs a value.");
    expect(underlined("tool:x principal: outcome:denied")).toBe("principal:");
    expect(underlined('principal:""')).toBe('""');
    expect(bad('principal:""').hint).toMatch(/principal:alice@acme.example/);
    expect(underlined('x ""')).toBe('""');
  });

  it("reports misuse of operators and parentheses", () => {
    expect(underlined("OR x")).toBe("OR");
    expect(underlined("x OR")).toBe("OR");
    expect(underlined("x OR OR y")).toBe("OR");
    expect(underlined("x NOT")).toBe("NOT");
    expect(underlined("x AND")).toBe("AND");
    expect(underlined("a (b")).toBe("(");
    expect(underlined("a b)")).toBe(")");
    expect(underlined("a () b")).toBe("()");
    expect(underlined("a - b")).toBe("-");
    expect(underlined('"a"b')).toBe("b");
    expect(bad("((((((((((a))))))))))").message).toMatch(/nested too deeply/);
  });

  it("checks key-specific values", () => {
    expect(underlined("cap:8f3a")).toBe("8f3a");
    expect(bad("cap:8f3a").message).toMatch(/at least 8 hex/);
    expect(bad("under:8f3a…").message).toMatch(/at least 8 hex/);
    expect(bad("cap:zz12…").message).toMatch(/must be hex/);
    expect(bad("session:sess_*").message).toBe("session: does not take wildcards.");
    expect(bad("resource:#x").message).toMatch(/needs a type/);
    expect(bad("resource:Order#").message).toMatch(/needs an id/);
    expect(bad("cap.right:*/*").message).toMatch(/name a resource type or an action/);
    expect(bad("cap.right:Ord*/write").message).toMatch(/whole names/);
    expect(bad("cap.right:Order/").message).toMatch(/empty/);
  });

  it("limits length and size", () => {
    const long = "x".repeat(2001);
    expect(bad(long)).toMatchObject({ position: 2000, length: 1 });
    expect(bad(Array.from({ length: 65 }, (_, i) => `tool:w${i}`).join(" ")).message).toMatch(
      /too many terms/,
    );
    expect(bad(`tool:${"x".repeat(300)}`).message).toMatch(/too long/);
  });
});

describe("bounds on expensive operators (issue 11, item 5)", () => {
  const err = (q: string) => {
    const r = parseQuery(q);
    if (r.ok) throw new Error(`expected an error for ${q}`);
    return r.error;
  };
  it("refuses the ninth under:/cap.right: term, pointing at it", () => {
    const terms = Array.from({ length: 8 }, (_, i) => `under:${String(i).repeat(8)}`);
    expect(parseQuery(terms.join(" OR ")).ok).toBe(true);
    const q = `${terms.join(" OR ")} OR cap.right:Order/write`;
    const e = err(q);
    expect(e.message).toMatch(/Too many under: and cap.right: terms \(at most 8\)/);
    expect(q.slice(e.position, e.position + e.length)).toBe("cap.right:Order/write");
  });
  it("refuses the ninth free-text or reason: term, pointing at it", () => {
    const words = Array.from({ length: 8 }, (_, i) => `w${i}`);
    expect(parseQuery(words.join(" OR ")).ok).toBe(true);
    const q = `${words.join(" OR ")} OR reason:timeout`;
    const e = err(q);
    expect(e.message).toMatch(/Too many free-text terms \(at most 8/);
    expect(q.slice(e.position, e.position + e.length)).toBe("reason:timeout");
  });
  it("refuses more than four * in one value, pointing at the value", () => {
    expect(parseQuery("tool:*a*b*c*").ok).toBe(true);
    const q = "outcome:denied tool:*a*b*c*d*";
    const e = err(q);
    expect(e.message).toMatch(/Too many \* in one value/);
    expect(q.slice(e.position, e.position + e.length)).toBe("*a*b*c*d*");
    expect(err('"*a*b*c*d*e"').message).toMatch(/Too many \*/);
  });
});
