import type { Page } from "@playwright/test";
import { expectNoSeriousA11y, seriousA11yIssues, setTheme } from "./axe";
import { expect, markupOnly, test } from "./fixtures";

// Issue #12, point 9: axe on every page in both themes (no serious or critical issue), and every
// page fits a 1,024 px window (no sideways scroll of the whole page; wide tables scroll in their
// own box). Detail pages are reached through the console's own links, so the sweep follows real data.

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
  "/cases",
  "/compare",
];

/** A detail page: the first link on `from` whose href starts with `prefix`, then one more hop. */
const DETAIL_PAGES: { name: string; hops: [string, string][] }[] = [
  { name: "a request", hops: [["/requests", "/requests/"]] },
  { name: "a person's day", hops: [["/principals", "/principals/"]] },
  {
    name: "a capability",
    hops: [
      ["/requests", "/requests/"],
      ["", "/capabilities/"],
    ],
  },
];

async function follow(page: Page, hops: [string, string][]): Promise<string> {
  let at = "";
  for (const [from, prefix] of hops) {
    await page.goto(from || at);
    const href = await page.locator(`main a[href^="${prefix}"]`).first().getAttribute("href");
    expect(href, `a link to ${prefix} on ${from || at}`).toBeTruthy();
    at = href as string;
  }
  return at;
}

async function settle(page: Page, theme: string) {
  await expect(page.locator("main h1").first()).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
  // Streamed panels have arrived (no placeholder left); pages with live feeds never go network-idle.
  await expect(page.locator(".skeleton")).toHaveCount(0, { timeout: 30_000 });
}

const pageWidths = (page: Page) =>
  page.evaluate(() => ({
    scroll: document.scrollingElement?.scrollWidth ?? 0,
    client: document.scrollingElement?.clientWidth ?? 0,
  }));

async function noPageScroll(page: Page, label: string) {
  const { scroll, client } = await pageWidths(page);
  expect(scroll, `${label} scrolls sideways at ${client} px`).toBeLessThanOrEqual(client);
}

for (const theme of ["light", "dark"] as const) {
  test(`every page in the ${theme} theme: axe finds nothing serious and the page fits 1,024 px`, async ({
    signIn,
    users,
    baseURL,
  }, testInfo) => {
    // The two sweeps are the suite's longest tests: one per server, so they run side by side.
    markupOnly(testInfo, theme === "dark" ? "other" : "markup");
    test.setTimeout(300_000);
    const { context, page } = await signIn(users.admin);
    await setTheme(context, baseURL ?? "", theme);
    await page.setViewportSize({ width: 1024, height: 800 });
    const details: string[] = [];
    for (const d of DETAIL_PAGES) details.push(await follow(page, d.hops));
    // Every page is checked before failing, so one run lists everything to fix.
    const found: string[] = [];
    for (const path of [...LIST_PAGES, ...details]) {
      await page.goto(path);
      await settle(page, theme);
      for (const issue of await seriousA11yIssues(page)) found.push(`${path}: ${issue}`);
      const { scroll, client } = await pageWidths(page);
      if (scroll > client) found.push(`${path}: the page scrolls sideways (${scroll} > ${client} px)`);
    }
    expect(found, `axe and width findings (${theme})`).toEqual([]);
  });
}

test("the sign-in page passes axe in both themes and fits 1,024 px", async ({
  browser,
  baseURL,
}, testInfo) => {
  markupOnly(testInfo);
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
