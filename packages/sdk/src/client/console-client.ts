// How the SDK talks to the console: base URL, API key as a bearer token, a per-request timeout.
// Framework-free and without Biscuit code, so every SDK module can use it.
import type { z } from "zod";

/** Every request the SDK makes is bounded by this unless the caller sets `timeoutMs`. */
export const DEFAULT_TIMEOUT_MS = 5000;

export interface ConsoleClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Per-request timeout, reading the answer's body included (default 5 s). */
  timeoutMs?: number;
}

/** One request to the console's API (`path` with its query), JSON accepted, JSON body if given. */
export function consoleRequest(
  o: ConsoleClientOptions,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const f = o.fetch ?? globalThis.fetch.bind(globalThis);
  return f(`${o.baseUrl.replace(/\/$/, "")}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${o.apiKey}`,
      accept: "application/json",
      ...(init.body ? { "content-type": "application/json" } : {}),
      ...(init.headers as Record<string, string> | undefined),
    },
    signal: AbortSignal.timeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  });
}

/** An answer that is not what the wire schema says: a console of another version, a proxy page. */
export class UnexpectedResponseError extends Error {
  override name = "UnexpectedResponseError";
}

/** The JSON body of `res`, checked against its wire schema. */
export async function parseBody<S extends z.ZodType>(
  res: Response,
  schema: S,
  what: string,
): Promise<z.output<S>> {
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UnexpectedResponseError(
      `${what}: unexpected answer from the console (${issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "not JSON"})`,
    );
  }
  return parsed.data;
}
