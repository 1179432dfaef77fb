import fs from "node:fs";
import { expect, test } from "./fixtures";

// Issue 15 item 5: the console's verify page checks a bundle in the browser (WebCrypto), sends
// nothing, names the failing event when one byte is changed.

interface Bundle {
  events: { canonical: string; proof: string }[];
  manifest: { tenant: string; eventCount: number };
}

test("an exported bundle verifies in the browser; a one-byte change names the event", async ({
  signIn,
  users,
}, testInfo) => {
  const investigator = users.investigator;
  const { page } = await signIn(investigator);
  const tenant = investigator.tenants[0] as string;

  // Export from the explorer's query, with the button a new user would click.
  await page.goto(`/events?${new URLSearchParams({ q: "outcome:denied", range: "all" })}`);
  const button = page.getByRole("link", { name: new RegExp(`^Export evidence bundle( \\(${tenant}\\))?$`) });
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^evidence-${tenant}-\\d{12}\\.json$`));
  const genuine = fs.readFileSync((await download.path()) as string, "utf8");
  const bundle = JSON.parse(genuine) as Bundle;
  expect(bundle.manifest.tenant).toBe(tenant);
  expect(bundle.events.length).toBeGreaterThan(1);

  await page.goto("/evidence/verify");
  await expect(page.getByRole("heading", { name: "Verify an evidence bundle" })).toBeVisible();
  // The page must not send the bundle anywhere: record every request that carries a body (the
  // nav links' prefetches are GETs without one).
  const sent: string[] = [];
  page.on("request", (r) => {
    if (r.method() !== "GET" || r.postData()) sent.push(`${r.method()} ${r.url()}`);
  });

  const drop = async (text: string, name: string) => {
    const dataTransfer = await page.evaluateHandle(
      ({ text, name }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: "application/json" }));
        return dt;
      },
      { text, name },
    );
    await page.dispatchEvent('[data-testid="drop-zone"]', "drop", { dataTransfer });
  };

  await drop(genuine, "genuine.json");
  const summary = page.getByTestId("verify-summary");
  await expect(summary).toContainText(`${bundle.events.length} events, all genuine`);
  await expect(summary).toContainText("(pinned)");
  await page.screenshot({ path: testInfo.outputPath("evidence-verify-genuine.png") });

  // One byte changed in the second event's canonical text.
  const target = bundle.events[1] as Bundle["events"][number];
  const id = (JSON.parse(target.canonical) as { id: string }).id;
  const at = target.canonical.indexOf('"outcome":"denied"') + '"outcome":"denie'.length;
  target.canonical = `${target.canonical.slice(0, at)}D${target.canonical.slice(at + 1)}`;
  const tampered = JSON.stringify(bundle);
  expect(tampered.length).toBe(genuine.length);
  await drop(tampered, "tampered.json");
  await expect(summary).toContainText("NOT VERIFIED");
  await expect(page.getByTestId("verify-failures")).toContainText(`event 1 (${id}): inclusion`);
  const row = page.locator('[data-testid="verify-events"] tbody tr').first();
  await expect(row).toContainText(id);
  await expect(row).toContainText("FAILED");
  await page.screenshot({ path: testInfo.outputPath("evidence-verify-tampered.png") });

  expect(sent).toEqual([]);
});

test("a viewer cannot export a bundle", async ({ signIn, users }) => {
  const { page } = await signIn(users.viewer);
  const res = await page.request.get(`/evidence/export?${new URLSearchParams({ kind: "query", q: "" })}`);
  expect(res.status()).toBe(403);
});

test("a 10,000-event bundle verifies on the page, with progress", async ({ signIn, users }) => {
  test.setTimeout(240_000);
  const { makeBundle, vkeyOf } = await import("../unit/evidence/make-bundle");
  const made = makeBundle({ logSize: 10_000 });
  const { page } = await signIn(users.investigator);
  await page.goto("/evidence/verify");
  await page.getByLabel("Pinned verifier keys (one per line)").fill(vkeyOf(made.key));
  const started = Date.now();
  await page.getByTestId("bundle-file").setInputFiles({
    name: "large.json",
    mimeType: "application/json",
    buffer: Buffer.from(made.bytes),
  });
  await expect(page.getByText(/Verifying… .* \/ 10000/)).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("verify-summary")).toContainText("10000 events, all genuine", {
    timeout: 180_000,
  });
  console.log(
    `10,000-event bundle (${(made.bytes.length / 1e6).toFixed(1)} MB) verified in Chromium in ${Date.now() - started} ms`,
  );
  await expect(page.getByText("Showing 500 of 10001 events (failing ones first).")).toBeVisible();
});
