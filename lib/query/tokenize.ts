import type { QueryError, Span } from "./types";

/** A `key:value` or a bare word / "phrase" (key null). `negated` comes from a leading `-`. */
export interface TermToken extends Span {
  t: "term";
  negated: boolean;
  key: string | null;
  keySpan: Span | null;
  value: string;
  valueSpan: Span;
  quoted: boolean;
}

export type Token = (Span & { t: "lparen" | "rparen" | "or" | "and" | "not" }) | TermToken;

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; error: QueryError };

const SPACE = /\s/;
// A key is a letter followed by letters, digits, `_` or `.`, then `:` (e.g. `cap.right:`).
const KEY = /[A-Za-z][A-Za-z0-9_.]*:/y;

const isSpace = (c: string | undefined) => c !== undefined && SPACE.test(c);
const endsWord = (c: string | undefined) => c === undefined || isSpace(c) || c === "(" || c === ")";

/** Reads a quoted string starting at `start` (which holds `"`); `\"` and `\\` are escapes. */
function readQuoted(
  input: string,
  start: number,
): { ok: true; value: string; end: number } | { ok: false; error: QueryError } {
  let value = "";
  let i = start + 1;
  while (i < input.length) {
    const c = input[i];
    if (c === "\\" && (input[i + 1] === '"' || input[i + 1] === "\\")) {
      value += input[i + 1];
      i += 2;
      continue;
    }
    if (c === '"') return { ok: true, value, end: i + 1 };
    value += c;
    i += 1;
  }
  return {
    ok: false,
    error: {
      message: "Unterminated quote.",
      position: start,
      length: input.length - start,
      hint: 'Close the quote with ", or remove it. Write \\" for a quote inside quotes.',
    },
  };
}

function readBare(input: string, start: number): number {
  let i = start;
  while (!endsWord(input[i])) i += 1;
  return i;
}

/** Splits the search box string into tokens. Never throws. */
export function tokenize(input: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (isSpace(c)) {
      i += 1;
      continue;
    }
    if (c === "(" || c === ")") {
      tokens.push({ t: c === "(" ? "lparen" : "rparen", position: i, length: 1 });
      i += 1;
      continue;
    }
    const start = i;
    let negated = false;
    if (c === "-") {
      const next = input[i + 1];
      if (next === "(") {
        tokens.push({ t: "not", position: i, length: 1 });
        i += 1;
        continue;
      }
      if (endsWord(next) || next === "-") {
        return {
          ok: false,
          error: {
            message: "Nothing to exclude after '-'.",
            position: i,
            length: 1,
            hint: 'Write the term right after the minus, e.g. -outcome:allowed, or quote it: "-".',
          },
        };
      }
      negated = true;
      i += 1;
    }
    if (input[i] === '"') {
      const q = readQuoted(input, i);
      if (!q.ok) return q;
      if (!endsWord(input[q.end])) return trailingAfterQuote(input, q.end);
      tokens.push({
        t: "term",
        negated,
        key: null,
        keySpan: null,
        value: q.value,
        valueSpan: { position: i, length: q.end - i },
        quoted: true,
        position: start,
        length: q.end - start,
      });
      i = q.end;
      continue;
    }
    KEY.lastIndex = i;
    const key = KEY.exec(input);
    if (key) {
      const keyText = key[0].slice(0, -1);
      const valueStart = i + key[0].length;
      let value: string;
      let end: number;
      let quoted = false;
      if (input[valueStart] === '"') {
        const q = readQuoted(input, valueStart);
        if (!q.ok) return q;
        if (!endsWord(input[q.end])) return trailingAfterQuote(input, q.end);
        value = q.value;
        end = q.end;
        quoted = true;
      } else {
        end = readBare(input, valueStart);
        value = input.slice(valueStart, end);
      }
      tokens.push({
        t: "term",
        negated,
        key: keyText,
        keySpan: { position: i, length: keyText.length },
        value,
        valueSpan: { position: valueStart, length: end - valueStart },
        quoted,
        position: start,
        length: end - start,
      });
      i = end;
      continue;
    }
    const end = readBare(input, i);
    const word = input.slice(i, end);
    if (!negated && (word === "OR" || word === "AND" || word === "NOT")) {
      const t = word === "OR" ? "or" : word === "AND" ? "and" : "not";
      tokens.push({ t, position: i, length: word.length });
    } else {
      tokens.push({
        t: "term",
        negated,
        key: null,
        keySpan: null,
        value: word,
        valueSpan: { position: i, length: end - i },
        quoted: false,
        position: start,
        length: end - start,
      });
    }
    i = end;
  }
  return { ok: true, tokens };
}

function trailingAfterQuote(input: string, at: number): { ok: false; error: QueryError } {
  return {
    ok: false,
    error: {
      message: "Unexpected text right after a closing quote.",
      position: at,
      length: readBare(input, at) - at || 1,
      hint: "Put a space after the closing quote, or move the text inside the quotes.",
    },
  };
}
