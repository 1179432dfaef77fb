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

  /** Disabling asks first (the dialog says what it does); enabling does not. */
  async setDisabled(email: string, disabled: boolean) {
    await this.row(email)
      .getByRole("button", { name: disabled ? "Disable" : "Enable" })
      .click();
    if (disabled) {
      const dialog = this.page.getByRole("dialog", { name: `Disable ${email}?` });
      await expect(dialog).toContainText("sessions end at once");
      await dialog.getByRole("button", { name: "Disable" }).click();
    }
    await expect(this.row(email)).toContainText(disabled ? "disabled" : "active");
  }

  /** A role change asks first; `confirm: false` cancels and the role must stay as it was. */
  async setRole(email: string, role: string, { confirm = true } = {}) {
    const select = this.row(email).getByLabel(`Role of ${email}`);
    const before = await select.inputValue();
    await select.selectOption(role);
    const dialog = this.page.getByRole("dialog", { name: new RegExp(`^Make ${email} an? ${role}\\?$`) });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: confirm ? "Change role" : "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await expect(select).toHaveValue(confirm ? role : before);
  }
}
