import type { EventTier, Outcome } from "@/db/schema";

/** Where something sits in the query string (UTF-16 offsets, as JavaScript counts them). */
export interface Span {
  position: number;
  length: number;
}

/** A parse error the UI can underline: `position`/`length` point at the offending characters. */
export interface QueryError extends Span {
  message: string;
  /** What to do about it; always set, so the UI never shows a bare "syntax error". */
  hint: string;
  /**
   * Absent for a query that does not parse. "forbidden": the caller's role may not use a term
   * (an API answers 403). "too_expensive": stopped by the query budget (an API answers 422).
   */
  code?: "forbidden" | "too_expensive";
}

/** Keys whose values may contain `*` (any run of characters). */
export type PatternKey = "principal" | "agent" | "tool" | "type";
/** Keys compared for equality. */
export type ExactKey = "session" | "request" | "action" | "field" | "tenant";

export type TermBody =
  /** Bare words and "quoted phrases": case-insensitive substring of tool, reason, principal, agent, resource id. */
  | { key: "text"; value: string }
  /** `wildcard` false: equality; true: `value` is a pattern where `*` stands for any run of characters. */
  | { key: PatternKey; value: string; wildcard: boolean }
  | { key: ExactKey; value: string }
  /** Case-insensitive substring; `*` inside it is a wildcard too. */
  | { key: "reason"; value: string }
  | { key: "outcome"; value: Outcome }
  | { key: "resource"; resourceType: string; resourceId: string | null }
  /** `prefix`: `id` is at least 8 lower-case hex characters and matches every id starting with it. */
  | { key: "cap" | "under"; id: string; prefix: boolean }
  /** Either side may be null (`cap.right:Order`, `cap.right:*\/write`), never both. */
  | { key: "cap.right"; resource: string | null; action: string | null }
  /** The event's tier (issue 13): attested by a capability-enforcing platform, or observed from traces. */
  | { key: "tier"; value: EventTier }
  /** is:uncovered / is:covered: tool calls without / with a capability; is:observed / is:attested as tier:. */
  | { key: "is"; value: IsValue }
  /** after: is inclusive (ts >= at), before: exclusive (ts < at). */
  | { key: "after" | "before"; at: Date };

export const IS_VALUES = ["uncovered", "covered", "observed", "attested"] as const;
export type IsValue = (typeof IS_VALUES)[number];

export type Term = TermBody & { span: Span };
export type TermKey = Term["key"];

export type QueryNode =
  | { kind: "and"; children: QueryNode[] }
  | { kind: "or"; children: QueryNode[] }
  | { kind: "not"; child: QueryNode; span: Span }
  | { kind: "term"; term: Term };

/** `root` null: the empty query, which matches every event in view. */
export interface ParsedQuery {
  root: QueryNode | null;
}

export type ParseResult = { ok: true; query: ParsedQuery } | { ok: false; error: QueryError };
