import { uuidv7 } from "@capability-console/sdk";
import { expect, test } from "./fixtures";

// Issue 17 point 2: an admin erases a person's data from the Admin page; the explorer no longer
// finds them and the audit log still verifies. The person is one this test sends, so the demo
// data other tests read stays as it is.

test("an admin erases a person: typed twice, recorded, gone from the explorer, the log still intact", async ({
  signIn,
  users,
  request,
}, testInfo) => {
  const { page } = await signIn(users.admin);
  await page.goto("/admin");
  const keyForm = page.getByRole("form", { name: "Create an ingest key" });
  await keyForm.getByLabel("Tenant").selectOption("acme");
  await keyForm.getByLabel(/^Source/).fill(`e2e-erasure-${Date.now()}`);
  await keyForm.getByRole("button", { name: "Create key" }).click();
  const key = ((await page.getByTestId("new-api-key").locator("code").textContent()) ?? "").trim();
  const person = `erin-${Date.now()}@acme.example`;
  const sent = await request.post("/api/v1/events", {
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    data: {
      events: Array.from({ length: 3 }, (_, i) => ({
        id: uuidv7(),
        ts: new Date(Date.now() - i * 1000).toISOString(),
        tenant: "acme",
        // A note needs no capability (a tool.call does).
        type: "agent.note",
        principal: person,
        agent: "erin-assistant",
        outcome: "allowed",
        meta: { subject: `private note ${i} of ${person}` },
      })),
    },
  });
  expect(sent.status(), await sent.text()).toBe(200);
  expect(await sent.json()).toMatchObject({ accepted: 3 });

  const explorer = (q: string) => page.goto(`/events?${new URLSearchParams({ q, range: "all" })}`);
  await explorer(`principal:${person}`);
  await expect(page.getByTestId("match-count")).toHaveText("3 matching events");
  await expect(page.getByText(person).first()).toBeVisible();

  await page.goto("/admin");
  const form = page.getByRole("form", { name: "Erase a person's data" });
  await form.getByLabel("Tenant").selectOption("acme");
  await form.getByLabel("Principal, exactly as events name it").fill(person);
  await form.getByLabel("Type the principal again").fill(`${person}x`);
  await form.getByLabel(/^Request reference/).fill("DSR-E2E");
  await form.getByRole("button", { name: "Erase this person's data" }).click();
  await expect(form.getByText("Type the principal again, exactly")).toBeVisible();
  await form.getByLabel("Type the principal again").fill(person);
  await form.getByRole("button", { name: "Erase this person's data" }).click();
  await expect(form.getByRole("status")).toContainText(
    "Erased from 3 events of acme; the audit log still verifies.",
  );
  await page.screenshot({ path: testInfo.outputPath("erase-subject.png"), fullPage: true });

  await explorer(`principal:${person}`);
  await expect(page.getByText("No events match.")).toBeVisible();
  await expect(page.getByTestId("match-count")).toHaveText("0 matching events");
  // The erasure itself is in the log, with the reference and never the name.
  await explorer("type:console.subject.erased");
  await expect(page.getByText("console.subject.erased").first()).toBeVisible();
  await expect(page.getByText(person)).toHaveCount(0);

  // An evidence bundle of the erased events still verifies in the browser; the page says their
  // principal is withheld rather than showing a blank.
  await explorer('principal:"[erased]"');
  const exportLink = page.getByRole("link", { name: /^Export evidence bundle( \(acme\))?$/ });
  const [download] = await Promise.all([page.waitForEvent("download"), exportLink.click()]);
  await page.goto("/evidence/verify");
  await page.getByTestId("bundle-file").setInputFiles((await download.path()) as string);
  const summary = page.getByTestId("verify-summary");
  await expect(summary).toContainText("all genuine");
  await expect(summary).toContainText("with fields withheld");
  await expect(page.getByTestId("verify-events")).toContainText("withheld");
  await expect(page.getByTestId("verify-events")).not.toContainText(person);
  await page.screenshot({ path: testInfo.outputPath("erase-verify-bundle.png"), fullPage: true });

  await page.goto("/admin");
  await page.getByRole("button", { name: "Verify audit log" }).click();
  const results = page.getByTestId("verify-log-results");
  await expect(results).toContainText("acme");
  await expect(results).not.toContainText(/broken/i);
});
