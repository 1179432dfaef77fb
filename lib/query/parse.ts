import { findKey, isError, KEYS, MAX_VALUE_LENGTH, parseValue, shown, suggestKey } from "./keys";
import { type TermToken, type Token, tokenize } from "./tokenize";
import type { ParseResult, QueryError, QueryNode, Span } from "./types";

export const MAX_QUERY_LENGTH = 2000;
export const MAX_TERMS = 64;
export const MAX_DEPTH = 8;
/**
 * under: and cap.right: each add a subquery over capabilities that every candidate event is
 * checked against; 64 of them OR'ed took 12–15 s for one page on 59k events (issue 11). Eight
 * cover a real investigation ("any of these sessions' roots"); more is refused at the term.
 */
export const MAX_SUBTREE_TERMS = 8;
/**
 * Free-text words and reason: each compare every candidate event's text columns with ILIKE
 * '%…%', which no index answers: sixteen OR'ed took ≈ 1 s on PostgreSQL and ≈ 9 s on PGlite over
 * 60k events (and the planner's estimate does not see it, so the query budget cannot either).
 */
export const MAX_TEXT_TERMS = 8;
/** `*` per value: each is a LIKE `%`, and several in one value make every comparison slower. */
export const MAX_WILDCARDS = 4;
const SUBTREE_KEYS = new Set(["under", "cap.right"]);

// Grammar (OR binds tighter than the implicit AND, as in Gmail and Google):
//   query   := and EOF
//   and     := or+                      (AND between terms is implicit; the word AND is allowed)
//   or      := unary ("OR" unary)*
//   unary   := ("NOT" | "-") unary | term | "(" and ")"
class ParseError {
  constructor(readonly error: QueryError) {}
}

const fail = (span: Span, message: string, hint: string): never => {
  throw new ParseError({ position: span.position, length: span.length, message, hint });
};

class Parser {
  private i = 0;
  private terms = 0;
  private subtreeTerms = 0;
  private textTerms = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly input: string,
    private readonly now: Date,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  parseQuery(): QueryNode | null {
    if (this.tokens.length === 0) return null;
    const node = this.parseAnd(0);
    const extra = this.peek();
    if (extra) fail(extra, "Unmatched ')'.", "Remove it, or add the '(' it closes.");
    return node;
  }

  private parseAnd(depth: number): QueryNode {
    const children: QueryNode[] = [];
    for (let tok = this.peek(); tok && tok.t !== "rparen"; tok = this.peek()) {
      if (tok.t === "and") {
        this.i += 1;
        const next = this.peek();
        if (children.length === 0 || !next || next.t === "rparen" || next.t === "or" || next.t === "and")
          fail(tok, "AND needs a term on both sides.", "Terms are ANDed anyway: just leave AND out.");
        continue;
      }
      children.push(this.parseOr(depth));
    }
    if (children.length === 1 && children[0]) return children[0];
    return { kind: "and", children };
  }

  private parseOr(depth: number): QueryNode {
    const children = [this.parseUnary(depth)];
    for (let tok = this.peek(); tok?.t === "or"; tok = this.peek()) {
      this.i += 1;
      const next = this.peek();
      if (!next || next.t === "rparen" || next.t === "or" || next.t === "and")
        fail(
          tok,
          "OR needs a term on both sides.",
          "Write a term after OR, e.g. outcome:denied OR outcome:error.",
        );
      children.push(this.parseUnary(depth));
    }
    return children.length === 1 && children[0] ? children[0] : { kind: "or", children };
  }

  private parseUnary(depth: number): QueryNode {
    const tok = this.peek();
    if (!tok)
      return fail(
        { position: this.input.length, length: 0 },
        "The query ends too early.",
        "Finish the term.",
      );
    if (depth > MAX_DEPTH)
      fail(tok, "The query is nested too deeply.", `Use at most ${MAX_DEPTH} levels of parentheses and NOT.`);
    switch (tok.t) {
      case "not": {
        this.i += 1;
        const next = this.peek();
        if (!next || next.t === "rparen" || next.t === "or" || next.t === "and")
          fail(tok, "NOT needs a term after it.", "e.g. NOT outcome:allowed, or -outcome:allowed.");
        return {
          kind: "not",
          child: this.parseUnary(depth + 1),
          span: { position: tok.position, length: tok.length },
        };
      }
      case "lparen": {
        this.i += 1;
        const inner = this.peek();
        if (!inner) fail(tok, "Unclosed '('.", "Add the ')' that closes it.");
        if (inner?.t === "rparen")
          fail(
            { position: tok.position, length: 2 },
            "Empty parentheses.",
            "Put terms inside, or remove them.",
          );
        const node = this.parseAnd(depth + 1);
        if (this.peek()?.t !== "rparen") fail(tok, "Unclosed '('.", "Add the ')' that closes it.");
        this.i += 1;
        return node;
      }
      case "rparen":
        return fail(tok, "Unmatched ')'.", "Remove it, or add the '(' it closes.");
      case "or":
      case "and":
        return fail(tok, `${tok.t.toUpperCase()} needs a term on both sides.`, "Write a term before it.");
      case "term": {
        this.i += 1;
        this.terms += 1;
        if (this.terms > MAX_TERMS)
          fail(
            tok,
            "The query has too many terms.",
            `Use at most ${MAX_TERMS} terms; save narrower queries instead.`,
          );
        const node: QueryNode = { kind: "term", term: this.term(tok) };
        if (!tok.negated) return node;
        return { kind: "not", child: node, span: { position: tok.position, length: 1 } };
      }
    }
  }

  private countText(span: Span): void {
    if (++this.textTerms > MAX_TEXT_TERMS)
      fail(
        span,
        `Too many free-text terms (at most ${MAX_TEXT_TERMS}, reason: included).`,
        "Each one is compared with the text of every event: use keys (principal:, tool:, type:) instead.",
      );
  }

  private wildcards(tok: TermToken): void {
    if (tok.value.split("*").length - 1 > MAX_WILDCARDS)
      fail(
        tok.valueSpan,
        `Too many * in one value (at most ${MAX_WILDCARDS}).`,
        "Each * widens the pattern every event is compared with: use fewer, e.g. tool:crm.*.",
      );
  }

  private term(tok: TermToken) {
    const raw = { value: tok.value, quoted: tok.quoted, span: tok.valueSpan };
    if (tok.key === null || tok.keySpan === null) {
      if (tok.value.trim() === "")
        fail(tok.valueSpan, "Empty phrase.", "Put some text between the quotes, or remove them.");
      if (tok.value.length > MAX_VALUE_LENGTH)
        fail(tok.valueSpan, "The phrase is too long.", `Phrases are at most ${MAX_VALUE_LENGTH} characters.`);
      this.wildcards(tok);
      this.countText(spanOf(tok));
      return { key: "text" as const, value: tok.value, span: spanOf(tok) };
    }
    this.wildcards(tok);
    const def = findKey(tok.key);
    if (!def) {
      const suggestion = suggestKey(tok.key);
      return fail(
        tok.keySpan,
        `Unknown key ${shown(tok.key)}.`,
        suggestion
          ? `Did you mean "${suggestion}"?`
          : `Known keys: ${KEYS.map((k) => k.name).join(", ")}. To search for text with a colon, quote it.`,
      );
    }
    const body = parseValue(def, tok.keySpan, raw, this.now);
    if (isError(body)) throw new ParseError(body);
    if (SUBTREE_KEYS.has(body.key) && ++this.subtreeTerms > MAX_SUBTREE_TERMS)
      fail(
        spanOf(tok),
        `Too many under: and cap.right: terms (at most ${MAX_SUBTREE_TERMS}).`,
        "Each one searches the capability trees again: split the query, or use a shorter time range.",
      );
    if (body.key === "reason") this.countText(spanOf(tok));
    return { ...body, span: spanOf(tok) };
  }
}

const spanOf = (tok: TermToken): Span => ({ position: tok.position, length: tok.length });

/**
 * Parses the explorer's search box. Relative times (15m, today, now-1h…) are resolved against
 * `now`, so the result is plain data. Never throws: every input yields a query or an error.
 */
export function parseQuery(input: string, opts: { now?: Date } = {}): ParseResult {
  try {
    if (typeof input !== "string")
      return {
        ok: false,
        error: { message: "The query must be text.", position: 0, length: 0, hint: "Type a search." },
      };
    if (input.length > MAX_QUERY_LENGTH)
      return {
        ok: false,
        error: {
          message: "The query is too long.",
          position: MAX_QUERY_LENGTH,
          length: input.length - MAX_QUERY_LENGTH,
          hint: `Queries are at most ${MAX_QUERY_LENGTH} characters.`,
        },
      };
    const lexed = tokenize(input);
    if (!lexed.ok) return lexed;
    const root = new Parser(lexed.tokens, input, opts.now ?? new Date()).parseQuery();
    return { ok: true, query: { root } };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e.error };
    // A bug, not bad input; still never throw at the caller (the search box must stay usable).
    return {
      ok: false,
      error: {
        message: "The query could not be read.",
        position: 0,
        length: input.length,
        hint: "Simplify it.",
      },
    };
  }
}
