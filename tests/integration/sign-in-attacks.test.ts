import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import { consoleUsers, loginAttempts } from "@/db/schema";
import { SIGN_IN_LIMITS, signInWithPassword } from "@/lib/data/console-sessions";
import { insertConsoleUser } from "@/lib/data/console-users";
import { AuthBrowser, freshSessionCookies } from "../support/auth-browser";
import { backends } from "../support/db";
import { addTenants, PASSWORD } from "../support/fixtures";
import { actAs, installNextHeadersForRequire, NavigationError } from "../support/next-request";

// Issue 11, item 3: the sign-in as an attacker sees it, through next-auth's real route
// handlers (CSRF token, credentials callback, session and sign-out endpoints) on both backends.

const ORIGIN = vi.hoisted(() => {
  process.env.NEXTAUTH_SECRET = "sign-in-attacks-secret-0123456789abcdef";
  process.env.NEXTAUTH_URL = "http://console.test";
  delete process.env.TRUST_PROXY_HOPS;
  return "http://console.test";
});

vi.mock("next/headers", async () => (await import("../support/next-request")).nextHeaders);
vi.mock("next/cache", async () => (await import("../support/next-request")).nextCache);
vi.mock("next/navigation", async () => (await import("../support/next-request")).nextNavigation);
installNextHeadersForRequire();

const { GET, POST } = await import("@/app/api/auth/[...nextauth]/route");
const { default: LoginPage } = await import("@/app/login/page");
const { proxy } = await import("@/proxy");
const { switchTenant } = await import("@/app/(console)/actions");
const { NextRequest } = await import("next/server");
const handlers = { GET, POST } as unknown as ConstructorParameters<typeof AuthBrowser>[0];
const holder = globalThis as typeof globalThis & { __consoleDb?: Promise<Database> };

/** A browser whose TCP peer is `peer`, sending `forwarded` as its own X-Forwarded-For. */
function browserAt(peer: string, forwarded?: string) {
  // What scripts/serve.ts hands Next: the client's list, then the peer it saw.
  const xff = forwarded ? `${forwarded}, ${peer}` : peer;
  return new AuthBrowser(handlers, { origin: ORIGIN, headers: { "x-forwarded-for": xff } });
}

/** What the credentials callback answered: signed in, wrong password, or throttled. */
function outcome(res: Response): "signed-in" | "invalid" | "throttled" | string {
  const location = new URL(res.headers.get("location") ?? "", ORIGIN);
  const error = location.searchParams.get("error");
  if (!error) return "signed-in";
  if (error.startsWith("Invalid email or password")) return "invalid";
  if (error.startsWith("Too many failed sign-ins")) return "throttled";
  return error;
}

describe.each(backends)("sign-in under attack on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    holder.__consoleDb = Promise.resolve(database);
    await addTenants(database.db, ["acme"]);
    for (const email of ["race@x.test", "victim@x.test", "out@x.test", "gone@x.test"]) {
      await insertConsoleUser(database.db, { email, role: "admin", tenants: ["acme"], password: PASSWORD });
    }
  });
  afterAll(async () => {
    holder.__consoleDb = undefined;
    await database.close();
  });

  it("lets 40 concurrent wrong passwords for one account run at most the limit of checks", async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        signInWithPassword(database.db, {
          email: "race@x.test",
          password: `wrong ${i}`,
          ip: "198.51.100.40",
          userAgent: null,
        }),
      ),
    );
    const checked = results.filter((r) => !r.ok && r.reason === "invalid").length;
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(SIGN_IN_LIMITS.perAccount);
    expect(results.every((r) => !r.ok)).toBe(true);
  });

  it("counts addresses by the peer, so a forged X-Forwarded-For does not escape the address limit", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress + 5; i++) {
      // A fresh forged address each time, and a fresh account, as a sprayer would.
      const attacker = browserAt("203.0.113.66", `10.${i}.0.1`);
      outcomes.push(outcome(await attacker.signIn(`spray${i}@x.test`, "guess")));
    }
    expect(outcomes.slice(0, SIGN_IN_LIMITS.perAddress).every((o) => o === "invalid")).toBe(true);
    expect(outcomes.slice(SIGN_IN_LIMITS.perAddress).every((o) => o === "throttled")).toBe(true);
    const rows = await database.db
      .select({ ip: loginAttempts.ip })
      .from(loginAttempts)
      .where(eq(loginAttempts.ok, false));
    expect(rows.some((r) => r.ip.startsWith("10."))).toBe(false);
  });

  it("does not let a stranger forging the victim's address lock the victim out", async () => {
    const home = "192.0.2.10";
    // The victim has signed in from home before.
    expect(outcome(await browserAt(home).signIn("victim@x.test", PASSWORD))).toBe("signed-in");
    // An attacker elsewhere claims to be the victim's address and hammers the account.
    const attacker = browserAt("198.51.100.99", home);
    const token = await attacker.csrfToken();
    const attempts = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        attacker.call("/api/auth/callback/credentials", {
          form: { email: "victim@x.test", password: `guess ${i}`, csrfToken: token },
        }),
      ),
    );
    const checked = attempts.map(outcome).filter((o) => o === "invalid").length;
    expect(checked).toBeLessThanOrEqual(SIGN_IN_LIMITS.perAccountAndAddress);
    // From home the victim gets straight in.
    expect(outcome(await browserAt(home).signIn("victim@x.test", PASSWORD))).toBe("signed-in");
    // From a new device, at most a short back-off.
    const laptop = browserAt("192.0.2.11");
    let first = outcome(await laptop.signIn("victim@x.test", PASSWORD));
    if (first === "throttled") {
      await new Promise((r) => setTimeout(r, SIGN_IN_LIMITS.backoffCapMs > 2000 ? 2100 : 1100));
      first = outcome(await laptop.signIn("victim@x.test", PASSWORD));
    }
    expect(first).toBe("signed-in");
  });

  it("gives the old cookie no session and no fresh cookie after sign-out, and signs out to a path", async () => {
    const browser = browserAt("192.0.2.20");
    expect(outcome(await browser.signIn("out@x.test", PASSWORD))).toBe("signed-in");
    const oldCookies = { ...browser.cookies };
    const live = await browser.call("/api/auth/session");
    expect(await live.json()).toMatchObject({ user: { email: "out@x.test" } });

    const signOut = await browser.call("/api/auth/signout", {
      form: { csrfToken: await browser.csrfToken(), callbackUrl: "/login", json: "true" },
    });
    // A path, so the browser stays on the host it is on, whatever NEXTAUTH_URL says.
    expect(((await signOut.json()) as { url: string }).url).toBe("/login");

    // The old cookie, replayed (as a copy kept by an attacker would be).
    const replay = new AuthBrowser(handlers, { origin: ORIGIN });
    Object.assign(replay.cookies, oldCookies);
    const after = await replay.call("/api/auth/session");
    expect(await after.json()).toEqual({});
    expect(freshSessionCookies(after)).toEqual([]);
  });

  it("gives a disabled user's cookie no session", async () => {
    const browser = browserAt("192.0.2.21");
    expect(outcome(await browser.signIn("gone@x.test", PASSWORD))).toBe("signed-in");
    await database.db
      .update(consoleUsers)
      .set({ disabledAt: new Date() })
      .where(eq(consoleUsers.email, "gone@x.test"));
    const res = await browser.call("/api/auth/session");
    expect(await res.json()).toEqual({});
    expect(freshSessionCookies(res)).toEqual([]);
  });

  it.each([
    "/\\evil.example/x",
    "/\t/evil.example",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/.//evil.example",
  ])("keeps the post-sign-in redirect for callbackUrl %j on the console", async (callbackUrl) => {
    const browser = browserAt("192.0.2.30");
    const res = await browser.signIn("victim@x.test", PASSWORD, { callbackUrl });
    const location = res.headers.get("location") ?? "";
    expect(new URL(location, `${ORIGIN}/login`).origin).toBe(ORIGIN);
    expect(location.startsWith("//") || location.startsWith("/\\")).toBe(false);

    // The sign-in page itself, visited while signed in, redirects to the callback at once.
    actAs(browser.cookies);
    const thrown = await LoginPage({ searchParams: Promise.resolve({ callbackUrl }) }).catch(
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(NavigationError);
    const target = (thrown as NavigationError).location ?? "";
    expect(new URL(target, `${ORIGIN}/login`).origin).toBe(ORIGIN);
    expect(target.startsWith("//") || target.startsWith("/\\")).toBe(false);
  });

  it("makes the tenant cookie Secure when the console is reached over https", async () => {
    const browser = browserAt("192.0.2.41");
    expect(outcome(await browser.signIn("victim@x.test", PASSWORD))).toBe("signed-in");
    const overHttps = actAs(browser.cookies, { "x-forwarded-proto": "https" });
    expect(await switchTenant("acme")).toMatchObject({ ok: true });
    expect(overHttps.optionsOf("cc_tenant")).toMatchObject({ secure: true, httpOnly: true, sameSite: "lax" });
    const overHttp = actAs(browser.cookies, { "x-forwarded-proto": "http" });
    expect(await switchTenant("acme")).toMatchObject({ ok: true });
    expect(overHttp.optionsOf("cc_tenant")).toMatchObject({ secure: false });
  });

  it("signs in with the form posted as is (no script): the proxy hands the page a CSRF token", async () => {
    const visit = await proxy(new NextRequest(`${ORIGIN}/login`));
    const browser = browserAt("192.0.2.40");
    browser.absorb(visit);
    const value = browser.cookies["next-auth.csrf-token"] ?? "";
    const token = value.split("|")[0] ?? "";
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const res = await browser.call("/api/auth/callback/credentials", {
      form: { csrfToken: token, callbackUrl: "/events", email: "victim@x.test", password: PASSWORD },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/events");
    expect(browser.cookies["next-auth.session-token"]).toBeTruthy();
  });
});

describe("page headers", () => {
  const policyOf = async (path: string) => {
    const res = await proxy(new NextRequest(`${ORIGIN}${path}`));
    return { res, csp: res.headers.get("content-security-policy") ?? "" };
  };

  it("puts a Content-Security-Policy with a fresh nonce and frame-ancestors 'none' on every page", async () => {
    const seen = new Set<string>();
    for (const path of ["/", "/events", "/login", "/admin"]) {
      const { res, csp } = await policyOf(path);
      const nonce = /script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
      expect(nonce, `${path}: ${csp}`).toBeTruthy();
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain("'unsafe-inline' 'nonce");
      // Next reads the nonce from the request's policy to put it on its own scripts.
      expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
      seen.add(nonce ?? "");
    }
    expect(seen.size).toBe(4);
  });

  it("still refuses a server action from a foreign origin", async () => {
    const res = await proxy(
      new NextRequest(`${ORIGIN}/admin`, {
        method: "POST",
        headers: { "next-action": "abc", origin: "https://evil.example", host: "console.test" },
      }),
    );
    expect(res.status).toBe(403);
  });
});
