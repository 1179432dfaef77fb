import { expect, test } from "./fixtures";

// Loading states must not cost real status codes: a refused page is a 403 and an unknown id a 404
// in the HTTP response itself (proxies, logs and scanners read the status, not the page), even on
// routes that stream with a loading.tsx. Every route refused to some role is listed here.
const REFUSED = {
  viewer: [
    "/admin",
    "/alerts",
    "/gateway",
    "/streams",
    "/sessions",
    "/escalations",
    "/revocations",
    "/cases",
  ],
  investigator: ["/admin", "/streams"],
} as const;

test("pages a role may not see answer 403 in the response, before anything streams", async ({
  signIn,
  users,
}) => {
  test.setTimeout(180_000);
  for (const role of ["viewer", "investigator"] as const) {
    const { page } = await signIn(users[role]);
    for (const path of REFUSED[role]) {
      const res = await page.goto(path);
      expect(res?.status(), `${role} GET ${path}`).toBe(403);
      await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
    }
  }
});

test("unknown ids answer 404 in the response", async ({ signIn, users }) => {
  const { page } = await signIn(users.investigator);
  for (const path of [
    "/capabilities/no-such-capability",
    "/requests/no-such-request",
    "/events/019a0000-0000-7000-8000-000000000000",
    "/cases/019a0000-0000-7000-8000-000000000000",
    "/compare?kind=request&tenant=acme&a=no-such-request&b=nor-this-one",
  ]) {
    const res = await page.goto(path);
    expect(res?.status(), `GET ${path}`).toBe(404);
  }
});
