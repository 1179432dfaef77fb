import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { uuidv7 } from "@capability-console/sdk";
import { expect, test } from "./fixtures";

const hex = (s: string) => createHash("sha256").update(s).digest("hex");
test("a request with 500 capabilities opens folded, and its subtrees unfold on demand", async ({
  signIn,
  users,
  request,
}, testInfo) => {
  const creds = JSON.parse(
    fs.readFileSync(path.join(String(testInfo.project.metadata.dataDir), "demo-credentials.json"), "utf8"),
  ) as { apiKeys: { tenant: string; key: string }[] };
  const key = creds.apiKeys.find((k) => k.tenant === "acme")?.key ?? "";
  const req = `req_big_${Date.now()}`;
  const now = Date.now() - 60_000;
  // A root, 20 sub-agents, each with 24 narrowed capabilities: 501 in all, each reported once.
  const caps: { id: string; chain: string[]; kind: "minted" | "attenuated"; agent: string }[] = [];
  const root = hex(`${req}-root`);
  caps.push({ id: root, chain: [root], kind: "minted", agent: "big-assistant" });
  for (let a = 0; a < 20; a++) {
    const sub = hex(`${req}-${a}`);
    caps.push({ id: sub, chain: [root, sub], kind: "attenuated", agent: `big-assistant/agent${a}` });
    for (let b = 0; b < 24; b++) {
      const leaf = hex(`${req}-${a}-${b}`);
      caps.push({
        id: leaf,
        chain: [root, sub, leaf],
        kind: "attenuated",
        agent: `big-assistant/agent${a}/worker${b}`,
      });
    }
  }
  const events = caps.map((c, i) => ({
    id: uuidv7(now + i),
    ts: new Date(now + i).toISOString(),
    tenant: "acme",
    type: c.kind === "minted" ? "capability.minted" : "capability.attenuated",
    principal: "big@acme.example",
    agent: c.agent,
    session: "sess_big",
    request: req,
    outcome: "allowed",
    capability: {
      id: c.id,
      hash: `sha256:${hex(`t-${c.id}`)}`,
      parentId: c.chain.at(-2) ?? null,
      rootId: root,
      depth: c.chain.length - 1,
      kind: c.kind,
      expiresAt: new Date(now + 900_000).toISOString(),
      summary: {
        principal: "big@acme.example",
        rights: [{ resource: "Customer", actions: ["read"] }],
        chain: c.chain,
      },
    },
  }));
  const res = await request.post("/api/v1/events", {
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    data: { events },
  });
  expect(res.status()).toBe(200);
  expect(await res.json()).toMatchObject({ accepted: 501 });

  const { page } = await signIn(users.investigator);
  await page.goto(`/requests/${req}`);
  await expect(page.getByText("Outline (501 capabilities)")).toBeVisible();
  const nodes = page.getByTestId("derivation-graph").locator(".react-flow__node");
  await expect(nodes.first()).toBeVisible();
  // Folded: the root and its 20 sub-agents, not 501 boxes.
  await expect(nodes).toHaveCount(21);
  await page.getByRole("button", { name: "Show 24 derived capabilities" }).first().click();
  await expect(nodes).toHaveCount(45);
  await expect(page.getByRole("button", { name: "Fit View" })).toBeVisible();
});
