import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import * as schema from "@/db/schema";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import {
  type ActionEntry,
  type Caller,
  createMatrixFixtures,
  entryKey,
  expectationOf,
  type Identity,
  type MatrixFixtures,
  orderedCallers,
  REGISTRY,
  type RegistryEntry,
  type RouteEntry,
} from "../support/authz-registry";
import { backends } from "../support/db";
import {
  actAs,
  installNextHeadersForRequire,
  NavigationError,
  readFor,
  sessionCookie,
} from "../support/next-request";

// Issue 6, security test 1: the authorization matrix. Every server action and route handler
// (tests/support/authz-registry.ts) is called for real, through the real guard, as anonymous,
// viewer, investigator and admin of acme, and an admin of globex only; API-key routes with no
// key, a revoked key, globex's key and acme's key. Refusals must change nothing; the globex
// side must never see an acme fact.

const SECRET = vi.hoisted(() => {
  const secret = "authz-matrix-secret-0123456789abcdef";
  process.env.NEXTAUTH_SECRET = secret;
  process.env.NEXTAUTH_URL = "http://console.test";
  return secret;
});

vi.mock("next/headers", async () => (await import("../support/next-request")).nextHeaders);
vi.mock("next/cache", async () => (await import("../support/next-request")).nextCache);
vi.mock("next/navigation", async () => (await import("../support/next-request")).nextNavigation);

const ROOT = path.resolve(import.meta.dirname, "../..");
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const consoleKey = generateConsoleKey();
const holder = globalThis as typeof globalThis & {
  __consoleDb?: Promise<Database>;
  __consoleKey?: typeof consoleKey;
};
holder.__consoleKey = consoleKey;
installNextHeadersForRequire();

// --- Discovery: what the app exports, independent of the registry --------------------------

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") out.push(...walk(full));
    } else if (/\.(ts|tsx|js|jsx)$/.test(entry.name)) out.push(full);
  }
  return out;
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join("/");
const MODULE_DIRECTIVE = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*["']use server["']/;

function discoverFiles() {
  const sources = ["app", "components", "lib"].flatMap((d) => walk(path.join(ROOT, d)));
  const actionModules: string[] = [];
  const inline: string[] = [];
  for (const file of sources) {
    const text = fs.readFileSync(file, "utf8");
    // The module directive is what makes a file's exports callable from the browser; a file
    // named actions.ts is one by convention, so it is listed even if the directive went missing.
    if (MODULE_DIRECTIVE.test(text) || path.basename(file) === "actions.ts") actionModules.push(rel(file));
    else if (/["']use server["']/.test(text)) inline.push(rel(file));
  }
  const routes = walk(path.join(ROOT, "app"))
    .filter((f) => /(^|\/)route\.(ts|tsx|js)$/.test(rel(f)))
    .map(rel);
  return { actionModules: actionModules.sort(), inline, routes: routes.sort() };
}

const modules = new Map<string, Record<string, unknown>>();
async function load(file: string): Promise<Record<string, unknown>> {
  let mod = modules.get(file);
  if (!mod) {
    mod = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, unknown>;
    modules.set(file, mod);
  }
  return mod;
}

describe("the registry covers every server action and route handler", () => {
  it("has one entry per export, and no entry without an export", async () => {
    const { actionModules, inline, routes } = discoverFiles();
    const exported: string[] = [];
    for (const file of actionModules) {
      const mod = await load(file);
      for (const [name, value] of Object.entries(mod))
        if (typeof value === "function") exported.push(`${file}#${name}`);
    }
    for (const file of routes) {
      const mod = await load(file);
      for (const name of Object.keys(mod)) if (HTTP_METHODS.includes(name)) exported.push(`${file}#${name}`);
    }
    const registered = REGISTRY.map(entryKey);
    expect(inline, "inline 'use server' functions cannot be enumerated: move them to a module").toEqual([]);
    expect(
      exported.filter((k) => !registered.includes(k)),
      "exports with no entry in tests/support/authz-registry.ts",
    ).toEqual([]);
    expect(
      registered.filter((k) => !exported.includes(k)),
      "registry entries with no such export",
    ).toEqual([]);
    expect(new Set(registered).size, "duplicate registry entries").toBe(registered.length);
    expect(actionModules.length).toBeGreaterThan(0);
    expect(routes.length).toBeGreaterThan(0);
  });
});

// --- Database snapshots ---------------------------------------------------------------------

const TABLES: PgTable[] = (Object.values(schema) as unknown[]).filter((v): v is PgTable => is(v, PgTable));
// Written by reads on purpose (at most once a minute): not a change anyone asked for.
const NOISE: Record<string, string[]> = { console_sessions: ["lastSeenAt"], api_keys: ["lastUsedAt"] };

/** A hash per table. `exceptTenant` leaves out that tenant's rows (its own audit records). */
async function snapshot(database: Database, exceptTenant?: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const name = getTableName(table);
    const rows = (await database.db.select().from(table)) as Record<string, unknown>[];
    const lines = rows
      .filter((r) => !exceptTenant || r.tenant !== exceptTenant)
      .map((r) => {
        const copy = { ...r };
        for (const col of NOISE[name] ?? []) delete copy[col];
        return JSON.stringify(copy);
      })
      .sort();
    out[name] = createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16);
  }
  return out;
}

function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before).filter((t) => before[t] !== after[t]);
}

function serialize(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v instanceof FormData ? Object.fromEntries([...v.keys()].map((k) => [k, v.getAll(k)])) : v,
  );
}

/** The acme facts the caller did not send itself (echoing one's own input leaks nothing). */
const leaksIn = (f: MatrixFixtures, sent: string, answer: string) =>
  f.acmeMarkers.filter((m) => !sent.includes(m) && answer.includes(m));

// --- The matrix -----------------------------------------------------------------------------

describe.each(backends)("authorization matrix on $name", (backend) => {
  let database: Database;
  let f: MatrixFixtures;
  const jars = {} as Record<Identity, Record<string, string>>;

  beforeAll(async () => {
    database = await backend.open();
    holder.__consoleDb = Promise.resolve(database);
    f = await createMatrixFixtures(database.db, consoleKey);
    jars.anonymous = {};
    for (const who of ["viewer", "investigator", "admin", "globexAdmin"] as const) {
      const a = f.users[who];
      jars[who] = await sessionCookie({
        sessionId: a.sessionId,
        userId: a.userId,
        email: a.email,
        secret: SECRET,
      });
    }
  });

  afterAll(async () => {
    // Let a cancelled live tail finish its last poll before the database goes away.
    await new Promise((r) => setTimeout(r, 1200));
    holder.__consoleDb = undefined;
    await database?.close();
  });

  const actAsCaller = (caller: Caller) => actAs(caller in jars ? jars[caller as Identity] : {});

  async function runAction(entry: ActionEntry, caller: Identity) {
    const expectation = expectationOf(entry, caller);
    actAsCaller(caller);
    const args = entry.args(f, caller);
    const fn = (await load(entry.file))[entry.name] as (...a: unknown[]) => Promise<unknown>;
    const scoped = expectation === "scoped";
    const before = await snapshot(database, scoped ? "globex" : undefined);
    const result = (await fn(...args)) as { ok: boolean; error?: string };
    const after = await snapshot(database, scoped ? "globex" : undefined);
    const shown = serialize(result);
    if (expectation === "allowed") {
      expect(result, shown).toMatchObject({ ok: true });
      // Proves the snapshot sees this entry's writes, so "nothing changed" above meant something.
      if (!entry.readOnly) expect(changedTables(before, after), "a success wrote nothing").not.toEqual([]);
      return;
    }
    if (expectation !== "scoped") {
      expect(result.ok, shown).toBe(false);
      expect(typeof result.error).toBe("string");
    }
    expect(changedTables(before, after), `${caller} changed the database`).toEqual([]);
    if (caller === "globexAdmin") expect(leaksIn(f, serialize(args), shown), shown).toEqual([]);
  }

  async function runRoute(entry: RouteEntry, caller: Caller) {
    const expectation = expectationOf(entry, caller);
    actAsCaller(caller);
    const request = entry.request(f, caller);
    const sent = `${request.url} ${await request.clone().text()}`;
    const handler = (await load(entry.file))[entry.method] as (r: Request, c?: unknown) => Promise<Response>;
    const foreignCaller = caller === "globexAdmin" || caller === "globexKey";
    const exceptGlobex = foreignCaller && expectation !== "public";
    const before = await snapshot(database, exceptGlobex ? "globex" : undefined);
    const res = await handler(request, entry.context?.(f));
    const marker = expectation === "allowed" ? entry.shows?.(f) : undefined;
    const body = entry.streamMs ? await readFor(res, entry.streamMs, marker) : await res.text();
    const after = await snapshot(database, exceptGlobex ? "globex" : undefined);
    const shown = `${res.status} ${body.slice(0, 400)}`;
    if (expectation === "allowed") {
      expect(res.status, shown).toBe(200);
      if (marker) expect(body, `the ${caller} answer should show ${marker}`).toContain(marker);
      if (!entry.readOnly) expect(changedTables(before, after), "a success wrote nothing").not.toEqual([]);
      return;
    }
    if (expectation === "denied") {
      expect([401, 403, 404], shown).toContain(res.status);
      expect(res.headers.get("content-type") ?? "").toContain("application/json");
      expect(JSON.parse(body)).toHaveProperty("error");
    } else if (expectation === "refused") {
      expect([403, 404], shown).toContain(res.status);
    } else {
      expect(res.status, shown).toBeLessThan(500);
    }
    expect(changedTables(before, after), `${caller} changed the database`).toEqual([]);
    if (foreignCaller) expect(leaksIn(f, sent, body), shown).toEqual([]);
  }

  const run = (entry: RegistryEntry, caller: Caller) =>
    entry.kind === "action" ? runAction(entry, caller as Identity) : runRoute(entry, caller);

  for (const entry of REGISTRY) {
    describe(entryKey(entry), () => {
      for (const caller of orderedCallers(entry)) {
        it(`${caller}: ${expectationOf(entry, caller)}`, () => run(entry, caller));
      }
    });
  }

  describe("page guard (requirePermission)", () => {
    it("sends the anonymous to sign-in, refuses a wrong role, admits the right one", async () => {
      const { requirePermission } = (await import("@/lib/auth/guard")) as typeof import("@/lib/auth/guard");
      actAs(jars.anonymous);
      await expect(requirePermission("console.read")).rejects.toEqual(
        new NavigationError("redirect", "/login"),
      );
      actAs(jars.viewer);
      await expect(requirePermission("users.manage")).rejects.toMatchObject({ kind: "forbidden" });
      actAs(jars.admin);
      await expect(requirePermission("users.manage")).resolves.toMatchObject({ email: "admin@acme.test" });
      actAs({ "next-auth.session-token": "not-a-jwt" });
      await expect(requirePermission("console.read")).rejects.toMatchObject({ kind: "redirect" });
    });
  });
});
