import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, openDeniedCallWithResource, test } from "./fixtures";

// Issue #12's three journeys, end to end, counting the screens each takes (a screen is a page the
// person lands on; a sheet or a form answered in place is not a new one).

/** Records every distinct page (path) the tab lands on. */
function screens(page: Page): { list: string[] } {
  const seen = { list: [] as string[] };
  page.on("framenavigated", (frame) => {
    if (frame !== page.mainFrame()) return;
    const p = new URL(frame.url()).pathname;
    if (seen.list.at(-1) !== p) seen.list.push(p);
  });
  return seen;
}

const DENIED_CALLS = `/events?q=${encodeURIComponent("outcome:denied type:tool.call tenant:acme")}&range=all`;
// Carol left the company in the demo (every session revoked): a grant for her is refused at use,
// as it should be, so the admin's journey starts from someone still active.
const DENIED_ACTIVE = `/events?q=${encodeURIComponent(
  "outcome:denied type:tool.call tenant:acme -principal:carol@acme.example",
)}&range=all`;

test("the investigator answers 'did C or anything derived from it ever write an Order?' from a denied call in at most three screens", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.investigator);
  await page.setViewportSize({ width: 1024, height: 800 });
  const visited = screens(page);
  // Screen 1: the denied calls in the explorer; the call's detail opens beside the table.
  await page.goto(DENIED_CALLS);
  await page.getByTestId("events-table").locator("tbody tr").first().click();
  const sheet = page.getByTestId("event-sheet");
  await expect(sheet).toContainText("denied");
  // Screen 2: the capability that authorized (and refused) it; the question is asked in place.
  await sheet.getByRole("link", { name: "Capability", exact: true }).click();
  await expect(page).toHaveURL(/\/capabilities\//);
  const ever = page.getByTestId("did-it-ever");
  await ever.getByLabel("Action").fill("write");
  await ever.getByLabel("Resource type").fill("Order");
  await ever.getByRole("button", { name: "Did it ever…?" }).click();
  await expect(page.getByTestId("ever-question")).toHaveText(
    "Did this capability, or anything derived from it, ever write an Order?",
  );
  await expect(page.getByTestId("ever-answer")).toContainText(
    /^(Yes: [\d,]+ writes? to Order|No: 0 of [\d,]+ calls?)/,
  );
  const distinct = new Set(visited.list);
  expect([...distinct], "screens").toEqual(["/events", expect.stringMatching(/^\/capabilities\//)]);
  expect(distinct.size).toBeLessThanOrEqual(3);
  test.info().annotations.push({ type: "screens", description: String(distinct.size) });
});

test("the admin escalates exactly a denied call and sees the grant used live", async ({
  signIn,
  users,
}, testInfo) => {
  test.setTimeout(120_000);
  const { page } = await signIn(users.admin);
  await page.setViewportSize({ width: 1440, height: 900 });
  const visited = screens(page);
  // Screen 1: a denied call in the explorer, "Request escalation for exactly this".
  await page.goto(DENIED_ACTIVE);
  await openDeniedCallWithResource(page);
  const escalate = page.getByTestId("event-sheet").getByTestId("escalate-exact");
  const asked = new URL((await escalate.getAttribute("href")) ?? "", "http://x").searchParams;
  await escalate.click();
  // Screen 2: the issue form, filled with that operation; the admin writes why and issues it.
  const form = page.getByRole("form", { name: "Issue an escalation" });
  await expect(form.getByLabel("Tool", { exact: true })).toHaveValue(asked.get("tool") ?? "");
  const reason = `journey ${Date.now()}: the customer asked for this change`;
  await form.getByLabel("Reason").fill(reason);
  await form.getByRole("button", { name: "Issue escalation" }).click();
  const token = await page.getByRole("textbox", { name: "Escalation token" }).inputValue();
  const row = page.getByRole("table", { name: "Active escalations" }).locator("tr", { hasText: reason });
  await expect(row.getByTestId("escalation-use-count")).toHaveText("0 uses");
  const id = await row.getAttribute("data-escalation");

  // The agent platform uses it through the API; the page follows without a reload.
  const creds = JSON.parse(
    fs.readFileSync(path.join(String(testInfo.project.metadata.dataDir), "demo-credentials.json"), "utf8"),
  ) as { apiKeys: { tenant: string; key: string }[] };
  const key = creds.apiKeys.find((k) => k.tenant === "acme")?.key;
  const operation = Object.fromEntries(
    ["tool", "resourceType", "resourceId", "action", "argDigest"].flatMap((k) =>
      asked.get(k) ? [[k, asked.get(k)]] : [],
    ),
  );
  const used = await page.request.post(`/api/v1/escalations/${id}/use`, {
    headers: { authorization: `Bearer ${key}` },
    data: { token, operation },
  });
  expect(used.status(), await used.text()).toBe(200);
  // Single use: once used it leaves Active for the history, with its one use, live.
  const past = page.getByRole("table", { name: "Past escalations" }).locator("tr", { hasText: reason });
  await expect(past).toBeVisible({ timeout: 15_000 });
  await expect(past).toContainText("1 allowed");
  expect([...new Set(visited.list)], "screens").toEqual(["/events", "/escalations"]);
  test.info().annotations.push({ type: "screens", description: "2" });
});

test("the manager reads Alice's day in plain words", async ({ signIn, users }) => {
  const { page } = await signIn(users.viewer);
  await page.setViewportSize({ width: 1024, height: 800 });
  const visited = screens(page);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  // Screen 1: who was active that day; screen 2: Alice's day.
  await page.goto(`/principals?day=${yesterday}`);
  await page.getByRole("link", { name: "alice@acme.example" }).click();
  await expect(page.getByTestId("day-sentence")).toContainText(/In plain words, it \w+/);
  await expect(page.getByTestId("day-graph")).toBeVisible();
  expect([...new Set(visited.list)], "screens").toEqual(["/principals", "/principals/alice%40acme.example"]);
  test.info().annotations.push({ type: "screens", description: "2" });
});
