import fs from "node:fs";
import path from "node:path";
import {
  type Browser,
  type BrowserContext,
  test as base,
  expect,
  type Page,
  type TestInfo,
} from "@playwright/test";
import { LoginPage } from "./pages/login-page";

export interface DemoUser {
  email: string;
  password: string;
  role: "viewer" | "investigator" | "admin";
  tenants: string[];
}

interface Fixtures {
  users: Record<DemoUser["role"], DemoUser>;
  /**
   * A new browser context signed in as the given user. The first time (and with `freshSignIn`)
   * through the real form, landing on the Overview; after that, for a short while, the same
   * user's cookies in a new context on a blank page (each test then goes where it starts).
   */
  signIn: (user: Pick<DemoUser, "email" | "password">) => Promise<{ context: BrowserContext; page: Page }>;
  /** Sign in through the form every time (tests of signing in, out and of the landing page). */
  freshSignIn: boolean;
}

// A signed-in session, reused across tests for a short while. Sign-in through the form costs
// seconds (the password hash, then the Overview the form lands on); the suite signs in about
// seventy times per backend. The age limit keeps reused sessions well inside the five minutes
// an admin may issue an escalation without re-entering the password, and every reuse first asks
// the server whether the session is still live (a test may disable a user or sign them out).
const REUSE_FOR_MS = 90_000;
const signedIn = new Map<
  string,
  { state: Awaited<ReturnType<BrowserContext["storageState"]>>; at: number }
>();

async function reuse(browser: Browser, baseURL: string, user: Pick<DemoUser, "email" | "password">) {
  const key = `${baseURL} ${user.email}`;
  const kept = signedIn.get(key);
  if (!kept || Date.now() - kept.at > REUSE_FOR_MS) return null;
  const context = await browser.newContext({ baseURL, storageState: kept.state });
  const res = await context.request.get("/api/auth/session");
  const body = res.ok() ? ((await res.json()) as { user?: { email?: string } }) : {};
  if (body.user?.email?.toLowerCase() !== user.email.toLowerCase()) {
    signedIn.delete(key);
    await context.close();
    return null;
  }
  return { context, page: await context.newPage() };
}

async function signInFresh(browser: Browser, baseURL: string, user: Pick<DemoUser, "email" | "password">) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(user.email, user.password);
  await expect(page.getByTestId("current-user")).toContainText(user.email);
  return { context, page };
}

export const test = base.extend<Fixtures>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature wants the object.
  users: async ({}, use, testInfo) => {
    const file = path.join(String(testInfo.project.metadata.dataDir), "demo-credentials.json");
    const creds = JSON.parse(fs.readFileSync(file, "utf8")) as { users: DemoUser[] };
    const byRole = Object.fromEntries(creds.users.map((u) => [u.role, u])) as Record<
      DemoUser["role"],
      DemoUser
    >;
    await use(byRole);
  },
  freshSignIn: [false, { option: true }],
  signIn: async ({ browser, baseURL, freshSignIn }, use) => {
    const opened: BrowserContext[] = [];
    await use(async (user) => {
      const base = baseURL ?? "";
      const kept = freshSignIn ? null : await reuse(browser, base, user);
      if (kept) {
        opened.push(kept.context);
        return kept;
      }
      const s = await signInFresh(browser, base, user);
      opened.push(s.context);
      // Only the session cookies: nothing a test sets later (a theme, a tenant) is carried over.
      const at = Date.now();
      signedIn.set(`${base} ${user.email}`, { state: await s.context.storageState(), at });
      return s;
    });
    for (const c of opened) await c.close();
  },
});

export { expect };

/**
 * `npm run simulate` against the server under test, as a child process: the node arguments and
 * the environment (the project's data directory, where the simulator finds its API keys).
 */
export function simulatorProcess(
  testInfo: TestInfo,
  args: string[],
): { args: string[]; env: NodeJS.ProcessEnv } {
  return {
    args: [
      "--import",
      "tsx",
      "--conditions=react-server",
      "scripts/simulate.ts",
      "--url",
      String(testInfo.project.use.baseURL),
      ...args,
    ],
    env: { ...process.env, DATA_DIR: String(testInfo.project.metadata.dataDir) },
  };
}

/**
 * For tests of markup alone (axe, widths, themes): a page's markup does not depend on the
 * database behind it, so these run against one server only, which keeps the suite's time in
 * check. By default that is the PostgreSQL server when there is one, else the PGlite one.
 * `"other"` puts a test on the other server when there are two: the two backends run side by
 * side, and with every markup test on PostgreSQL its project took 19.4 min against PGlite's 13.1
 * (CI run of 2026-12-03), so the longest markup tests are split between them to finish together.
 * Flows that read or write data run on both backends.
 */
export function markupOnly(testInfo: TestInfo, where: "markup" | "other" = "markup") {
  test.skip(
    !isMarkupProject(testInfo, where),
    "markup does not depend on the backend: checked on one server only",
  );
}

/** Whether this project is the one that checks markup (see markupOnly). */
export function isMarkupProject(testInfo: TestInfo, where: "markup" | "other" = "markup"): boolean {
  const m = testInfo.project.metadata;
  return where === "other" ? m.markupOther === true : m.markup === true;
}

/**
 * In the explorer, opens the detail of the first listed denied call that names one resource:
 * only those get "Request escalation for exactly this" (a type-wide call, such as a query over a
 * whole table, cannot be granted exactly). Fails if none of the first `max` rows does.
 */
export async function openDeniedCallWithResource(page: Page, max = 15) {
  const rows = page.getByTestId("events-table").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  const sheet = page.getByTestId("event-sheet");
  const n = Math.min(await rows.count(), max);
  for (let i = 0; i < n; i++) {
    await rows.nth(i).click();
    const exact = sheet.getByTestId("escalate-exact");
    await expect(exact.or(sheet.getByTestId("escalate-none"))).toBeVisible();
    if (await exact.isVisible()) return;
    await page.keyboard.press("Escape");
    await expect(sheet).toHaveCount(0);
  }
  throw new Error(`none of the first ${n} denied calls names one resource`);
}
