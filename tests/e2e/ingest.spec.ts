import { spawnSync } from "node:child_process";
import { uuidv7 } from "@capability-console/sdk";
import { expect, simulatorProcess, test } from "./fixtures";

test("an admin creates an ingest key, it is shown once and works, and a revoked key is refused", async ({
  signIn,
  users,
  request,
}) => {
  const { page } = await signIn(users.admin);
  page.on("dialog", (d) => d.accept());
  await page.goto("/admin");
  const form = page.getByRole("form", { name: "Create an ingest key" });
  const source = `e2e-${Date.now()}`;
  await form.getByLabel("Tenant").selectOption("acme");
  await form.getByLabel(/^Source/).fill(source);
  await form.getByRole("button", { name: "Create key" }).click();
  const shown = page.getByTestId("new-api-key");
  await expect(shown).toBeVisible();
  const key = (await shown.locator("code").textContent())?.trim() ?? "";
  expect(key).toMatch(/^cck_/);

  const send = () =>
    request.post("/api/v1/events", {
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      data: {
        events: [
          {
            id: uuidv7(),
            ts: new Date().toISOString(),
            tenant: "acme",
            type: "agent.note",
            outcome: "allowed",
          },
        ],
      },
    });
  const ok = await send();
  expect(ok.status()).toBe(200);
  expect(await ok.json()).toMatchObject({ accepted: 1 });

  // The key is never shown again: the list only has its prefix.
  await page.reload();
  await expect(page.getByText(key)).toHaveCount(0);
  const row = page.locator(`[data-testid^="api-key-row-"]`).filter({ hasText: source });
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  expect((await send()).status()).toBe(401);
});

test("the simulator talks to the running console and its events arrive", async ({
  signIn,
  users,
}, testInfo) => {
  const { page } = await signIn(users.investigator);
  const count = async () => Number((await page.getByTestId("events-24h").textContent())?.replaceAll(",", ""));
  await page.goto("/");
  const before = await count();
  const sim = simulatorProcess(testInfo, ["--rate", "4", "--duration", "5"]);
  const run = spawnSync(process.execPath, sim.args, { encoding: "utf8", env: sim.env, timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  const stats = JSON.parse(
    run.stdout.trim().split("\n").at(-1)?.replace("[simulate] stopped: ", "") ?? "{}",
  ) as {
    requests: number;
    events: number;
    accepted: number;
  };
  expect(stats.requests).toBeGreaterThan(0);
  expect(stats.accepted).toBe(stats.events);
  await page.reload();
  expect(await count()).toBeGreaterThanOrEqual(before + stats.accepted);
});

test("the verify button checks the audit log and says it is intact", async ({ signIn, users }) => {
  const { page } = await signIn(users.admin);
  await page.goto("/admin");
  await page.getByRole("button", { name: "Verify audit log" }).click();
  const results = page.getByTestId("verify-log-results");
  await expect(results).toContainText("acme");
  await expect(results).not.toContainText(/broken/i);
});
