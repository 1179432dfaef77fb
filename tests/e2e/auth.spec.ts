import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { AdminPage } from "./pages/admin-page";
import { LoginPage } from "./pages/login-page";

// Signing in, out and where it lands is what this file tests: every sign-in goes through the form.
test.use({ freshSignIn: true });

const NAV = {
  viewer: ["Overview", "Events", "Requests", "Principals", "Audit log", "Verify evidence"],
  investigator: [
    "Overview",
    "Events",
    "Requests",
    "Principals",
    "Sessions",
    "Escalations",
    "Revocations",
    "Gateway",
    "Alerts",
    "Cases",
    "Audit log",
    "Verify evidence",
  ],
  admin: [
    "Overview",
    "Events",
    "Requests",
    "Principals",
    "Sessions",
    "Escalations",
    "Revocations",
    "Gateway",
    "Alerts",
    "Cases",
    "Streams",
    "Audit log",
    "Verify evidence",
    "Admin",
  ],
} as const;

test("an anonymous visitor is sent to sign in, and a wrong password is refused", async ({ page, users }) => {
  await page.goto("/events");
  await expect(page).toHaveURL(/\/login/);
  const login = new LoginPage(page);
  await login.signIn(users.viewer.email, "not-the-password");
  await expect(login.error()).toHaveText("Invalid email or password.");
  await expect(page).toHaveURL(/\/login/);
});

for (const role of ["viewer", "investigator", "admin"] as const) {
  test(`the ${role} signs in and sees the shell for their role`, async ({ signIn, users }) => {
    const { page } = await signIn(users[role]);
    await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
    await expect(page.getByTestId("current-user")).toContainText(role);
    const links = page.getByRole("navigation", { name: "Main" }).getByRole("link");
    await expect(links).toHaveText([...NAV[role]]);
    const tenantOptions = await page.getByLabel("Tenant").locator("option").allTextContents();
    expect(tenantOptions.filter((t) => t !== "All my tenants").sort()).toEqual(
      [...users[role].tenants].sort(),
    );
  });
}

test("a viewer typing an admin URL gets a 403 from the server", async ({ signIn, users }) => {
  const { page } = await signIn(users.viewer);
  const res = await page.goto("/admin");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(page.getByText("Console users in your tenants")).toHaveCount(0);
});

/** Captures the id and the encoded arguments of the server action the admin's click invokes. */
async function captureAction(page: Page, click: () => Promise<void>) {
  const req = page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  await click();
  const r = await req;
  return { id: r.headers()["next-action"] ?? "", body: r.postData() ?? "" };
}

/** Disables then re-enables `email` through the Admin page, returning the disable request. */
async function learnDisableRequest(page: Page, email: string) {
  const adminPage = new AdminPage(page);
  await adminPage.goto();
  await adminPage.row(email).getByRole("button", { name: "Disable" }).click();
  const disable = await captureAction(page, () =>
    page
      .getByRole("dialog", { name: `Disable ${email}?` })
      .getByRole("button", { name: "Disable" })
      .click(),
  );
  await expect(adminPage.row(email)).toContainText("disabled");
  await adminPage.setDisabled(email, false);
  expect(disable.id).not.toBe("");
  expect(disable.body).toContain('"disabled":true');
  return disable;
}

test("a viewer posting to an admin server action directly is denied by the server", async ({
  signIn,
  users,
  baseURL,
}) => {
  const admin = await signIn(users.admin);
  const adminPage = new AdminPage(admin.page);
  // The admin disables the investigator through the UI: we learn that exact request, then undo it.
  const disable = await learnDisableRequest(admin.page, users.investigator.email);

  // The viewer replays the very same request with their own session.
  const viewer = await signIn(users.viewer);
  const res = await viewer.page.request.post("/admin", {
    headers: {
      "Next-Action": disable.id,
      "Content-Type": "text/plain;charset=UTF-8",
      Accept: "text/x-component",
      Origin: baseURL ?? "",
    },
    data: disable.body,
  });
  expect(await res.text()).toContain("You are not allowed to do that.");
  // Nothing changed: the investigator is still active and can sign in.
  await admin.page.reload();
  await expect(adminPage.row(users.investigator.email)).toContainText("active");
  const inv = await signIn(users.investigator);
  await expect(inv.page.getByTestId("current-user")).toContainText("investigator");
});

test("after sign-out the old session cookie is rejected", async ({ signIn, users, browser, baseURL }) => {
  const { context, page } = await signIn(users.investigator);
  const cookies = await context.cookies();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);

  const replay = await browser.newContext({ baseURL });
  await replay.addCookies(cookies);
  const again = await replay.newPage();
  await again.goto("/");
  await expect(again).toHaveURL(/\/login/);
  await replay.close();
});

test("an admin creates a user (bad input first), and disabling them throws them out on their next request", async ({
  signIn,
  users,
}) => {
  const admin = await signIn(users.admin);
  const adminPage = new AdminPage(admin.page);
  await adminPage.goto();
  const email = `analyst-${Date.now()}@console.demo`;

  await adminPage.createUser({ email, role: "investigator", password: "short", tenants: ["acme"] });
  await expect(admin.page.getByText("Password must be at least 12 characters.")).toBeVisible();
  await expect(adminPage.row(email)).toHaveCount(0);
  // The refused form keeps what was typed, except the password.
  await expect(admin.page.getByRole("form", { name: "Add a console user" }).getByLabel("Email")).toHaveValue(
    email,
  );
  await expect(admin.page.getByLabel("acme", { exact: true })).toBeChecked();
  await expect(admin.page.getByRole("form", { name: "Add a console user" }).getByLabel("Role")).toHaveValue(
    "investigator",
  );

  const password = "a perfectly fine passphrase";
  await admin.page.getByLabel(/^Password/).fill(password);
  await admin.page.getByRole("button", { name: "Add user" }).click();
  await expect(admin.page.getByRole("status").filter({ hasText: `Added ${email}.` })).toBeVisible();
  await expect(adminPage.row(email)).toContainText("investigator");

  const newcomer = await signIn({ email, password });
  await expect(newcomer.page.getByTestId("current-user")).toContainText("investigator");

  // Role changes ask first: cancelling leaves the role alone; confirming applies on their next page.
  await adminPage.setRole(email, "admin", { confirm: false });
  await adminPage.setRole(email, "viewer");
  await expect(admin.page.getByRole("status").filter({ hasText: `${email} is now viewer.` })).toBeVisible();
  await newcomer.page.reload();
  await expect(newcomer.page.getByTestId("current-user")).toContainText("viewer");

  await adminPage.setDisabled(email, true);
  await newcomer.page.reload();
  await expect(newcomer.page).toHaveURL(/\/login/);
  // And they cannot sign back in.
  const login = new LoginPage(newcomer.page);
  await login.signIn(email, password);
  await expect(login.error()).toHaveText("Invalid email or password.");
});

test("the theme switch changes the page to dark and keeps it across reloads", async ({ signIn, users }) => {
  const { page } = await signIn(users.viewer);
  await page.getByLabel("Theme").selectOption("dark");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
});

test("a server action posted with no Origin, or a foreign one, is refused", async ({
  signIn,
  users,
  baseURL,
}) => {
  const admin = await signIn(users.admin);
  const adminPage = new AdminPage(admin.page);
  const disable = await learnDisableRequest(admin.page, users.viewer.email);
  const post = (origin?: string) =>
    admin.page.request.post("/admin", {
      headers: {
        "Next-Action": disable.id,
        "Content-Type": "text/plain;charset=UTF-8",
        Accept: "text/x-component",
        ...(origin ? { Origin: origin } : {}),
      },
      data: disable.body,
    });
  // Even the admin's own session cannot drive the action from outside its pages.
  expect((await post()).status()).toBe(403);
  expect((await post("http://evil.example")).status()).toBe(403);
  await admin.page.reload();
  await expect(adminPage.row(users.viewer.email)).toContainText("active");
  expect(baseURL).toBeTruthy();
});

test("the sign-in form posts without JavaScript and keeps the password out of the URL", async ({
  browser,
  baseURL,
  users,
}) => {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const seen: string[] = [];
    page.on("request", (r) => seen.push(`${r.method()} ${r.url()}`));
    await page.goto("/login?callbackUrl=/events");
    await expect(page.locator("form")).toHaveAttribute("method", "post");
    await page.getByLabel("Email").fill(users.viewer.email);
    await page.getByLabel("Password").fill(users.viewer.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(/\/events/);
    expect(seen.some((s) => s.startsWith("POST") && s.includes("/api/auth/callback/credentials"))).toBe(true);
    const password = encodeURIComponent(users.viewer.password);
    expect(seen.filter((s) => s.includes(password) || s.includes("password="))).toEqual([]);
    expect(page.url()).not.toContain("password");
  } finally {
    await context.close();
  }
});

test("pages render and run under the Content-Security-Policy with no violation", async ({
  signIn,
  users,
}) => {
  const { page } = await signIn(users.admin);
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`Refused to load (CSP): ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  for (const path of ["/", "/events", "/admin", "/escalations"]) {
    const res = await page.goto(path);
    const csp = res?.headers()["content-security-policy"] ?? "";
    expect(csp).toMatch(/script-src [^;]*'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("frame-ancestors 'none'");
    await expect(page.getByTestId("current-user")).toContainText(users.admin.email);
  }
  // The app's scripts ran (a blocked script would leave the page unhydrated).
  expect(await page.evaluate(() => typeof (window as { next?: unknown }).next)).toBe("object");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" }).click();
  await expect(page).toHaveURL(/\/events/);
  expect(violations).toEqual([]);
});
