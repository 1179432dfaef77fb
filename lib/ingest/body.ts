// Reads a request body as JSON without trusting it: the size limit holds while streaming (a 10 MB
// body costs at most limit + one chunk of memory), bytes must be UTF-8, and nesting is bounded
// before JSON.parse so nothing later recurses into a hostile depth.

export type BodyError =
  | { kind: "too_large"; message: string }
  | { kind: "bad_utf8"; message: string }
  | { kind: "too_deep"; message: string }
  | { kind: "bad_json"; message: string };

export type BodyResult = { ok: true; value: unknown } | ({ ok: false } & BodyError);

export async function readLimited(
  request: Request,
  maxBytes: number,
): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; kind: "too_large"; message: string }> {
  const tooLarge = {
    ok: false as const,
    kind: "too_large" as const,
    message: `body must be at most ${maxBytes} bytes`,
  };
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => {});
    return tooLarge;
  }
  if (!request.body) return { ok: true, bytes: new Uint8Array() };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return tooLarge;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { ok: true, bytes };
}

/** The deepest nesting of arrays and objects in a JSON text, outside strings; stops past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function parseJsonBytes(bytes: Uint8Array, maxDepth: number): BodyResult {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, kind: "bad_utf8", message: "body is not valid UTF-8" };
  }
  if (jsonDepthExceeds(text, maxDepth))
    return { ok: false, kind: "too_deep", message: `JSON must be nested at most ${maxDepth} levels` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    // SyntaxError's message names a position, never anything of ours.
    const detail = err instanceof SyntaxError ? `: ${err.message.slice(0, 200)}` : "";
    return { ok: false, kind: "bad_json", message: `body is not valid JSON${detail}` };
  }
}
