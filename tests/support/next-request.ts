import { createRequire } from "node:module";
import { encode } from "next-auth/jwt";

// A stand-in for Next's request scope under vitest, so the real guard (lib/auth/guard.ts) runs
// unchanged: `cookies()` and `headers()` answer for whichever identity the test says is calling.
// The test file routes next/headers, next/cache and next/navigation here with vi.mock.

export const SESSION_COOKIE = "next-auth.session-token";

interface CookieValue {
  name: string;
  value: string;
}

/** The mutable cookie jar Next hands a server action or route handler. */
export class CookieJar {
  private readonly values = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(initial)) this.values.set(name, value);
  }

  get(name: string | CookieValue): CookieValue | undefined {
    const key = typeof name === "string" ? name : name.name;
    const value = this.values.get(key);
    return value === undefined ? undefined : { name: key, value };
  }

  getAll(): CookieValue[] {
    return [...this.values].map(([name, value]) => ({ name, value }));
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  private readonly options = new Map<string, Record<string, unknown>>();

  set(name: string | CookieValue, value?: string, options?: Record<string, unknown>): this {
    if (typeof name === "string") this.values.set(name, value ?? "");
    else this.values.set(name.name, name.value);
    if (typeof name === "string" && options) this.options.set(name, options);
    return this;
  }

  /** The attributes (Secure, HttpOnly, …) the last set() gave a cookie. */
  optionsOf(name: string): Record<string, unknown> | undefined {
    return this.options.get(name);
  }

  delete(name: string | CookieValue): this {
    this.values.delete(typeof name === "string" ? name : name.name);
    return this;
  }

  get size(): number {
    return this.values.size;
  }

  toString(): string {
    return this.getAll()
      .map((c) => `${c.name}=${encodeURIComponent(c.value)}`)
      .join("; ");
  }
}

const current: { jar: CookieJar; headers: Headers } = {
  jar: new CookieJar(),
  headers: new Headers(),
};

/** Makes the next request come from a browser holding these cookies (and these headers). */
export function actAs(cookies: Record<string, string>, headers: Record<string, string> = {}): CookieJar {
  current.jar = new CookieJar(cookies);
  current.headers = new Headers({
    host: "console.test",
    "user-agent": "vitest authz-matrix",
    "x-forwarded-for": "10.0.0.9",
    ...headers,
    ...(current.jar.size > 0 ? { cookie: current.jar.toString() } : {}),
  });
  return current.jar;
}

/** The cookie header of the identity acting now, for a Request built to match. */
export function currentCookieHeader(): Record<string, string> {
  return current.jar.size > 0 ? { cookie: current.jar.toString() } : {};
}

export const nextHeaders = {
  cookies: async () => current.jar,
  headers: async () => current.headers,
  draftMode: async () => ({ isEnabled: false, enable() {}, disable() {} }),
};

/** What redirect(), forbidden() and notFound() throw here, so a test can tell them apart. */
export class NavigationError extends Error {
  override name = "NavigationError";
  constructor(
    readonly kind: "redirect" | "forbidden" | "notFound" | "unauthorized",
    readonly location?: string,
  ) {
    super(location ? `${kind} ${location}` : kind);
  }
}

export const nextNavigation = {
  redirect: (location: string): never => {
    throw new NavigationError("redirect", location);
  },
  permanentRedirect: (location: string): never => {
    throw new NavigationError("redirect", location);
  },
  forbidden: (): never => {
    throw new NavigationError("forbidden");
  },
  unauthorized: (): never => {
    throw new NavigationError("unauthorized");
  },
  notFound: (): never => {
    throw new NavigationError("notFound");
  },
};

const noop = () => {};
export const nextCache = {
  revalidatePath: noop,
  revalidateTag: noop,
  updateTag: noop,
  refresh: noop,
  unstable_noStore: noop,
};

/**
 * next-auth's App Router handler loads next/headers with a CommonJS require() at call time,
 * which vi.mock cannot see; putting the same stand-in into Node's require cache covers it.
 */
export function installNextHeadersForRequire(): void {
  const nodeRequire = createRequire(import.meta.url);
  const file = nodeRequire.resolve("next/headers");
  nodeRequire.cache[file] = {
    id: file,
    filename: file,
    loaded: true,
    exports: nextHeaders,
  } as unknown as NodeJS.Module;
}

/** A real next-auth session cookie for a real console session row, as the sign-in sets it. */
export async function sessionCookie(args: {
  sessionId: string;
  userId: string;
  email: string;
  secret: string;
}): Promise<Record<string, string>> {
  const token = await encode({
    token: { sid: args.sessionId, uid: args.userId, sub: args.userId, email: args.email },
    secret: args.secret,
  });
  return { [SESSION_COOKIE]: token };
}

/**
 * Reads a streamed body for at most `ms`, or until `until` appears in it, then cancels the
 * stream (the live tail and the revocation feed would otherwise run for minutes).
 */
export async function readFor(res: Response, ms: number, until?: string): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline && !(until && text.includes(until))) {
      const left = deadline - Date.now();
      const chunk = await Promise.race([
        reader.read(),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, left))),
      ]);
      if (chunk === null || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text;
}
