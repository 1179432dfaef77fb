export { KEYS } from "./keys";
export { MAX_QUERY_LENGTH, parseQuery } from "./parse";
export type { ParsedQuery, ParseResult, QueryError, QueryNode, Span, Term, TermKey } from "./types";
