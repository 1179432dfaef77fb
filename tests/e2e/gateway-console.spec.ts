import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { uuidv7 } from "@capability-console/sdk";
import { expect, test } from "./fixtures";
import { GatewayPage } from "./pages/gateway-page";

// Issue 14, the console side of the MCP gateway in Chromium: an admin issues a gateway client
// (the credential is shown once), adds a tool rule, and grants an agent's escalation request
// that came in through the API, under Escalations → Requested by agents.

test.describe.configure({ mode: "serial" });

const stamp = () => Date.now().toString(36);
function acmeKey(dataDir: string): string {
  const creds = JSON.parse(fs.readFileSync(path.join(dataDir, "demo-credentials.json"), "utf8")) as {
    apiKeys: { tenant: string; key: string }[];
  };
  return creds.apiKeys.find((k) => k.tenant === "acme")?.key ?? "";
}

test("an admin issues a client, sees its credential once, adds a rule, and grants an agent's request", async ({
  signIn,
  users,
  request,
}, testInfo) => {
  const key = acmeKey(String(testInfo.project.metadata.dataDir));
  const auth = { authorization: `Bearer ${key}` };
  const { page } = await signIn(users.admin);
  const gateway = new GatewayPage(page);
  await gateway.goto();
  await expect(page.getByRole("heading", { name: "Gateway", level: 1 })).toBeVisible();

  const agent = `e2e-bot-${stamp()}`;
  const credential = await gateway.issueClient({
    tenant: "acme",
    name: "e2e support bot",
    principal: "alice@acme.example",
    agent,
    groups: "support, readers",
  });
  const row = page.getByTestId(`gateway-client-${credential.slice(0, 10)}`);
  await expect(row).toContainText(agent);
  await expect(row).toContainText("active");
  // Shown once: gone after Done, and not on the page after a reload.
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("gateway-credential")).toHaveCount(0);
  await page.reload();
  expect(await page.content()).not.toContain(credential);

  await gateway.addRule({
    tenant: "acme",
    agent,
    tool: "fs.read_*",
    path: "path",
    match: "/srv/share/**",
    note: "e2e: read the share",
  });
  const rule = page.getByTestId("gateway-rule").filter({ hasText: "e2e: read the share" });
  await expect(rule).toContainText("fs.read_*");
  await expect(rule).toContainText("path ~ /srv/share/**");

  // The gateway's view: the client (by its credential's sha256) and the rule, with an ETag.
  const config = await request.get("/api/v1/gateway/config", { headers: auth });
  expect(config.status()).toBe(200);
  const doc = (await config.json()) as { clients: { id: string; credentialSha256: string }[] };
  const sha = createHash("sha256").update(credential).digest("hex");
  const client = doc.clients.find((c) => c.credentialSha256 === sha);
  expect(client).toBeTruthy();
  const etag = config.headers().etag ?? "";
  expect(
    (await request.get("/api/v1/gateway/config", { headers: { ...auth, "if-none-match": etag } })).status(),
  ).toBe(304);

  // A refused write, as the gateway reports it.
  const session = `sess_gw_e2e_${stamp()}`;
  const operation = {
    tool: "fs.write_file",
    resourceType: "File",
    resourceId: "/srv/share/Quarterly report.txt",
    action: "write",
    argDigest: `hmac-sha256:${"e".repeat(64)}`,
  };
  // The denied call's event, as the gateway sends it before asking.
  const deniedEvent = uuidv7(Date.now() - 1000);
  const capId = createHash("sha256").update(`cap-${session}`).digest("hex").slice(0, 32);
  const ingest = await request.post("/api/v1/events", {
    headers: auth,
    data: {
      events: [
        {
          id: deniedEvent,
          ts: new Date(Date.now() - 1000).toISOString(),
          tenant: "acme",
          type: "tool.call",
          principal: "alice@acme.example",
          agent,
          session,
          request: `req_${session}`,
          tool: "fs.write_file",
          action: "write",
          resource: { type: "File", id: "/srv/share/Quarterly report.txt" },
          outcome: "denied",
          reason: `no rule allows fs.write_file on File for agent ${agent}`,
          inputDigest: operation.argDigest,
          capability: {
            id: capId,
            hash: `sha256:${"c".repeat(64)}`,
            parentId: null,
            rootId: capId,
            depth: 0,
            kind: "minted",
            expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
            summary: { principal: "alice@acme.example", rights: [{ resource: "File", actions: ["read"] }] },
          },
        },
      ],
    },
  });
  expect(ingest.status()).toBe(200);
  const asked = await request.post("/api/v1/gateway/escalation-requests", {
    headers: auth,
    data: {
      client: client?.id,
      principal: "alice@acme.example",
      agent,
      session,
      operation,
      missing: `no rule allows fs.write_file on File for agent ${agent}`,
      deniedEvent,
    },
  });
  expect(asked.status()).toBe(201);
  const { id } = (await asked.json()) as { id: string };

  await page.goto("/escalations");
  const section = page.getByRole("region", { name: "Requested by agents" });
  const mine = section.getByTestId("agent-request").filter({ hasText: session });
  await expect(mine).toContainText("fs.write_file");
  await expect(mine).toContainText("File#/srv/share/Quarterly report.txt");
  await expect(mine).toContainText("requested");
  await mine.getByRole("button", { name: "Grant" }).click();
  // The row stays in view with its outcome and a link to the escalation it issued.
  await expect(mine.locator(".badge")).toHaveText("granted");
  await expect(mine.getByRole("link", { name: "Escalation" })).toBeVisible();

  const status = await request.get(`/api/v1/gateway/escalation-requests/${id}`, { headers: auth });
  expect(await status.json()).toMatchObject({ id, status: "granted" });
  // The gateway picks the grant up for that session: exactly the operation, once.
  const pickup = await request.get(`/api/v1/escalations?session=${session}`, { headers: auth });
  const { escalations } = (await pickup.json()) as {
    escalations: { operation: unknown; singleUse: boolean }[];
  };
  expect(escalations).toHaveLength(1);
  expect(escalations[0]).toMatchObject({ operation, singleUse: true });

  // The denied call's event shows its request and where to find it.
  await page.goto(`/events?q=${encodeURIComponent(`session:${session} type:tool.call`)}`);
  await page
    .getByTestId("events-table")
    .getByRole("row")
    .filter({ hasText: "fs.write_file" })
    .first()
    .click();
  const onEvent = page.getByTestId("event-gateway-request");
  await expect(onEvent).toContainText("granted");
  await expect(onEvent.getByRole("link", { name: "Open in Escalations" })).toHaveAttribute(
    "href",
    `/escalations#request-${id}`,
  );

  // Revoking the client asks first, then marks it revoked for the gateway's next poll.
  await gateway.goto();
  page.once("dialog", (d) => d.accept());
  await row.getByRole("button", { name: "Revoke e2e support bot" }).click();
  await expect(row).toContainText("revoked");
  const after = (await (await request.get("/api/v1/gateway/config", { headers: auth })).json()) as {
    clients: { id: string; revoked: boolean }[];
  };
  expect(after.clients.find((c) => c.id === client?.id)?.revoked).toBe(true);
});
