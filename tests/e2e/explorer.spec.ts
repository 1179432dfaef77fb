import fs from "node:fs";
import { expect, test } from "./fixtures";

test("an investigator answers 'did anything derived from this capability ever write an Order?' from the UI", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.investigator);
  // Start from a call that wrote an Order, and walk to the root capability it came from. (A call,
  // not any event: an escalation's own "used" event also names the operation, but the explorer
  // link below asks about calls.)
  await page.goto(
    `/events?q=${encodeURIComponent("type:tool.call tool:orders.update_status outcome:allowed action:write")}&range=all`,
  );
  await page.getByTestId("events-table").locator("tbody tr").first().click();
  const sheet = page.getByTestId("event-sheet");
  await expect(sheet).toBeVisible();
  await sheet.getByRole("link", { name: "Capability", exact: true }).click();
  await expect(page).toHaveURL(/\/capabilities\//);
  await expect(page.getByTestId("capability-status")).toBeVisible();
  // Up the lineage to the root, then ask the explorer about everything under it.
  // (A call an escalation allowed is authorized by a root capability: no lineage to climb.)
  const up = page.locator("h2:text-is('Lineage') + ol li a").first();
  if ((await up.count()) > 0) await up.click();
  await expect(page.getByRole("heading", { name: "Lineage" })).toBeVisible();
  await expect(page.getByText("A root capability: minted for its request.")).toBeVisible();
  await page.getByRole("link", { name: "these calls in the explorer" }).click();
  await expect(page).toHaveURL(/q=under%3A/);
  const box = page.getByRole("textbox", { name: "Search events" });
  await box.fill(`${await box.inputValue()} resource:Order action:write outcome:allowed`);
  await page.getByRole("combobox", { name: "Time range" }).selectOption("all");
  await page.getByRole("button", { name: "Search" }).click();
  const rows = page.getByTestId("events-table").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  await expect(rows.first()).toContainText("orders.update_status");
  await expect(rows.first()).toContainText("allowed");
});

test("a syntax error in the search box is shown where it is, not a crash", async ({ signIn, users }) => {
  const { page } = await signIn(users.investigator);
  await page.goto(`/events?q=${encodeURIComponent("principal:alice@acme.example outcome:maybe")}`);
  const err = page.getByTestId("query-error");
  await expect(err).toBeVisible();
  await expect(err.locator("mark")).toHaveText("maybe");
  await expect(err).toContainText("allowed");
});

test("an export downloads a file whose rows match the query", async ({ signIn, users }) => {
  const { page } = await signIn(users.investigator);
  const q = "principal:alice@acme.example outcome:denied";
  await page.goto(`/events?q=${encodeURIComponent(q)}&range=all`);
  const ids: string[] = [];
  const rows = page.getByTestId("events-table").locator("tbody tr");
  const n = await rows.count();
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThan(50); // one page holds them all, so the table is the whole answer
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export JSON Lines" }).click();
  const file = await (await download).path();
  const lines = fs
    .readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, string>);
  expect(lines).toHaveLength(n);
  for (const l of lines) {
    expect(l.principal).toBe("alice@acme.example");
    expect(l.outcome).toBe("denied");
    ids.push(String(l.id));
  }
  expect(new Set(ids).size).toBe(n);
});

test("a viewer opens Alice's day and sees the summary, the charts and the graph", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.viewer);
  // Yesterday is a whole day of demo traffic whatever the hour the suite runs at.
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await page.goto(`/principals?day=${yesterday}`);
  await page.getByRole("link", { name: "alice@acme.example" }).click();
  await expect(page.getByTestId("day-summary")).toContainText(
    /Alice's bot made \d+ tool calls? in \d+ requests?/,
  );
  await expect(
    page.getByRole("img", { name: "Calls by outcome over time" }).locator("svg").first(),
  ).toBeVisible();
  // #12: the day's graph is the aggregated person → agent → tool → resource view.
  await expect(page.getByTestId("day-graph").getByTestId("day-graph-node").first()).toBeVisible();
});

test("a request's derivation graph renders and a node click leads to its capability", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.investigator);
  // Newest first, the top request may hold one capability: take the busiest of Alice's bot's
  // recent requests, which narrow for their sub-agents.
  await page.goto("/requests?q=alice-assistant");
  const rows = page.locator("main table tbody tr");
  await expect(rows.first()).toBeVisible();
  let busiest = 0;
  let most = -1;
  for (let i = 0; i < Math.min(await rows.count(), 10); i++) {
    const calls = Number((await rows.nth(i).locator("td.num").first().textContent())?.replace(/,/g, ""));
    if (calls > most) [busiest, most] = [i, calls];
  }
  await rows.nth(busiest).locator("a[href^='/requests/']").first().click();
  await expect(page).toHaveURL(/\/requests\//);
  const nodes = page.getByTestId("derivation-graph").locator(".react-flow__node");
  await expect(nodes.first()).toBeVisible();
  expect(await nodes.count()).toBeGreaterThan(2);
  await expect(page.locator(".react-flow__edge").first()).toBeAttached();
  await nodes.last().click();
  await expect(page).toHaveURL(/\/capabilities\/[0-9a-f]+/);
  await expect(page.getByTestId("capability-status")).toBeVisible();
});
