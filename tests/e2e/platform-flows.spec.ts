import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import { expect, simulatorProcess, test } from "./fixtures";
import { AdminPage } from "./pages/admin-page";

// Issue 6's browser flows against the real simulator (`npm run simulate`, its own process):
// it runs Alice's and Carol's bots, follows the revocation feed, and picks up the escalations an
// admin issues for their sessions. The file runs last (alphabetically): it revokes Carol and
// adds traffic other specs count.

test.describe.configure({ mode: "serial" });

const TODAY = () => new Date().toISOString().slice(5, 10).replace("-", "");
/** The session the simulator runs a person's bot in today (scripts/simulate.ts sessionOf). */
const sessionOf = (local: string) => `sess_${local}_${TODAY()}`;

/** An order id no other run of the suite used, so each test finds exactly its own calls. */
const orderId = () => `o_${Date.now()}`;

let simulator: ChildProcess | undefined;
let simulatorLog = "";

// biome-ignore lint/correctness/noEmptyPattern: Playwright's hook signature wants the object.
test.beforeAll(async ({}, testInfo) => {
  const sim = simulatorProcess(testInfo, [
    "--tenant",
    "acme",
    "--principal",
    "alice@acme.example",
    "--principal",
    // Not carol: the demo has her leave the company (a console revocation in the feed), so her
    // bot is refused from the start; dave is the one the admin revokes here.
    "dave@acme.example",
    // Little ordinary traffic (one request every 2 s), and multi-use grants used every 2 s.
    "--rate",
    "0.5",
    "--reuse-every",
    "2",
  ]);
  simulator = spawn(process.execPath, sim.args, { env: sim.env, stdio: ["ignore", "pipe", "pipe"] });
  simulator.stdout?.on("data", (d: Buffer) => {
    simulatorLog += d.toString();
  });
  simulator.stderr?.on("data", (d: Buffer) => {
    simulatorLog += d.toString();
  });
  await expect.poll(() => simulatorLog, { timeout: 30_000 }).toContain("sending to");
});

// biome-ignore lint/correctness/noEmptyPattern: Playwright's hook signature wants the object.
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus)
    await testInfo.attach("simulator.log", { body: simulatorLog, contentType: "text/plain" });
});

test.afterAll(async () => {
  if (!simulator || simulator.exitCode !== null) return;
  simulator.kill("SIGTERM");
  await Promise.race([once(simulator, "exit"), new Promise((r) => setTimeout(r, 10_000))]);
});

interface Grant {
  principal: string;
  session: string;
  resourceId: string;
  ttlSeconds: number;
  delivery: "console" | "platform";
  multiUse?: boolean;
  reason: string;
}

async function issueEscalation(page: import("@playwright/test").Page, g: Grant) {
  await page.goto("/escalations");
  const form = page.getByRole("form", { name: "Issue an escalation" });
  await form.getByLabel("Tenant").selectOption("acme");
  await form.getByLabel("Principal", { exact: true }).fill(g.principal);
  await form.getByLabel("Session", { exact: true }).fill(g.session);
  await form.getByLabel("Tool", { exact: true }).fill("orders.update_status");
  await form.getByLabel("Resource type").fill("Order");
  await form.getByLabel("Resource id").fill(g.resourceId);
  await form.getByLabel("Action", { exact: true }).fill("write");
  await form.getByLabel("TTL (seconds)").fill(String(g.ttlSeconds));
  await form.getByLabel("Delivery").selectOption(g.delivery);
  if (g.multiUse) await form.getByLabel("Allow more than one use").check();
  await form.getByLabel("Reason").fill(g.reason);
  await form.getByRole("button", { name: "Issue escalation" }).click();
}

/** Reloads until `check` passes: the page is server-rendered, the simulator works meanwhile. */
async function eventually(
  page: import("@playwright/test").Page,
  check: () => Promise<void>,
  timeout = 45_000,
) {
  await expect(async () => {
    await page.reload();
    await check();
  }).toPass({ timeout, intervals: [1000] });
}

test("an admin grants Alice's session a 60-second escalation; the simulator picks it up and uses it in time", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.admin);
  const session = sessionOf("alice");
  // The admin finds the session the bot runs in on the Sessions page.
  await page.goto("/sessions");
  await eventually(page, () =>
    expect(page.getByRole("cell", { name: session, exact: true })).toBeVisible({ timeout: 1000 }),
  );

  const order = orderId();
  const reason = `refund of ${order} approved by the support lead (e2e)`;
  await issueEscalation(page, {
    principal: "alice@acme.example",
    session,
    resourceId: order,
    ttlSeconds: 60,
    delivery: "platform",
    reason,
  });
  await expect(page.getByText("Issued: the platform picks the token up for the session.")).toBeVisible();
  const row = page.locator("tr", { hasText: reason });
  await expect(row).toBeVisible();

  // Picked up and used within the minute: recorded by the console, single use, so it is done.
  await eventually(page, () =>
    expect(row.getByText("1 allowed", { exact: true })).toBeVisible({ timeout: 1000 }),
  );
  await expect(row).toContainText("used");
  await row.getByText("1 allowed", { exact: true }).click();
  await expect(row.getByTestId("escalation-use")).toHaveCount(1);
  await expect(row.getByTestId("escalation-use")).toContainText("allowed");
  expect(simulatorLog).toMatch(
    /alice@acme\.example: escalation \w+: use 1 allowed by the console; orders\.update_status ran/,
  );

  // Alice's day counts it and lists it.
  await page.goto(`/principals/${encodeURIComponent("alice@acme.example")}`);
  await expect(page.getByTestId("day-summary")).toContainText(/[1-9]\d* escalations? used/);
  await expect(
    page.locator("li", { hasText: "escalation.used" }).filter({ hasText: "allowed" }).first(),
  ).toBeVisible();

  // The call, in the explorer, leads to its request, whose graph draws the escalation beside the
  // request's own capability (which was refused the write).
  const q = `principal:alice@acme.example type:tool.call resource:Order#${order}`;
  await page.goto(`/events?q=${encodeURIComponent(q)}&range=all`);
  const calls = page.getByTestId("events-table").locator("tbody tr");
  await expect(calls).toHaveCount(2);
  await expect(calls.filter({ hasText: "denied" })).toHaveCount(1);
  await calls.filter({ hasText: "allowed" }).click();
  await page.getByTestId("event-sheet").getByRole("link", { name: "Request", exact: true }).click();
  await expect(page).toHaveURL(/\/requests\//);
  const graph = page.getByTestId("derivation-graph");
  const escalation = graph.locator(".cap-node.cap-escalation");
  await expect(escalation).toHaveCount(1);
  await expect(escalation).toContainText("✓ 1");
  await expect(graph.locator(".cap-node.cap-minted")).toContainText("✗ 1");
});

test("a multi-use grant is used until it expires; the use after expiry is refused as expired", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.admin);
  const order = orderId();
  const reason = `bulk refund window for ${order} (e2e)`;
  await issueEscalation(page, {
    principal: "alice@acme.example",
    session: sessionOf("alice"),
    resourceId: order,
    ttlSeconds: 6,
    delivery: "platform",
    multiUse: true,
    reason,
  });
  await expect(page.getByText("Issued: the platform picks the token up for the session.")).toBeVisible();
  const row = page.locator("tr", { hasText: reason });
  await eventually(page, () =>
    expect(row.getByText(/^[1-9]\d* allowed, 1 refused$/)).toBeVisible({ timeout: 1000 }),
  );
  await expect(row).toContainText("expired");
  await row.getByText(/allowed, 1 refused/).click();
  const uses = row.getByTestId("escalation-use");
  await expect(uses.last()).toContainText("denied");
  await expect(uses.last()).toContainText("expired: the escalation has expired");
  for (const use of (await uses.all()).slice(0, -1)) await expect(use).toContainText("allowed");
  expect(simulatorLog).toMatch(/use refused by the console: expired \(the escalation has expired\)/);
});

test("the admin revokes Dave (as if he left), seeing what it cuts first, and his bot's next call through the SDK is denied", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.admin);
  await page.goto("/sessions");
  await eventually(page, () =>
    expect(page.getByRole("cell", { name: sessionOf("dave"), exact: true })).toBeVisible({ timeout: 1000 }),
  );
  const dave = page.getByTestId("principal-row-acme-dave@acme.example");
  await dave.getByRole("button", { name: "Revoke principal…" }).click();
  const form = dave.getByRole("group", { name: "Revoke principal" });
  await form.getByLabel("Reason").fill("left the company (e2e)");
  await form.getByRole("button", { name: "Show what it cuts" }).click();
  await expect(form).toContainText(/Cuts \d+ live capabilit(y|ies), [1-9]\d* sessions?\b/);
  await form.getByRole("button", { name: "Confirm: revoke principal" }).click();
  await expect(dave).toContainText(`revoked by ${users.admin.email}`);
  await expect(dave).toContainText("left the company (e2e)");
  const revokedAt = Date.now();

  // The simulator backdates a request's first event by up to 30 s, so look from then on.
  const since = new Date(revokedAt - 30_000).toISOString();
  const q = `principal:dave@acme.example outcome:denied reason:"principal dave@acme.example is revoked" after:${since}`;
  await page.goto(`/events?q=${encodeURIComponent(q)}&range=all`);
  const rows = page.getByTestId("events-table").locator("tbody tr");
  await eventually(page, () => expect(rows.first()).toBeVisible({ timeout: 1000 }));
  await expect(rows.first()).toContainText("denied");
  const deniedSoFar = await rows.count();

  // From then on nothing of Dave's bot is allowed: count his allowed calls (every one, in an
  // export), let his bot make more requests (more refusals arrive), and count again.
  const allowedCalls = async () => {
    const q = "principal:dave@acme.example type:tool.call outcome:allowed";
    await page.goto(`/events?q=${encodeURIComponent(q)}&range=all`);
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Export JSON Lines" }).click();
    const text = fs.readFileSync(await (await download).path(), "utf8").trim();
    return text === "" ? 0 : text.split("\n").length;
  };
  const before = await allowedCalls();
  expect(before).toBeGreaterThan(0); // he worked before he left
  await page.goto(`/events?q=${encodeURIComponent(q)}&range=all`);
  await eventually(page, async () => expect(await rows.count()).toBeGreaterThan(deniedSoFar));
  expect(await allowedCalls()).toBe(before);
});

test("under the two-person rule an escalation waits for a second admin, whose approval starts its clock", async ({
  signIn,
  users,
}) => {
  const first = await signIn(users.admin);
  const admin = new AdminPage(first.page);
  await admin.goto();
  const policy = first.page.getByRole("form", { name: "Escalation policy of acme" });
  await policy.getByLabel(/Two-person rule/).check();
  await policy.getByRole("button", { name: "Save policy" }).click();
  await expect(policy.getByRole("status")).toContainText("two-person rule on");

  const second = { email: `second-admin-${Date.now()}@console.demo`, password: "a second pair of eyes" };
  await admin.createUser({ ...second, role: "admin", tenants: ["acme"] });
  await expect(admin.row(second.email)).toContainText("admin");

  const order = orderId();
  const reason = `goodwill refund of ${order} (e2e)`;
  await issueEscalation(first.page, {
    principal: "alice@acme.example",
    session: sessionOf("alice"),
    resourceId: order,
    ttlSeconds: 60,
    delivery: "console",
    reason,
  });
  await expect(
    first.page.getByText("Requested: a second admin has to approve it before any token exists."),
  ).toBeVisible();
  const mine = first.page.locator("tr", { hasText: reason });
  await expect(mine).toContainText("needs another admin");
  await expect(mine.getByRole("button", { name: "Approve" })).toHaveCount(0);

  const other = await signIn(second);
  await other.page.goto("/escalations");
  const row = other.page.locator("tr", { hasText: reason });
  await row.getByRole("button", { name: "Approve" }).click();
  const token = other.page.getByTestId("escalation-token");
  await expect(token).toBeVisible();
  await expect(token).toContainText(/[01]:\d\d left/);
  expect((await token.getByLabel("Escalation token").inputValue()).length).toBeGreaterThan(100);
  await token.getByRole("button", { name: "Done" }).click();
  await expect(token).toHaveCount(0);
  // Now active, its minute counted from the approval.
  const active = other.page.locator("tr", { hasText: reason });
  await expect(active).toContainText(/[01]:\d\d left/);
  await expect(active).toContainText(`${users.admin.email} / ${second.email}`);

  // Back to one admin for what follows.
  await admin.goto();
  await policy.getByLabel(/Two-person rule/).uncheck();
  await policy.getByRole("button", { name: "Save policy" }).click();
  await expect(policy.getByRole("status")).toContainText("two-person rule off");
});
