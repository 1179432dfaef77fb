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
await inv.goto(`/events?q=${encodeURIComponent("outcome:denied tool:crm.*")}&range=all`);
await inv.getByTestId("events-table").locator("tbody tr").first().click();
await shot(inv, "explorer", false);
await inv.setViewportSize({ width: 1024, height: 768 });
await shot(inv, "explorer-1024", false);
await inv.setViewportSize({ width: 1400, height: 900 });
await inv.goto(`/events?q=${encodeURIComponent("principal:alice@acme.example outcome:maybe")}`);
await shot(inv, "explorer-error", false);
await inv.goto("/requests");
await shot(inv, "requests", false);
await inv.goto("/requests?q=alice-assistant");
const requestHref =
  (await inv.locator("main table a[href^='/requests/']").first().getAttribute("href")) ?? "";
await inv.goto(requestHref);
await shot(inv, "request-graph", false);
await inv.goto(`${requestHref}${requestHref.includes("?") ? "&" : "?"}view=timeline`);
await shot(inv, "request-timeline", false);
await inv.goto(requestHref);
await inv.getByTestId("derivation-graph").locator(".react-flow__node").last().click();
await inv.waitForURL(/capabilities/);
await inv.goto(`${inv.url()}&ever=Order&do=write#did-it-ever`);
await shot(inv, "capability", false);
const second = (await (async () => {
  await inv.goto("/requests?q=alice-assistant");
  return inv.locator("main table a[href^='/requests/']").nth(1).getAttribute("href");
})()) as string;
const idOf = (href: string) => decodeURIComponent(href.split("/")[2]?.split("?")[0] ?? "");
await inv.goto(
  `/compare?${new URLSearchParams({ kind: "request", tenant: "acme", a: idOf(requestHref), b: idOf(second) })}`,
);
await shot(inv, "compare", false);
await inv.goto("/sessions");
await shot(inv, "sessions", false);
await inv.goto("/cases");
await shot(inv, "cases", false);

const viewer = await session("viewer", "dark");
await viewer.goto(`/principals/${encodeURIComponent("alice@acme.example")}?day=${yesterday}`);
await shot(viewer, "principal-day-dark");
const viewerLight = await session("viewer", "light");
await viewerLight.setViewportSize({ width: 1024, height: 768 });
await viewerLight.goto(`/principals/${encodeURIComponent("alice@acme.example")}?day=${yesterday}`);
await shot(viewerLight, "principal-day-1024", false);

const admin = await session("admin", "light");
await admin.goto("/admin");
await shot(admin, "admin");
await admin.goto(`/events?q=${encodeURIComponent("outcome:denied type:tool.call tenant:acme")}&range=all`);
await admin.getByTestId("events-table").locator("tbody tr").first().click();
await admin.getByTestId("escalate-exact").click();
await admin.waitForURL(/\/escalations/);
await shot(admin, "escalations", false);

await browser.close();
