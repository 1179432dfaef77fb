import { NextRequest } from "next/server";
import { actAs } from "./next-request";

type Handler = (req: NextRequest, ctx: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;

/**
 * A browser talking to next-auth's route handlers in-process: it keeps the cookies they set
 * (and forgets the ones they clear), and sends them, with its own headers, on the next call.
 * The headers are what Next hands the handler, e.g. X-Forwarded-For as the console's server
 * leaves it (client's list, then the TCP peer).
 */
export class AuthBrowser {
  readonly cookies: Record<string, string> = {};

  constructor(
    private readonly handlers: { GET: Handler; POST: Handler },
    private readonly opts: { origin: string; headers?: Record<string, string> },
  ) {}

  async call(
    path: string,
    init: { method?: "GET" | "POST"; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = new URL(path, this.opts.origin);
    const headers = { host: url.host, ...this.opts.headers, ...init.headers };
    const jar = actAs(this.cookies, headers);
    const method = init.method ?? (init.form ? "POST" : "GET");
    const request = new NextRequest(url, {
      method,
      headers: {
        ...headers,
        ...(init.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        ...(jar.size > 0 ? { cookie: jar.toString() } : {}),
      },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    });
    const nextauth = url.pathname.replace(/^\/api\/auth\//, "").split("/");
    const res = await this.handlers[method](request, { params: Promise.resolve({ nextauth }) });
    this.absorb(res);
    return res;
  }

  /** Applies a response's Set-Cookie headers to this browser's cookies. */
  absorb(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const { name, value, cleared } = parseSetCookie(line);
      if (cleared) delete this.cookies[name];
      else this.cookies[name] = value;
    }
  }

  async csrfToken(): Promise<string> {
    const res = await this.call("/api/auth/csrf");
    return ((await res.json()) as { csrfToken: string }).csrfToken;
  }

  /** The password form's POST, as the browser sends it without JavaScript. */
  async signIn(email: string, password: string, extra: Record<string, string> = {}): Promise<Response> {
    const csrfToken = await this.csrfToken();
    return this.call("/api/auth/callback/credentials", { form: { email, password, csrfToken, ...extra } });
  }
}

export function parseSetCookie(line: string): { name: string; value: string; cleared: boolean } {
  const [pair = "", ...attrs] = line.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const name = pair.slice(0, eq);
  const value = decodeURIComponent(pair.slice(eq + 1));
  const expires = attrs.find((a) => /^expires=/i.test(a));
  const maxAge = attrs.find((a) => /^max-age=/i.test(a));
  const cleared =
    value === "" ||
    (maxAge !== undefined && Number(maxAge.split("=")[1]) <= 0) ||
    (expires !== undefined && Date.parse(expires.slice(8)) <= Date.now());
  return { name, value, cleared };
}

/** The session cookies a response hands out that are not deletions. */
export function freshSessionCookies(res: Response): string[] {
  return res.headers
    .getSetCookie()
    .filter((l) => l.includes("session-token"))
    .filter((l) => !parseSetCookie(l).cleared);
}
