import { expectNoSeriousA11y, setTheme } from "./axe";
import { expect, test } from "./fixtures";

// Issue #12, point 9: axe on every page in both themes, and every page fits a 1,024 px window
// (no sideways scroll of the whole page; wide tables scroll inside their own box).
// Detail pages are reached through the console's own links, so the sweep follows real data.

const LIST_PAGES = [
  "/",
  "/events",
  "/requests",
  "/principals",
  "/sessions",
  "/escalations",
  "/revocations",
  "/alerts",
  "/streams",
  "/gateway",
  "/evidence/verify",
  "/log",
  "/admin",
];

async function noPageScroll(page: import("@playwright/test").Page, label: string) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.scrollingElement?.scrollWidth ?? 0,
    client: document.scrollingElement?.clientWidth ?? 0,
  }));
  expect(scroll, `${label} scrolls sideways at ${client} px`).toBeLessThanOrEqual(client);
}

/** The first link on `from` whose href starts with `prefix` (a real id from the demo data). */
async function firstLink(page: import("@playwright/test").Page, from: string, prefix: string) {
  await page.goto(from);
  const href = await page.locator(`main a[href^="${prefix}"]`).first().getAttribute("href");
  expect(href, `a link to ${prefix} on ${from}`).toBeTruthy();
  return href as string;
}

for (const theme of ["light", "dark"] as const) {
  test(`every page passes axe in the ${theme} theme and fits 1,024 px`, async ({
    signIn,
    users,
    baseURL,
  }) => {
    test.setTimeout(240_000);
    const { context, page } = await signIn(users.admin);
    await setTheme(context, baseURL ?? "", theme);
    await page.setViewportSize({ width: 1024, height: 800 });
    const details = [
      await firstLink(page, "/requests", "/requests/"),
      await firstLink(page, "/principals", "/principals/"),
    ];
    details.push(await firstLink(page, details[0], "/capabilities/"));
    for (const path of [...LIST_PAGES, ...details]) {
      await page.goto(path);
      await expect(page.locator("main h1").first()).toBeVisible();
      await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
      await page.waitForLoadState("networkidle");
      await expectNoSeriousA11y(page, `${path} (${theme})`);
      await noPageScroll(page, path);
    }
  });
}

test("the sign-in page passes axe in both themes", async ({ browser, baseURL }) => {
  for (const theme of ["light", "dark"] as const) {
    const context = await browser.newContext({ baseURL });
    await setTheme(context, baseURL ?? "", theme);
    const page = await context.newPage();
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.goto("/login");
    await expectNoSeriousA11y(page, `/login (${theme})`);
    await noPageScroll(page, "/login");
    await context.close();
  }
});
