import { expect, type Page } from "@playwright/test";

/** The /gateway page: issue a client (credential shown once), add a tool rule. */
export class GatewayPage {
  constructor(readonly page: Page) {}

  goto() {
    return this.page.goto("/gateway");
  }

  /** Issues a client and returns the credential the page shows once. */
  async issueClient(c: { tenant: string; name: string; principal: string; agent: string; groups: string }) {
    const form = this.page.getByRole("form", { name: "Issue a gateway client" });
    await form.getByLabel("Tenant").selectOption(c.tenant);
    await form.getByLabel("Name").fill(c.name);
    await form.getByLabel("Principal").fill(c.principal);
    await form.getByLabel("Agent").fill(c.agent);
    await form.getByLabel("Groups (optional)").fill(c.groups);
    await form.getByRole("button", { name: "Issue credential" }).click();
    const shown = this.page.getByTestId("gateway-credential");
    await expect(shown).toHaveText(/^gwc_[A-Za-z0-9_-]{43}$/);
    return (await shown.textContent()) ?? "";
  }

  async addRule(r: {
    tenant: string;
    agent: string;
    tool: string;
    path: string;
    match: string;
    note: string;
  }) {
    await this.page.getByRole("button", { name: "Add a rule" }).click();
    const form = this.page.getByRole("form", { name: "Add a rule" });
    await form.getByLabel("Tenant").selectOption(r.tenant);
    await form.getByLabel("Who").selectOption("agent");
    await form.getByLabel("The agent").fill(r.agent);
    await form.getByLabel("Tool").fill(r.tool);
    await form.getByRole("button", { name: "Add an argument rule" }).click();
    await form.getByLabel("Argument 1 path").fill(r.path);
    await form.getByLabel("Argument 1 pattern").fill(r.match);
    await form.getByLabel("Note").fill(r.note);
    await form.getByRole("button", { name: "Add rule" }).click();
    await expect(form).toHaveCount(0);
  }
}
