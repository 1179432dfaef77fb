import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import { accounts, consoleSessions, consoleUsers } from "@/db/schema";
import { insertConsoleUser } from "@/lib/data/console-users";
import { AuthBrowser, freshSessionCookies } from "../support/auth-browser";
import { backends } from "../support/db";
import { addTenants } from "../support/fixtures";
import { actAs, installNextHeadersForRequire } from "../support/next-request";
import { startTestIdp } from "../support/oidc-idp";

// Issue 11, item 11: single sign-on end to end against a real OIDC provider started here.
// next-auth's route handlers run in-process; everything between them and the provider is
// real HTTP (discovery, token endpoint, JWKS, userinfo) and real checks (PKCE, state, nonce,
// id_token signature, issuer, audience).

const ORIGIN = "http://console.test";
vi.hoisted(() => {
  process.env.NEXTAUTH_SECRET = "oidc-sign-in-secret-0123456789abcdef";
  process.env.NEXTAUTH_URL = "http://console.test";
});
vi.mock("next/headers", async () => (await import("../support/next-request")).nextHeaders);
vi.mock("next/cache", async () => (await import("../support/next-request")).nextCache);
vi.mock("next/navigation", async () => (await import("../support/next-request")).nextNavigation);
installNextHeadersForRequire();

const idp = await startTestIdp(`${ORIGIN}/api/auth/callback/oidc`);
process.env.OIDC_ISSUER = idp.issuer;
process.env.OIDC_CLIENT_ID = idp.clientId;
process.env.OIDC_CLIENT_SECRET = idp.clientSecret;
process.env.OIDC_NAME = "Test IdP";
// The provider's configuration is read when next-auth's options are built, so import after.
const { GET, POST } = await import("@/app/api/auth/[...nextauth]/route");
const { getAuthority } = await import("@/lib/auth/guard");
const handlers = { GET, POST } as unknown as ConstructorParameters<typeof AuthBrowser>[0];
const holder = globalThis as typeof globalThis & { __consoleDb?: Promise<Database> };

afterAll(() => idp.close());

/** The whole browser round trip: button, provider, callback. Returns where it lands. */
async function signInWithSso(sub: string) {
  const browser = new AuthBrowser(handlers, { origin: ORIGIN, headers: { "x-forwarded-for": "192.0.2.50" } });
  const start = await browser.call("/api/auth/signin/oidc", {
    form: { csrfToken: await browser.csrfToken(), callbackUrl: "/events", json: "true" },
  });
  const { url } = (await start.json()) as { url: string };
  const authorization = new URL(url);
  expect(authorization.origin).toBe(idp.issuer);
  expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorization.searchParams.get("state")).toBeTruthy();
  expect(authorization.searchParams.get("nonce")).toBeTruthy();

  idp.loginAs(sub);
  const back = await idp.authorize(url);
  expect(back.origin).toBe(ORIGIN);
  const res = await browser.call(`${back.pathname}${back.search}`);
  return { browser, location: res.headers.get("location") ?? "", res };
}

async function authorityOf(browser: AuthBrowser) {
  actAs(browser.cookies);
  return getAuthority();
}

describe.each(backends)("single sign-on with a real OIDC provider on $name", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    holder.__consoleDb = Promise.resolve(database);
    await addTenants(database.db, ["acme", "globex"]);
    await insertConsoleUser(database.db, {
      email: "ana@acme.example",
      role: "investigator",
      tenants: ["acme"],
    });
    await insertConsoleUser(database.db, { email: "una@acme.example", role: "admin", tenants: ["acme"] });
    await insertConsoleUser(database.db, {
      email: "dan@acme.example",
      role: "viewer",
      tenants: ["acme", "globex"],
    });
    idp.accounts.set("idp-ana", {
      email: "Ana@ACME.example",
      email_verified: true,
      name: "Ana",
      role: "admin",
    });
    idp.accounts.set("idp-stranger", { email: "stranger@acme.example", email_verified: true });
    idp.accounts.set("idp-una", { email: "una@acme.example", email_verified: false });
    idp.accounts.set("idp-una-unsaid", { email: "una@acme.example" });
    idp.accounts.set("idp-dan", { email: "dan@acme.example", email_verified: true });
  });
  afterAll(async () => {
    holder.__consoleDb = undefined;
    await database.close();
  });

  it("signs a provisioned user in with the console's role and tenants, not the provider's claims", async () => {
    const { browser, location } = await signInWithSso("idp-ana");
    expect(location).toBe("/events");
    const authority = await authorityOf(browser);
    expect(authority).toMatchObject({ email: "ana@acme.example", role: "investigator", tenants: ["acme"] });
    const session = await browser.call("/api/auth/session");
    expect(await session.json()).toMatchObject({ user: { email: "ana@acme.example" } });
    const links = await database.db.select().from(accounts).where(eq(accounts.providerAccountId, "idp-ana"));
    expect(links).toHaveLength(1);
    const [row] = await database.db
      .select({ ip: consoleSessions.ip })
      .from(consoleSessions)
      .where(eq(consoleSessions.id, authority?.sessionId ?? ""));
    expect(row?.ip).toBe("192.0.2.50");
  });

  it("refuses a person the console has not provisioned", async () => {
    const { browser, location } = await signInWithSso("idp-stranger");
    expect(new URL(location, ORIGIN).searchParams.get("error")).toBe("AccessDenied");
    expect(browser.cookies["next-auth.session-token"]).toBeUndefined();
    const [user] = await database.db
      .select()
      .from(consoleUsers)
      .where(eq(consoleUsers.email, "stranger@acme.example"));
    expect(user).toBeUndefined();
  });

  it.each(["idp-una", "idp-una-unsaid"])(
    "refuses an email the provider has not verified (%s)",
    async (sub) => {
      const { browser, location } = await signInWithSso(sub);
      expect(new URL(location, ORIGIN).searchParams.get("error")).toBe("AccessDenied");
      expect(browser.cookies["next-auth.session-token"]).toBeUndefined();
    },
  );

  it("signs out: the session row ends and the old cookie gets nothing", async () => {
    const { browser } = await signInWithSso("idp-dan");
    const before = await authorityOf(browser);
    expect(before?.role).toBe("viewer");
    const old = { ...browser.cookies };
    await browser.call("/api/auth/signout", {
      form: { csrfToken: await browser.csrfToken(), callbackUrl: "/login" },
    });
    const [row] = await database.db
      .select({ revokedAt: consoleSessions.revokedAt })
      .from(consoleSessions)
      .where(eq(consoleSessions.id, before?.sessionId ?? ""));
    expect(row?.revokedAt).not.toBeNull();
    const replay = new AuthBrowser(handlers, { origin: ORIGIN });
    Object.assign(replay.cookies, old);
    const res = await replay.call("/api/auth/session");
    expect(await res.json()).toEqual({});
    expect(freshSessionCookies(res)).toEqual([]);
    expect(await authorityOf(replay)).toBeNull();
  });

  it("throws a disabled user out at once, and lets them in no more", async () => {
    const { browser } = await signInWithSso("idp-dan");
    expect((await authorityOf(browser))?.email).toBe("dan@acme.example");
    await database.db
      .update(consoleUsers)
      .set({ disabledAt: new Date() })
      .where(eq(consoleUsers.email, "dan@acme.example"));
    expect(await authorityOf(browser)).toBeNull();
    expect(await (await browser.call("/api/auth/session")).json()).toEqual({});
    const again = await signInWithSso("idp-dan");
    expect(new URL(again.location, ORIGIN).searchParams.get("error")).toBe("AccessDenied");
  });
});
