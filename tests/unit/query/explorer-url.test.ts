import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  effectiveQuery,
  explorerHref,
  readSavedQuery,
  savedQueryText,
  withTerm,
} from "@/app/(console)/events/url-state";
import { parseQuery } from "@/lib/query";

// The explorer's URL state (issue 12): chips append terms the parser reads back exactly, the
// default view leaves console events out, and a saved query keeps its time range.

const NOW = new Date("2026-12-02T12:00:00Z");

describe("explorer URL state", () => {
  it("a chip's term parses back to the same value, whatever the value holds", () => {
    fc.assert(
      fc.property(
        // Real ids and names: not blank, no control characters, no * (a wildcard in pattern keys).
        fc
          .string({ minLength: 1, maxLength: 60 })
          .filter(
            (v) => v.trim() === v && v !== "" && ![...v].some((c) => c.charCodeAt(0) < 32 || c === "*"),
          ),
        fc.constantFrom("principal", "agent", "tool", "session", "request", "reason"),
        fc.boolean(),
        (value, key, exclude) => {
          const parsed = parseQuery(withTerm("outcome:denied", key, value, exclude), { now: NOW });
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          const root = parsed.query.root;
          expect(root?.kind).toBe("and");
          if (root?.kind !== "and") return;
          const last = root.children.at(-1);
          const term = exclude ? (last?.kind === "not" ? last.child : null) : last;
          expect(term?.kind).toBe("term");
          if (term?.kind !== "term") return;
          expect(term.term.key).toBe(key);
          expect((term.term as { value: string }).value).toBe(value);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("leaves console activity out by default, unless asked or the query names a type", () => {
    const base = { q: "outcome:denied", range: "7d" as const, from: "", to: "", console: false };
    expect(effectiveQuery(base)).toBe("outcome:denied -type:console.* after:7d");
    expect(effectiveQuery({ ...base, console: true })).toBe("outcome:denied after:7d");
    expect(effectiveQuery({ ...base, q: "type:console.login" })).toBe("type:console.login after:7d");
    expect(effectiveQuery({ ...base, range: "all" })).toBe("outcome:denied -type:console.*");
    expect(effectiveQuery({ ...base, from: "2026-12-01T10:00", to: "2026-12-01T11:00" })).toBe(
      "outcome:denied -type:console.* after:2026-12-01T10:00 before:2026-12-01T11:00",
    );
    expect(parseQuery(effectiveQuery(base), { now: NOW }).ok).toBe(true);
  });

  it("saved queries keep their range and read back into the time picker", () => {
    for (const s of [
      { q: "outcome:denied", range: "24h" as const, from: "", to: "" },
      { q: "outcome:denied", range: "all" as const, from: "", to: "" },
      { q: "", range: "1h" as const, from: "", to: "" },
      { q: 'tool:"a b"', range: "7d" as const, from: "2026-12-01T10:00", to: "2026-12-01T11:00" },
      { q: "x", range: "7d" as const, from: "2026-12-01T10:00", to: "" },
      { q: "x", range: "7d" as const, from: "", to: "2026-12-01T11:00" },
    ]) {
      expect(readSavedQuery(savedQueryText(s))).toEqual(s);
    }
  });

  it("writes links with the defaults left out", () => {
    expect(explorerHref({})).toBe("/events");
    expect(explorerHref({ q: "a b", range: "all", console: true })).toBe(
      "/events?q=a+b&range=all&console=true",
    );
    expect(explorerHref({ cursor: "abc", sort: "ts_asc" })).toBe("/events?sort=ts_asc&cursor=abc");
  });
});
