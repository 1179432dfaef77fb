import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { uuidv7 } from "@capability-console/sdk";
import type { APIRequestContext, Page, TestInfo } from "@playwright/test";
import { expectNoSeriousA11y, setTheme } from "./axe";
import { expect, markupOnly, test } from "./fixtures";

// Requests, a request's timeline and graph, sessions and compare (issue #12 points 2, 6, 8, 9).
// The data is ingested here through the public API, so the assertions know what to find.

const hex = (s: string) => createHash("sha256").update(s).digest("hex");
const run = Date.now().toString(36);
const T0 = Date.now() - 10 * 60_000;
const SESSION = `sess_tl_${run}`;
const PRINCIPAL = `tl-${run}@acme.example`;
const REQ_A = `req_tl_${run}_a`;
const REQ_B = `req_tl_${run}_b`;
const PAGER_PRINCIPAL = `pager-${run}@acme.example`;

interface Cap {
  id: string;
  chain: string[];
  kind: "minted" | "attenuated";
  agent: string;
  rights: { resource: string; actions: string[]; ids?: string[] }[];
}

function capEvent(req: string, c: Cap, at: number, principal = PRINCIPAL, session = SESSION) {
  return {
    id: uuidv7(at),
    ts: new Date(at).toISOString(),
    tenant: "acme",
    type: c.kind === "minted" ? "capability.minted" : "capability.attenuated",
    principal,
    agent: c.agent,
    session,
    request: req,
    outcome: "allowed",
    capability: {
      id: c.id,
      hash: `sha256:${hex(`t-${c.id}`)}`,
      parentId: c.chain.at(-2) ?? null,
      rootId: c.chain[0],
      depth: c.chain.length - 1,
      kind: c.kind,
      expiresAt: new Date(at + 900_000).toISOString(),
      summary: { principal, rights: c.rights, chain: c.chain },
    },
  };
}

function callEvent(
  req: string,
  c: Cap,
  at: number,
  call: { tool: string; outcome: "allowed" | "denied"; reason?: string; latencyMs?: number },
) {
  return {
    id: uuidv7(at),
    ts: new Date(at).toISOString(),
    tenant: "acme",
    type: "tool.call",
    principal: PRINCIPAL,
    agent: c.agent,
    session: SESSION,
    request: req,
    tool: call.tool,
    action: "read",
    resource: { type: "Order", id: "o_1" },
    outcome: call.outcome,
    ...(call.reason ? { reason: call.reason } : {}),
    ...(call.latencyMs ? { latencyMs: call.latencyMs } : {}),
    capability: {
      id: c.id,
      hash: `sha256:${hex(`t-${c.id}`)}`,
      parentId: c.chain.at(-2) ?? null,
      rootId: c.chain[0],
      depth: c.chain.length - 1,
      kind: c.kind,
      summary: { principal: PRINCIPAL, rights: c.rights, chain: c.chain },
    },
  };
}

function requestEvents(req: string, withDenials: boolean, start: number) {
  const root: Cap = {
    id: hex(`${req}-root`).slice(0, 32),
    chain: [],
    kind: "minted",
    agent: "tl-assistant",
    rights: [
      { resource: "Order", actions: ["read", "write"] },
      { resource: "Customer", actions: ["read"] },
    ],
  };
  root.chain = [root.id];
  const sub: Cap = {
    id: hex(`${req}-sub`).slice(0, 32),
    chain: [root.id, hex(`${req}-sub`).slice(0, 32)],
    kind: "attenuated",
    agent: "tl-assistant/fetcher",
    rights: withDenials
      ? [{ resource: "Order", actions: ["read"], ids: ["o_1"] }]
      : [{ resource: "Order", actions: ["read"] }],
  };
  const events = [
    capEvent(req, root, start),
    capEvent(req, sub, start + 1_000),
    callEvent(req, root, start + 2_000, { tool: "crm.search", outcome: "allowed", latencyMs: 800 }),
    callEvent(req, sub, start + 4_000, { tool: "orders.get", outcome: "allowed", latencyMs: 300 }),
  ];
  if (withDenials)
    events.push(
      callEvent(req, sub, start + 6_000, {
        tool: "orders.refund",
        outcome: "denied",
        reason: "right(Order, write) is not granted (check in block 1)",
      }),
      callEvent(req, sub, start + 8_000, {
        tool: "orders.get",
        outcome: "denied",
        reason: `session ${SESSION} is revoked`,
      }),
    );
  return { root, sub, events };
}

async function ingest(request: APIRequestContext, testInfo: TestInfo, events: unknown[]) {
  const creds = JSON.parse(
    fs.readFileSync(path.join(String(testInfo.project.metadata.dataDir), "demo-credentials.json"), "utf8"),
  ) as { apiKeys: { tenant: string; key: string }[] };
  const key = creds.apiKeys.find((k) => k.tenant === "acme")?.key ?? "";
  const res = await request.post("/api/v1/events", {
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    data: { events },
  });
  expect(res.status(), await res.text()).toBe(200);
}

/** Tab (or Shift+Tab) until the focused element matches, within `max` presses. */
async function tabUntil(page: Page, matches: string, opts: { back?: boolean; max?: number } = {}) {
  for (let i = 0; i < (opts.max ?? 120); i++) {
    await page.keyboard.press(opts.back ? "Shift+Tab" : "Tab");
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, matches)) return;
  }
  throw new Error(`no focusable element matching ${matches}`);
}

async function noPageScroll(page: Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `horizontal page scroll on ${page.url()}`).toBeLessThanOrEqual(0);
}

let seeded: ReturnType<typeof requestEvents> | null = null;

test.beforeAll(async ({ request }, testInfo) => {
  const a = requestEvents(REQ_A, true, T0);
  const b = requestEvents(REQ_B, false, T0 + 60_000);
  // 30 requests for one principal: one full page (25) and a second one of 5.
  const pager = Array.from({ length: 30 }, (_, i) => {
    const id = hex(`${run}-pg-${i}`).slice(0, 32);
    return capEvent(
      `req_pg_${run}_${String(i).padStart(2, "0")}`,
      {
        id,
        chain: [id],
        kind: "minted",
        agent: "pager-bot",
        rights: [{ resource: "Order", actions: ["read"] }],
      },
      T0 - 3_600_000 + i * 1000,
      PAGER_PRINCIPAL,
      `sess_pg_${run}`,
    );
  });
  await ingest(request, testInfo, [...a.events, ...b.events, ...pager]);
  seeded = a;
});

test("requests: search by principal, then the next page and back", async ({ signIn, users }) => {
  const { page } = await signIn(users.investigator);
  await page.goto("/requests");
  await page.getByRole("searchbox", { name: /Search requests/ }).fill(PAGER_PRINCIPAL);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(/[?&]q=pager-/);
  const rows = page.getByTestId("request-row");
  await expect(rows).toHaveCount(25);
  // Newest first: the last one ingested (minted latest) leads.
  await expect(rows.first()).toContainText(`req_pg_${run}_29`);
  await expect(rows.first()).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  await page.getByRole("link", { name: "Older →" }).click();
  await expect(page).toHaveURL(/cursor=/);
  await expect(rows).toHaveCount(5);
  await expect(rows.first()).toContainText(`req_pg_${run}_04`);
  await expect(rows.last()).toContainText(`req_pg_${run}_00`);
  await expect(page.getByText("Older →")).not.toHaveAttribute("href");
  await page.getByRole("link", { name: "← Newer" }).click();
  await expect(rows).toHaveCount(25);
  await expect(rows.last()).toContainText(`req_pg_${run}_05`);
});

test("a request's timeline and graph by keyboard only: switch views, read a bar, open a capability", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.investigator);
  await page.setViewportSize({ width: 1024, height: 900 });
  await page.goto(`/requests/${REQ_A}?tenant=acme`);
  await expect(page.getByTestId("derivation-graph").locator(".react-flow__node")).toHaveCount(2);
  // To the Timeline switch, by Tab, and Enter.
  await tabUntil(page, "[data-testid=view-switch] button:not([aria-pressed=true])");
  await expect(page.locator(":focus")).toHaveText("Timeline");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/view=timeline/);
  const waterfall = page.getByTestId("waterfall");
  await expect(waterfall).toBeVisible();
  await expect(page.getByTestId("wf-call")).toHaveCount(4);
  await expect(page.locator("[data-testid=wf-call][data-decision=denied]")).toHaveCount(1);
  await expect(page.locator("[data-testid=wf-call][data-decision=revoked]")).toHaveCount(1);
  // The sub-agent's span nests under the root's.
  await expect(page.getByTestId("wf-span")).toHaveText([
    /tl-assistant.*1 call/,
    /tl-assistant\/fetcher.*3 calls/,
  ]);
  // Focus a bar: its details show, and it names the capability that authorized it.
  await tabUntil(page, ".wf-bar[aria-label^='orders.refund']");
  const tip = page.locator(".wf-bar:focus + .wf-tip");
  await expect(tip).toBeVisible();
  await expect(tip).toContainText("denied");
  await expect(tip).toContainText("not granted");
  await expect(tip).toContainText(/Capability: [0-9a-f]{10}/);
  // Back to the graph, by keyboard.
  await tabUntil(page, "[data-testid=view-switch] button:not([aria-pressed=true])", { back: true });
  await page.keyboard.press("Enter");
  await expect(page).not.toHaveURL(/view=timeline/);
  await tabUntil(page, ".react-flow__node");
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement as Element);
    return { style: s.outlineStyle, width: Number.parseFloat(s.outlineWidth) };
  });
  expect(ring.style).toBe("solid");
  expect(ring.width).toBeGreaterThanOrEqual(2);
  const id = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/capabilities/${id}\\?tenant=acme`));
  await expect(page.getByTestId("capability-status")).toBeVisible();
});

test("compare two requests from the request page", async ({ signIn, users }) => {
  test.setTimeout(180_000);
  const { page } = await signIn(users.investigator);
  await page.goto(`/requests/${REQ_A}?tenant=acme`);
  await page.getByRole("link", { name: "Compare with…" }).click();
  await expect(page).toHaveURL(new RegExp(`/compare\\?kind=request&tenant=acme&a=${REQ_A}`));
  // A datalist makes the field a combobox: pick a recent request or paste any id.
  const second = page.getByRole("combobox", { name: /Second/ });
  await second.fill(REQ_B);
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page).toHaveURL(new RegExp(`b=${REQ_B}`));
  const blocks = page.getByTestId("compare-blocks");
  await expect(blocks.locator("tbody tr")).toHaveCount(2);
  // The fetcher's rights differ (ids o_1 in A only): marked, not by colour alone.
  const fetcher = blocks.locator("tbody tr").nth(1);
  await expect(fetcher).toHaveAttribute("data-differs", "true");
  await expect(fetcher.locator(".diff-only")).toHaveCount(2);
  await expect(fetcher).toContainText("Order#o_1: read");
  await expect(page.getByTestId("compare-summary")).toContainText("Calls denied");
  const tools = page.getByTestId("compare-tools");
  await expect(tools.locator("tr", { hasText: "orders.refund" })).toContainText("≠");
  await expect(tools.locator("tr", { hasText: "crm.search" })).not.toContainText("≠");
  // A tenant outside the user's view (or an unknown id): not found, naming nothing.
  await page.goto(`/compare?kind=request&tenant=globex&a=${REQ_A}&b=${REQ_B}`);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await page.goto(`/compare?kind=request&tenant=acme&a=${REQ_A}&b=req_nope_${run}`);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
});

test("a session leads to its events in the explorer and to its requests", async ({ signIn, users }) => {
  const { page } = await signIn(users.investigator);
  await page.goto(`/sessions?q=${SESSION}`);
  const row = page.getByTestId("session-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(PRINCIPAL);
  await expect(row.locator("td.num").first()).toHaveText("6");
  await row.getByRole("link", { name: `Events of session ${SESSION}` }).click();
  await expect(page).toHaveURL(/\/events\?/);
  expect(new URL(page.url()).searchParams.get("q")).toContain(`session:"${SESSION}"`);
  await expect(page.getByTestId("events-table").locator("tbody tr")).toHaveCount(10);
  await page.goBack();
  await page.getByRole("link", { name: new RegExp(`requests? of session ${SESSION}`) }).click();
  await expect(page.getByTestId("request-row")).toHaveCount(2);
});

for (const width of [1024, 1440]) {
  for (const theme of ["light", "dark"] as const) {
    test(`fits ${width} px without page scroll and passes axe, ${theme}`, async ({
      signIn,
      users,
      baseURL,
    }, testInfo) => {
      markupOnly(testInfo);
      // Six pages, each with axe (and a full-page screenshot when asked): minutes on a busy machine.
      test.setTimeout(360_000);
      const { page, context } = await signIn(users.investigator);
      await setTheme(context, baseURL ?? "", theme);
      await page.setViewportSize({ width, height: 900 });
      const pages = [
        ["requests", "/requests"],
        ["request-timeline", `/requests/${REQ_A}?tenant=acme&view=timeline`],
        ["request-graph", `/requests/${REQ_A}?tenant=acme`],
        ["sessions", "/sessions"],
        ["compare", `/compare?kind=request&tenant=acme&a=${REQ_A}&b=${REQ_B}`],
        [
          "compare-capability",
          `/compare?kind=capability&tenant=acme&a=${seeded?.sub.id}&b=${seeded?.root.id}`,
        ],
      ] as const;
      for (const [name, url] of pages) {
        // A navigation may be cut by the previous page's late client work: try once more.
        await page.goto(url).catch(() => page.goto(url));
        await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
        if (name === "request-graph")
          await expect(
            page.getByTestId("derivation-graph").locator(".react-flow__node").first(),
          ).toBeVisible();
        await noPageScroll(page);
        await expectNoSeriousA11y(page, `${url} (${theme}, ${width})`);
        if (process.env.SHOTS_DIR)
          await page.screenshot({
            path: path.join(process.env.SHOTS_DIR, `${name}-${width}-${theme}.png`),
            fullPage: true,
          });
      }
    });
  }
}
