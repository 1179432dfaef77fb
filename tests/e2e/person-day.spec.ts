import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expectNoSeriousA11y, setTheme } from "./axe";
import { expect, markupOnly, test } from "./fixtures";

// The manager's page (a person's day, read by a viewer) and the capability page's answers (#12).
// SHOTS_DIR, when set, keeps a screenshot of each page at each width and theme for people to look at.

const ALICE = "alice@acme.example";
// Yesterday is a whole day of demo traffic whatever the hour the suite runs at.
const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const dayUrl = () => `/principals/${encodeURIComponent(ALICE)}?day=${yesterday()}`;

async function shot(page: Page, name: string) {
  const dir = process.env.SHOTS_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

async function noPageScroll(page: Page) {
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  expect(scroll, "no horizontal page scroll").toBeLessThanOrEqual(client);
}

/** A capability of Alice's day: the first request of the day, then its root capability. */
async function aliceCapability(page: Page): Promise<string> {
  await page.goto(dayUrl());
  const request = page.locator("table.data a[href^='/requests/']").first();
  await request.click();
  await expect(page).toHaveURL(/\/requests\//);
  const node = page.getByTestId("derivation-graph").locator(".react-flow__node").first();
  await node.click();
  await expect(page).toHaveURL(/\/capabilities\//);
  return page.url();
}

for (const width of [1024, 1440]) {
  test(`the manager reads Alice's day in plain words at ${width} px, and the graph reads without zoom`, async ({
    signIn,
    users,
  }) => {
    const { page } = await signIn(users.viewer);
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`/principals?day=${yesterday()}`);
    await page.getByRole("link", { name: ALICE }).click();
    const summary = page.getByTestId("day-summary");
    await expect(summary).toContainText(/Alice's bot made [\d,]+ tool calls? in [\d,]+ requests?/);
    // Plain words from the day's events: verbs and resource types, not just counts.
    await expect(page.getByTestId("day-sentence")).toContainText(
      /In plain words, it .*(looked up|queried|read|changed) [\d,]* ?(customers?|orders?|documents?)/,
    );
    await expect(page.getByTestId("day-refused")).toContainText(/tried to .* and was refused|refused/);
    // The refusal's category carries the exact reason on hover and focus.
    const category = page.getByTestId("day-refused").locator(".denial-reason").first();
    await expect(category).toHaveAttribute("title", /\S/);
    await expect(category).toHaveAttribute("aria-describedby", /refusal-/);
    // The aggregated graph: a handful of boxes, each label at a readable size without zooming.
    const graph = page.getByTestId("day-graph");
    await expect(graph).toBeVisible();
    const nodes = graph.getByTestId("day-graph-node");
    const n = await nodes.count();
    expect(n).toBeGreaterThan(4);
    expect(n).toBeLessThan(40);
    for (const label of ["Person", "Agent and sub-agents", "Tools", "Resources"])
      await expect(graph.locator("text.dg-col", { hasText: label }).first()).toBeVisible();
    const sizes = await graph
      .locator("text.dg-label")
      .evaluateAll((els) => els.map((e) => (e as SVGTextElement).getBoundingClientRect().height));
    expect(Math.min(...sizes), "label height on screen (px)").toBeGreaterThanOrEqual(11);
    const box = await graph.locator("svg").boundingBox();
    expect(box?.width ?? 0).toBeLessThanOrEqual(width);
    await expect(graph.locator(".dg-refused").first()).toContainText(/refused/);
    await noPageScroll(page);
    await shot(page, `day-${width}-light`);
  });
}

test("a node of the day graph drills down to its calls by keyboard alone", async ({ signIn, users }) => {
  const { page } = await signIn(users.viewer);
  await page.setViewportSize({ width: 1024, height: 900 });
  await page.goto(dayUrl());
  await expect(page.getByTestId("day-graph")).toBeVisible();
  // Tab from the top of the page until a tool's box has focus.
  let tool = "";
  for (let i = 0; i < 200 && !tool; i++) {
    await page.keyboard.press("Tab");
    tool = await page.evaluate(() => {
      const el = document.activeElement;
      return el?.getAttribute("data-kind") === "tool" ? (el.getAttribute("data-name") ?? "") : "";
    });
  }
  expect(tool).not.toBe("");
  const label = await page.evaluate(() => document.activeElement?.querySelector("title")?.textContent ?? "");
  expect(label).toContain(`Tool ${tool}: `);
  expect(label).toMatch(/[\d,]+ calls?/);
  // The focus ring is drawn on the box itself.
  const ring = await page.evaluate(() => {
    const rect = document.activeElement?.querySelector("rect");
    return rect ? getComputedStyle(rect).strokeWidth : "";
  });
  expect(ring).toBe("4px");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/events\?/);
  const q = new URL(page.url()).searchParams.get("q") ?? "";
  expect(q).toContain(`principal:${ALICE}`);
  expect(q).toContain(`tool:${tool}`);
  expect(q).toContain(`after:${yesterday()}`);
  await expect(page.getByTestId("events-table")).toContainText(tool);
});

test("the capability page counts uses as calls and answers Did it ever…? under the question", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.admin);
  await page.setViewportSize({ width: 1024, height: 800 });
  const url = await aliceCapability(page);
  const uses = page.getByTestId("capability-uses");
  await expect(uses).toContainText(/[\d,]+ tool calls?: [\d,]+ allowed, [\d,]+ denied, [\d,]+ errors?/);
  await expect(page.getByTestId("capability-lifecycle")).toContainText(
    /(capability|escalation)\.\w+|none reported/,
  );
  await expect(page.getByRole("link", { name: "Revoke…" })).toHaveAttribute(
    "href",
    /^\/revocations\?kind=capability&tenant=acme&capability=[0-9a-f]+#revoke$/,
  );
  await expect(page.getByRole("link", { name: "Compare with…" })).toHaveAttribute(
    "href",
    /^\/compare\?kind=capability&tenant=acme&a=[0-9a-f]+$/,
  );
  const ever = page.getByTestId("did-it-ever");
  await ever.getByLabel("Action").fill("write");
  await ever.getByLabel("Resource type").fill("Order");
  await ever.getByRole("button", { name: "Did it ever…?" }).click();
  await expect(page).toHaveURL(/ever=Order/);
  const question = page.getByTestId("ever-question");
  await expect(question).toHaveText("Did this capability, or anything derived from it, ever write an Order?");
  await expect(question).toBeInViewport();
  const answer = page.getByTestId("ever-answer");
  await expect(answer).toBeInViewport();
  await expect(answer).toContainText(
    /^(Yes: [\d,]+ writes? to Order, first at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.|No: 0 of [\d,]+ calls? under this capability wrote an Order\.)/,
  );
  // The total in a "No" is the page's own count of calls under this capability.
  const calls = /([\d,]+) tool calls?/.exec((await uses.textContent()) ?? "")?.[1];
  const text = (await answer.textContent()) ?? "";
  if (text.startsWith("No")) expect(text).toContain(`0 of ${calls} call`);
  else await expect(answer.getByRole("link", { name: /explorer/ })).toHaveAttribute("href", /under%3A/);
  // Bad input names the field, and is no 500.
  const res = await page.goto(
    `${url.split("#")[0]?.split("?")[0]}?tenant=acme&ever=${encodeURIComponent("Or der")}&do=write`,
  );
  expect(res?.status()).toBe(200);
  await expect(page.locator("#ever-error")).toContainText("resource type");
  await noPageScroll(page);
  await shot(page, "capability-1024-light");
  // A viewer sees the answer but no Revoke…
  const viewer = await signIn(users.viewer);
  await viewer.page.goto(url);
  await expect(viewer.page.getByTestId("capability-uses")).toBeVisible();
  await expect(viewer.page.getByRole("link", { name: "Revoke…" })).toHaveCount(0);
});

test("the principal day shows Revoke… to an admin, linked to the principal's revocation", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.admin);
  await page.goto(dayUrl());
  await expect(page.getByTestId("revoke-principal").first()).toHaveAttribute(
    "href",
    `/revocations?kind=principal&tenant=acme&principal=${encodeURIComponent(ALICE)}#revoke`,
  );
  const viewer = await signIn(users.viewer);
  await viewer.page.goto(dayUrl());
  await expect(viewer.page.getByTestId("day-summary")).toBeVisible();
  await expect(viewer.page.getByTestId("revoke-principal")).toHaveCount(0);
});

for (const theme of ["light", "dark"] as const) {
  test(`axe finds nothing serious on the principals and capability pages (${theme})`, async ({
    signIn,
    users,
    baseURL,
  }, testInfo) => {
    markupOnly(testInfo);
    test.setTimeout(300_000);
    const { page, context } = await signIn(users.admin);
    await setTheme(context, baseURL ?? "", theme);
    const cap = await aliceCapability(page);
    for (const width of [1024, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`/principals?day=${yesterday()}`);
      await expectNoSeriousA11y(page, `/principals ${theme}`);
      await shot(page, `principals-${width}-${theme}`);
      await page.goto(dayUrl());
      await expect(page.getByTestId("day-graph")).toBeVisible();
      await expectNoSeriousA11y(page, `/principals/[id] ${theme}`);
      await noPageScroll(page);
      await shot(page, `day-${width}-${theme}`);
      await page.goto(`${cap.split("#")[0]?.split("?")[0]}?tenant=acme&ever=Order&do=write#did-it-ever`);
      await expect(page.getByTestId("ever-answer")).toBeVisible();
      await expectNoSeriousA11y(page, `/capabilities/[id] ${theme}`);
      await noPageScroll(page);
      await shot(page, `capability-${width}-${theme}`);
    }
  });
}
