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
  /** A new browser context signed in as the given user through the real form. */
  signIn: (user: Pick<DemoUser, "email" | "password">) => Promise<{ context: BrowserContext; page: Page }>;
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
  signIn: async ({ browser, baseURL }, use) => {
    const opened: BrowserContext[] = [];
    await use(async (user) => {
      const s = await signInFresh(browser, baseURL ?? "", user);
      opened.push(s.context);
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
 * database behind it, so these run against the PGlite server only, which keeps the suite's time
 * in check. Flows that read or write data run on both backends.
 */
export function markupOnly(testInfo: TestInfo) {
  test.skip(testInfo.project.name !== "pglite", "markup does not depend on the backend: PGlite run only");
}
