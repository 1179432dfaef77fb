import { expect, type Page } from "@playwright/test";

export class AdminPage {
  constructor(readonly page: Page) {}

  goto() {
    return this.page.goto("/admin");
  }

  row(email: string) {
    return this.page.getByTestId(`user-row-${email}`);
  }

  async createUser(u: { email: string; role: string; password: string; tenants: string[] }) {
    const form = this.page.getByRole("form", { name: "Add a console user" });
    await form.getByLabel("Email").fill(u.email);
    await form.getByLabel("Role").selectOption(u.role);
    await form.getByLabel(/^Password/).fill(u.password);
    for (const t of u.tenants) await form.getByLabel(t, { exact: true }).check();
    await form.getByRole("button", { name: "Add user" }).click();
  }

  async setDisabled(email: string, disabled: boolean) {
    await this.row(email)
      .getByRole("button", { name: disabled ? "Disable" : "Enable" })
      .click();
    await expect(this.row(email)).toContainText(disabled ? "disabled" : "active");
  }
}
