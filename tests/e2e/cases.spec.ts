import fs from "node:fs";
import type { Locator, Page } from "@playwright/test";
import { expectNoSeriousA11y, setTheme } from "./axe";
import { expect, markupOnly, test } from "./fixtures";

// Issue 12, point 7: cases. An investigator opens a case, pins an event from the explorer's
// detail sheet, a capability and a request from their pages (the request by keyboard only), adds
// a note and a verdict, and the case's URL shows it all again after a reload.

const SHOTS = process.env.SHOTS_DIR ?? "/work/shots/E";

// Each test walks several server-rendered pages (and axe runs eight times): more than the default minute.
test.describe.configure({ timeout: 300_000 });

async function noHorizontalScroll(page: Page) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, `page scrolls sideways at ${client}px`).toBeLessThanOrEqual(client);
}

async function pinFromDialog(page: Page, scope: Locator, title: string) {
  await scope.getByRole("button", { name: "Pin to case" }).click();
  const dialog = page.getByRole("dialog", { name: /Pin this .* to a case/ });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: title, exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(scope.getByRole("status").filter({ hasText: "Pinned to" })).toContainText(
    `Pinned to ${title}`,
  );
}

test("an investigator builds a case from the explorer, a capability and a request, and its URL keeps the history", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.investigator);
  await page.setViewportSize({ width: 1440, height: 900 });
  const title = `Denied order writes ${Date.now()}`;

  // A new case: the form names the field it refuses.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Cases" }).click();
  await expect(page.getByRole("heading", { name: "Cases", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Open case" }).click();
  await expect(page.locator("#title-error")).toHaveText("Title is required.");
  await page.getByRole("textbox", { name: "Title" }).fill(title);
  await page.getByRole("button", { name: "Open case" }).click();
  await expect(page).toHaveURL(/\/cases\/[0-9a-f-]{36}$/);
  const caseUrl = page.url();
  await expect(page.getByTestId("case-title")).toHaveText(title);

  // An event, from the explorer's detail sheet.
  await page.goto(`/events?q=${encodeURIComponent("tenant:acme outcome:denied")}&range=all`);
  await page.getByTestId("events-table").locator("tbody tr").first().click();
  const sheet = page.getByTestId("event-sheet");
  await expect(sheet).toBeVisible();
  await pinFromDialog(page, sheet, title);
  const capabilityHref = await sheet
    .getByRole("link", { name: "Capability", exact: true })
    .getAttribute("href");
  const requestHref = await sheet.getByRole("link", { name: "Request", exact: true }).getAttribute("href");
  expect(capabilityHref).toBeTruthy();
  expect(requestHref).toBeTruthy();

  // The capability, from its page.
  await page.goto(String(capabilityHref));
  await pinFromDialog(page, page.getByTestId("pin-to-case"), title);

  // The request, by keyboard only: open, search, pick; Escape closes and gives focus back.
  await page.goto(String(requestHref));
  const pin = page.getByTestId("pin-to-case");
  const trigger = pin.getByRole("button", { name: "Pin to case" });
  await trigger.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Pin this request to a case" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("searchbox")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(trigger).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog.getByRole("searchbox")).toBeFocused();
  await page.keyboard.type(title);
  const choice = dialog.getByRole("button", { name: title, exact: true });
  await expect(choice).toBeVisible();
  await expect(dialog.getByRole("list", { name: "Open cases" }).getByRole("button")).toHaveCount(1);
  // Focus stays inside the dialog: Shift+Tab from the search wraps to its last button.
  await page.keyboard.press("Shift+Tab");
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await expect(choice).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(pin.getByRole("status")).toContainText(`Pinned to ${title}`);

  // The case: a note and a verdict, confirmed.
  await page.goto(caseUrl);
  await expect(page.getByTestId("case-item-event")).toHaveCount(1);
  await expect(page.getByTestId("case-item-capability")).toHaveCount(1);
  await expect(page.getByTestId("case-item-request")).toHaveCount(1);
  await expect(page.getByTestId("case-item-event")).toContainText("denied");
  await page
    .getByRole("textbox", { name: "Add a note" })
    .fill("The assistant retried a write it was never granted.");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("case-notes")).toContainText("never granted");
  await page.getByRole("radio", { name: "misuse" }).check();
  await page.getByRole("button", { name: "Set verdict…" }).click();
  await page.getByRole("button", { name: "Confirm: misuse" }).click();
  await expect(page.getByTestId("case-verdict")).toHaveText("misuse");
  await noHorizontalScroll(page);

  await page.reload();
  const history = page.getByTestId("case-history");
  await expect(history.locator("li")).toHaveCount(6);
  await expect(history).toContainText(`opened the case “${title}”`);
  await expect(history).toContainText("pinned event");
  await expect(history).toContainText("pinned capability");
  await expect(history).toContainText("pinned request");
  await expect(history).toContainText("added a note");
  await expect(history).toContainText("set the verdict from none to misuse");
  await expect(history.locator("time").first()).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await expect(page.getByTestId("case-verdict")).toHaveText("misuse");

  // The list finds it by title, with its three items.
  await page.goto(`/cases?q=${encodeURIComponent(title)}`);
  const row = page.getByTestId("cases-table").locator("tbody tr");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("3 items");
  await expect(row).toContainText("misuse");

  // An unknown case id is a real 404 (the same answer another tenant's case gets).
  const missing = await page.goto("/cases/019a0000-0000-7000-8000-000000000000");
  expect(missing?.status()).toBe(404);
});

test("viewers get no cases: no nav entry, a 403 page, and no pin button", async ({ signIn, users }) => {
  const { page } = await signIn(users.viewer);
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Cases" }),
  ).toHaveCount(0);
  const res = await page.goto("/cases");
  expect(res?.status()).toBe(403);
  await page.goto(`/events?q=${encodeURIComponent("tenant:acme outcome:denied")}&range=all`);
  await page.getByTestId("events-table").locator("tbody tr").first().click();
  await expect(page.getByTestId("event-sheet")).toBeVisible();
  await page.waitForLoadState("networkidle");
  await expect(page.getByTestId("pin-to-case")).toHaveCount(0);
});

test("the cases pages fit 1,024 and 1,440 px, and pass axe in light and dark", async ({
  signIn,
  users,
  baseURL,
}, testInfo) => {
  markupOnly(testInfo, "other");
  fs.mkdirSync(SHOTS, { recursive: true });
  const { context, page } = await signIn(users.investigator);
  const title = `Layout check: a rather long case title that has to wrap ${Date.now()}`;
  // A case with something in each section.
  await page.goto("/cases");
  await page.getByRole("textbox", { name: "Title" }).fill(title);
  await page.getByRole("button", { name: "Open case" }).click();
  await expect(page).toHaveURL(/\/cases\/[0-9a-f-]{36}$/);
  const caseUrl = page.url();
  await page.goto(`/events?q=${encodeURIComponent("tenant:acme outcome:denied")}&range=all`);
  await page.getByTestId("events-table").locator("tbody tr").first().click();
  await pinFromDialog(page, page.getByTestId("event-sheet"), title);
  await page.goto(caseUrl);
  await page.getByRole("textbox", { name: "Add a note" }).fill("Checked the layout.");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("case-notes")).toContainText("Checked the layout.");

  for (const theme of ["light", "dark"] as const) {
    await setTheme(context, baseURL ?? "", theme);
    for (const width of [1024, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, url] of [
        ["cases", "/cases"],
        ["case", caseUrl],
      ] as const) {
        await page.goto(url);
        await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
        await noHorizontalScroll(page);
        await page.screenshot({ path: `${SHOTS}/${name}-${width}-${theme}.png`, fullPage: true });
        if (width === 1440) await expectNoSeriousA11y(page, `${url} (${theme})`);
      }
      // The pin dialog open over the explorer's sheet.
      await page.goto(`/events?q=${encodeURIComponent("tenant:acme outcome:denied")}&range=all`);
      await page.getByTestId("events-table").locator("tbody tr").first().click();
      await page.getByTestId("event-sheet").getByRole("button", { name: "Pin to case" }).click();
      const pinDialog = page.getByRole("dialog", { name: /Pin this event/ });
      await expect(pinDialog).toBeVisible();
      // The explorer's own width is not this spec's business; the dialog must fit the window.
      const box = await pinDialog.boundingBox();
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${SHOTS}/pin-dialog-${width}-${theme}.png` });
    }
  }
});
