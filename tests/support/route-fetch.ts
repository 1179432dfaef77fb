/** A route handler as Next calls it: a Request in, a Response out. */
export type RouteHandler = (request: Request) => Response | Promise<Response>;

/**
 * A `fetch` answered in-process by route handlers, so the SDK (or a bench) talks to the real
 * handlers over the real database without starting a server. A route is an exact path or a
 * pattern matched against the path; anything else gets a 404. With `apiKey`, every request
 * carries it as `Authorization: Bearer <key>` (replacing whatever the caller set).
 */
export function routeFetch(
  routes: ReadonlyArray<readonly [string | RegExp, RouteHandler]>,
  options: { apiKey?: string } = {},
): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    if (options.apiKey) request.headers.set("authorization", `Bearer ${options.apiKey}`);
    const path = new URL(request.url).pathname;
    const route = routes.find(([match]) => (typeof match === "string" ? match === path : match.test(path)));
    return route ? route[1](request) : new Response("not found", { status: 404 });
  }) as typeof fetch;
}
