// What a string in an ingested event may contain. Everything here ends up on an investigator's
// screen or in an export, so nothing may rewrite the terminal (ANSI), reorder what is shown
// (Trojan Source bidi controls) or smuggle a raw token into the log.

// C0 and C1 controls and DEL; ESC is reported separately as an ANSI escape.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_WITH_WHITESPACE = /[\u0000-\u001a\u001c-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const ANSI = /\u001b|\u009b/;
// U+202A–U+202E (embeddings, overrides), U+2066–U+2069 (isolates), plus the invisible marks that
// serve the same trick (LRM, RLM, ALM).
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
// A lone UTF-16 surrogate (JSON "\ud800") cannot be stored as UTF-8 and would change on the way
// back, breaking the row's content hash.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// A raw Biscuit token (or any bearer secret) is a long unbroken base64url run; hex digests and
// revocation ids are allowed, so only runs with a non-hex character count.
const TOKEN_RUN = /[A-Za-z0-9_-]{100,}={0,2}/g;
const HEX_ONLY = /^[0-9a-fA-F]+$/;
const BEARER = /\bbearer\s+[A-Za-z0-9_.~+/-]{20,}/i;

export type TextKind = "identifier" | "text";

/** Why a string is refused, or null. Identifiers take no whitespace controls; free text takes \t \n \r. */
export function textProblem(value: string, kind: TextKind): string | null {
  if (ANSI.test(value)) return "must not contain ANSI escape sequences";
  if (BIDI.test(value))
    return "must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)";
  if ((kind === "identifier" ? CONTROL_WITH_WHITESPACE : CONTROL).test(value))
    return "must not contain control characters";
  if (LONE_SURROGATE.test(value)) return "must be valid Unicode (lone surrogate)";
  if (looksLikeRawToken(value))
    return "looks like a raw token: send its hash (capability.hash), never the token";
  return null;
}

export function looksLikeRawToken(value: string): boolean {
  if (value.length < 100) return BEARER.test(value);
  if (BEARER.test(value)) return true;
  for (const m of value.matchAll(TOKEN_RUN)) {
    if (!HEX_ONLY.test(m[0].replace(/=+$/, ""))) return true;
  }
  return false;
}
