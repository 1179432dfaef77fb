import { EVENT_TIERS, type EventTier, OUTCOMES, type Outcome } from "@/db/schema";
import { parseTimeValue, TIME_HINT } from "./time";
import { IS_VALUES, type IsValue, type QueryError, type Span, type TermBody } from "./types";

export interface RawValue {
  value: string;
  quoted: boolean;
  span: Span;
}

export interface KeyDef {
  name: string;
  example: string;
  /** "full": hidden from viewers, whose rows omit what this key filters on (see docs). */
  detail: "summary" | "full";
  parse(v: RawValue, now: Date): TermBody | QueryError;
}

/** Longest value accepted for any key: ids, names and phrases are far shorter. */
export const MAX_VALUE_LENGTH = 256;
/** A full capability id is this many hex characters or more; shorter hex is a prefix. */
export const FULL_CAP_ID_HEX = 64;
export const MIN_CAP_PREFIX = 8;

const WILDCARD_KEYS = ["principal", "agent", "tool", "type"] as const;
const ELLIPSIS = /(?:…|\.\.\.)$/;
const HEX = /^[0-9a-f]+$/i;

const err = (span: Span, message: string, hint: string): QueryError => ({ ...span, message, hint });
/** A user value as quoted in a message: short, so a pasted essay does not fill the error line. */
export const shown = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
const isError = (x: TermBody | QueryError): x is QueryError => "message" in x;

function pattern(key: (typeof WILDCARD_KEYS)[number], example: string): KeyDef {
  return {
    name: key,
    example,
    detail: "summary",
    parse: (v) => ({ key, value: v.value, wildcard: v.value.includes("*") }),
  };
}

function exact(key: "session" | "request" | "action" | "field" | "tenant", example: string): KeyDef {
  return {
    name: key,
    example,
    detail: "summary",
    parse: (v) =>
      v.value.includes("*")
        ? err(
            v.span,
            `${key}: does not take wildcards.`,
            `Give the exact ${key}. Wildcards (*) work with ${WILDCARD_KEYS.map((k) => `${k}:`).join(", ")}.`,
          )
        : { key, value: v.value },
  };
}

function capId(key: "cap" | "under", example: string): KeyDef {
  return {
    name: key,
    example,
    detail: "full",
    parse: (v) => {
      const truncated = ELLIPSIS.test(v.value);
      const id = v.value.replace(ELLIPSIS, "");
      if (!HEX.test(id)) {
        if (truncated || id === "" || id.includes("*"))
          return err(
            v.span,
            `${key}: a shortened id must be hex.`,
            `Give the whole capability id, or at least ${MIN_CAP_PREFIX} of its first hex characters.`,
          );
        return { key, id, prefix: false };
      }
      if (id.length < MIN_CAP_PREFIX)
        return err(
          v.span,
          `${key}: give at least ${MIN_CAP_PREFIX} hex characters of the capability id.`,
          `A prefix of ${id.length} characters would match too many capabilities; e.g. ${example}.`,
        );
      const lower = id.toLowerCase();
      return { key, id: lower, prefix: truncated || lower.length < FULL_CAP_ID_HEX };
    },
  };
}

function time(key: "after" | "before", example: string): KeyDef {
  return {
    name: key,
    example,
    detail: "summary",
    parse: (v, now) => {
      const at = parseTimeValue(v.value, now);
      return at ? { key, at } : err(v.span, `${key}: ${shown(v.value)} is not a date or time.`, TIME_HINT);
    },
  };
}

const NAME = /^[^*/]+$/;

export const KEYS: readonly KeyDef[] = [
  pattern("principal", "principal:alice@acme.example"),
  pattern("agent", "agent:alice-assistant/*"),
  pattern("tool", "tool:crm.*"),
  pattern("type", "type:escalation.*"),
  {
    name: "outcome",
    example: "outcome:denied",
    detail: "summary",
    parse: (v) => {
      const value = v.value.toLowerCase();
      return (OUTCOMES as readonly string[]).includes(value)
        ? { key: "outcome", value: value as Outcome }
        : err(v.span, `outcome: ${shown(v.value)} is not an outcome.`, `Use one of: ${OUTCOMES.join(", ")}.`);
    },
  },
  {
    name: "reason",
    example: 'reason:"not Customer"',
    detail: "full",
    parse: (v) => ({ key: "reason", value: v.value }),
  },
  exact("session", "session:sess_7Hq2"),
  exact("request", "request:req_91ab"),
  {
    name: "resource",
    example: "resource:Order#o_1",
    detail: "summary",
    parse: (v) => {
      const hash = v.value.indexOf("#");
      const resourceType = hash < 0 ? v.value : v.value.slice(0, hash);
      const resourceId = hash < 0 ? null : v.value.slice(hash + 1);
      if (resourceType === "")
        return err(
          v.span,
          "resource: needs a type before '#'.",
          "Write Type or Type#id, e.g. resource:Order#o_1.",
        );
      if (resourceId === "")
        return err(
          v.span,
          "resource: needs an id after '#'.",
          "Write Type or Type#id, e.g. resource:Order#o_1.",
        );
      if (v.value.includes("*"))
        return err(
          v.span,
          "resource: does not take wildcards.",
          "Write Type or Type#id, e.g. resource:Order.",
        );
      return { key: "resource", resourceType, resourceId };
    },
  },
  exact("action", "action:write"),
  exact("field", "field:email"),
  exact("tenant", "tenant:acme"),
  capId("cap", "cap:8f3a9c01"),
  capId("under", "under:8f3a9c01"),
  {
    name: "cap.right",
    example: "cap.right:Order/write",
    detail: "full",
    parse: (v) => {
      const slash = v.value.indexOf("/");
      const [res, act] = slash < 0 ? [v.value, "*"] : [v.value.slice(0, slash), v.value.slice(slash + 1)];
      const hint = "Write Type/action, Type, or */action, e.g. cap.right:Order/write.";
      if (res === "" || act === "") return err(v.span, "cap.right: a part is empty.", hint);
      if ((res !== "*" && !NAME.test(res)) || (act !== "*" && !NAME.test(act)))
        return err(v.span, "cap.right: takes whole names or *, not patterns.", hint);
      if (res === "*" && act === "*")
        return err(v.span, "cap.right: name a resource type or an action.", hint);
      return { key: "cap.right", resource: res === "*" ? null : res, action: act === "*" ? null : act };
    },
  },
  {
    name: "tier",
    example: "tier:observed",
    detail: "summary",
    parse: (v) => {
      const value = v.value.toLowerCase();
      return (EVENT_TIERS as readonly string[]).includes(value)
        ? { key: "tier", value: value as EventTier }
        : err(
            v.span,
            `tier: ${shown(v.value)} is not a tier.`,
            "Use tier:attested (sent by a capability-enforcing platform) or tier:observed (read from traces).",
          );
    },
  },
  {
    name: "is",
    example: "is:uncovered",
    detail: "summary",
    parse: (v) => {
      const value = v.value.toLowerCase();
      return (IS_VALUES as readonly string[]).includes(value)
        ? { key: "is", value: value as IsValue }
        : err(v.span, `is: ${shown(v.value)} is not known.`, `Use one of: ${IS_VALUES.join(", ")}.`);
    },
  },
  time("after", "after:2026-11-26"),
  time("before", "before:today"),
];

const BY_NAME = new Map(KEYS.map((k) => [k.name, k]));

export function findKey(name: string): KeyDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps: "pirncipal"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The closest known key, if it is close enough to be what the user meant. */
export function suggestKey(name: string): string | null {
  const lower = name.toLowerCase().slice(0, 32);
  let best: { name: string; distance: number } | null = null;
  for (const k of KEYS) {
    const distance = editDistance(lower, k.name);
    if (!best || distance < best.distance) best = { name: k.name, distance };
  }
  const allowed = lower.length <= 4 ? 1 : 2;
  return best && best.distance <= allowed ? best.name : null;
}

/** Checks a key's value; an empty value is refused here so every key reports it alike. */
export function parseValue(def: KeyDef, keySpan: Span, v: RawValue, now: Date): TermBody | QueryError {
  if (v.value.trim() === "") {
    const span = v.quoted ? v.span : { position: keySpan.position, length: keySpan.length + 1 };
    return err(
      span,
      `${def.name}: needs a value.`,
      `Write the value right after the colon, e.g. ${def.example}.`,
    );
  }
  if (v.value.length > MAX_VALUE_LENGTH)
    return err(
      v.span,
      `${def.name}: the value is too long.`,
      `Values are at most ${MAX_VALUE_LENGTH} characters.`,
    );
  return def.parse(v, now);
}

export { isError };
