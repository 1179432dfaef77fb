import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./fixtures";

// Issue 13: an OpenTelemetry span posted to the console shows up in the explorer marked
// "observed" (and "uncovered": it carried no capability), and the Overview shows coverage.
test("an observed span is marked in the explorer and coverage is on the Overview", async ({
  signIn,
  users,
  request,
}, testInfo) => {
  const creds = JSON.parse(
    fs.readFileSync(path.join(String(testInfo.project.metadata.dataDir), "demo-credentials.json"), "utf8"),
  ) as { apiKeys: { tenant: string; key: string }[] };
  const key = creds.apiKeys.find((k) => k.tenant === "acme")?.key ?? "";
  const tool = `e2e.otlp_${randomBytes(4).toString("hex")}`;
  const startNs = BigInt(Date.now() - 2000) * 1_000_000n;
  const res = await request.post("/api/v1/otlp/v1/traces", {
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    data: {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "e2e-agent" } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: randomBytes(16).toString("hex"),
                  spanId: randomBytes(8).toString("hex"),
                  name: `execute_tool ${tool}`,
                  startTimeUnixNano: String(startNs),
                  endTimeUnixNano: String(startNs + 30_000_000n),
                  attributes: [
                    { key: "gen_ai.operation.name", value: { stringValue: "execute_tool" } },
                    { key: "gen_ai.tool.name", value: { stringValue: tool } },
                    { key: "user.id", value: { stringValue: "alice@acme.example" } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
  });
  expect(res.status()).toBe(200);

  const { page } = await signIn(users.investigator);
  await page.goto(`/events?q=${encodeURIComponent(`tool:${tool}`)}`);
  const row = page.locator("tr").filter({ hasText: tool });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("observed")).toHaveText("observed");
  await expect(row.getByTestId("uncovered")).toHaveText("uncovered");

  await page.goto("/");
  await expect(page.getByTestId("coverage-figure")).toHaveText(/^(\d{1,3}%|<1%|>99%)$/);
  await expect(page.getByTestId("coverage-sentence")).toContainText(tool);
});
