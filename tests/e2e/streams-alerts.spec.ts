import { createPublicKey, verify } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "./fixtures";

interface Hook {
  headers: http.IncomingHttpHeaders;
  body: string;
  data: Record<string, unknown>;
}

/** A webhook receiver in the test process; `stop` and `start` again on the same port. */
async function receiver() {
  const hooks: Hook[] = [];
  let server: http.Server | null = null;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve) => {
      const s = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          hooks.push({ headers: req.headers, body, data: JSON.parse(body).data });
          res.writeHead(204).end();
        });
      });
      server = s;
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server?.close(() => resolve());
    });
  await start();
  return { hooks, start, stop, url: () => `http://127.0.0.1:${port}/hook` };
}

function verifiesV1a(hook: Hook, verifyKey: string): boolean {
  const raw = Buffer.from(verifyKey.slice("whpk_".length), "base64");
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
    format: "jwk",
  });
  const signed = Buffer.from(
    `${hook.headers["webhook-id"]}.${hook.headers["webhook-timestamp"]}.${hook.body}`,
  );
  return String(hook.headers["webhook-signature"])
    .split(" ")
    .some((s) => {
      const [version, sig] = s.split(",");
      return version === "v1a" && verify(null, signed, key, Buffer.from(sig ?? "", "base64"));
    });
}

test("an admin streams signed OCSF events to a webhook that goes down and comes back, and an out-of-hours escalation alert reaches it", async ({
  signIn,
  users,
}) => {
  test.setTimeout(120_000);
  const rx = await receiver();
  try {
    const { page } = await signIn(users.admin);
    page.on("dialog", (d) => d.accept());
    const name = `e2e-hook-${Date.now()}`;

    // 1. Add the stream: a signed webhook of OCSF events to a local receiver.
    await page.goto("/streams");
    const form = page.getByRole("form", { name: "Add a stream" });
    await form.getByLabel("Tenant").selectOption("acme");
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Kind").selectOption("webhook");
    await form.getByLabel("Payload format").selectOption("ocsf");
    await form.getByLabel("Destination URL").fill(rx.url());
    await form.getByRole("button", { name: "Add stream" }).click();
    await expect(form.getByText(/loopback address; an admin must allow-list it first/)).toBeVisible();
    await form.getByLabel(/Allow a private or loopback address/).check();
    await form.getByRole("button", { name: "Add stream" }).click();
    const shown = page.getByTestId("new-stream");
    await expect(shown).toBeVisible();
    const verifyKey = (await shown.locator("code").textContent())?.trim() ?? "";
    expect(verifyKey).toMatch(/^whpk_/);

    // Its own creation is the first event it delivers: signed, OCSF, the event id as webhook-id.
    await expect.poll(() => rx.hooks.length, { timeout: 15_000 }).toBeGreaterThan(0);
    const first = rx.hooks[0] as Hook;
    expect(verifiesV1a(first, verifyKey)).toBe(true);
    expect(first.data).toMatchObject({
      class_uid: 6003,
      metadata: { version: "1.7.0", uid: first.headers["webhook-id"] },
    });

    // 2. The receiver goes down; a change made meanwhile is retried and shown as such.
    await rx.stop();
    const before = rx.hooks.length;
    const row = page.getByTestId(`stream-row-${name}`);
    await row.getByRole("button", { name: "Pause" }).click();
    await expect(row.getByText("paused", { exact: true })).toBeVisible();
    await row.getByRole("button", { name: "Resume" }).click();
    await expect(row.getByText("retrying")).toBeVisible({ timeout: 20_000 });
    await rx.start();
    // Both changes arrive once it is back, possibly in separate deliveries (a retry sends what
    // was due then; the resume may be a later batch), so wait for both rather than the first.
    await expect
      .poll(() => rx.hooks.slice(before).map((h) => (h.data.unmapped as { type: string }).type), {
        timeout: 30_000,
      })
      .toEqual(expect.arrayContaining(["console.stream.paused", "console.stream.resumed"]));
    await expect(row.getByText("caught up")).toBeVisible({ timeout: 20_000 });

    // 3. An alert for an escalation outside business hours: acme's hours exclude today.
    await page.goto("/alerts");
    const hours = page.getByRole("form", { name: "Business hours of acme" });
    await hours.getByLabel("Time zone (IANA)").fill("UTC");
    const today = ((new Date().getUTCDay() + 6) % 7) + 1;
    const other = (today % 7) + 1;
    const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    for (const [i, d] of days.entries())
      await hours.getByLabel(d, { exact: true }).setChecked(i + 1 === other);
    await hours.getByRole("button", { name: "Save hours" }).click();
    await expect(hours.getByText("Saved acme's business hours.")).toBeVisible();
    const rule = page.getByRole("form", { name: "Add an alert rule" });
    await rule.getByLabel("Start from an example").selectOption("Escalation used outside business hours");
    await rule.getByLabel("Name").fill(`${name} out of hours`);
    await rule.getByLabel("Events that count (query language)").fill("type:escalation.issued");
    await rule.getByRole("button", { name: "Backtest last 7 days" }).click();
    await expect(rule.getByTestId("backtest")).toContainText(/would have opened \d+ alert/);
    await rule.getByRole("button", { name: "Save rule" }).click();
    await expect(rule.getByText(/Saved .* it evaluates events from now on/)).toBeVisible();

    await page.goto("/escalations");
    const esc = page.getByRole("form", { name: "Issue an escalation" });
    await esc.getByLabel("Tenant").selectOption("acme");
    await esc.getByLabel("Principal", { exact: true }).fill("alice@acme.example");
    await esc.getByLabel("Session", { exact: true }).fill(`e2e-night-${Date.now()}`);
    await esc.getByLabel("Tool", { exact: true }).fill("orders.update_status");
    await esc.getByLabel("Resource type").fill("Order");
    await esc.getByLabel("Resource id").fill("o_9001");
    await esc.getByLabel("Action", { exact: true }).fill("write");
    await esc.getByLabel("TTL (seconds)").fill("60");
    await esc.getByLabel("Reason").fill("night fix (e2e)");
    await esc.getByRole("button", { name: "Issue escalation" }).click();

    await expect
      .poll(
        () =>
          rx.hooks.filter((h) => (h.data.unmapped as { type: string }).type === "console.alert.opened")
            .length,
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThan(0);
    const alert = rx.hooks.find(
      (h) => (h.data.unmapped as { type: string }).type === "console.alert.opened",
    ) as Hook;
    expect(verifiesV1a(alert, verifyKey)).toBe(true);
    expect(alert.data.status_detail).toMatch(
      /out of hours — session e2e-night-\d+: escalation\.issued orders\.update_status/,
    );
    await page.goto("/alerts");
    const opened = page.locator("tr", { hasText: `${name} out of hours` }).first();
    await expect(opened).toBeVisible();
    await opened.getByRole("button", { name: "Acknowledge" }).click();
    await expect(opened).toContainText("acknowledged");

    // Clean up: the rule and the stream go, each by its own button.
    await page.getByTestId(`rule-${name} out of hours`).getByRole("button", { name: "Delete" }).click();
    await expect(page.getByTestId(`rule-${name} out of hours`)).toHaveCount(0);
    await page.goto("/streams");
    await page.getByTestId(`stream-row-${name}`).getByRole("button", { name: "Delete" }).click();
    await expect(page.getByTestId(`stream-row-${name}`)).toHaveCount(0);
  } finally {
    await rx.stop();
  }
});
