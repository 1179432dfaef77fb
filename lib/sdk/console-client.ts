// How the SDK talks to the console: base URL, API key as a bearer token, a per-request timeout.
// Framework-free and without Biscuit code, so every SDK module can use it.

export interface ConsoleClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Per-request timeout. */
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
    },
    signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
  });
}
