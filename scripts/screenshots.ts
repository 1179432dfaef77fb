// `npm run screenshots -- [--url http://localhost:3000]`: pictures of the main pages of a
// running console (with the demo loaded) into docs/screenshots/, for the README.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, systemChromium } from "./chromium";

const { values } = parseArgs({ options: { url: { type: "string" }, out: { type: "string" } } });
const base = values.url ?? `http://localhost:${process.env.PORT ?? 3000}`;
const out = path.resolve(values.out ?? "docs/screenshots");
const dataDir = path.resolve(process.env.DATA_DIR || "./data");
const creds = JSON.parse(fs.readFileSync(path.join(dataDir, "demo-credentials.json"), "utf8")) as {
  users: { email: string; password: string; role: string }[];
};

const browser = await chromium.launch({ executablePath: systemChromium(), args: CHROMIUM_ARGS });

async function session(role: string, colorScheme: "light" | "dark"): Promise<Page> {
  const ctx = await browser.newContext({
    baseURL: base,
    viewport: { width: 1400, height: 900 },
    colorScheme,
  });
  const page = await ctx.newPage();
  const user = creds.users.find((u) => u.role === role);
  if (!user) throw new Error(`no demo ${role}`);
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(`${base}/`);
  return page;
}

async function shot(page: Page, name: string, full = true) {
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(800); // charts and graph layout settle
  await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: full });
  console.log(`wrote ${name}.png`);
}

fs.mkdirSync(out, { recursive: true });
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

const inv = await session("investigator", "light");
await shot(inv, "overview");
await inv.goto(`/events?q=${encodeURIComponent("outcome:denied tool:crm.*")}`);
await inv.getByTestId("events-table").locator("tbody tr").first().click();
await shot(inv, "explorer", false);
await inv.goto(`/events?q=${encodeURIComponent("principal:alice@acme.example outcome:maybe")}`);
await shot(inv, "explorer-error", false);
await inv.goto("/requests");
await inv.locator("table a").first().click();
await shot(inv, "request-graph", false);
await inv.getByTestId("derivation-graph").locator(".react-flow__node").last().click();
await inv.waitForURL(/capabilities/);
await shot(inv, "capability", false);

const viewer = await session("viewer", "dark");
await viewer.goto(`/principals/${encodeURIComponent("alice@acme.example")}?day=${yesterday}`);
await shot(viewer, "principal-day-dark");

const admin = await session("admin", "light");
await admin.goto("/admin");
await shot(admin, "admin");
await admin.goto("/escalations");
for (const uses of await admin.locator("details").all()) await uses.locator("summary").click();
await shot(admin, "escalations");

await browser.close();
