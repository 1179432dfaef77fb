import { expect, test } from "./fixtures";

// Static assets come from the top-level public/ folder, without signing in.
test("public/ is served: robots.txt keeps crawlers out of the console", async ({ request }) => {
  const res = await request.get("/robots.txt", { maxRedirects: 0 });
  expect(res.status()).toBe(200);
  expect(await res.text()).toMatch(/^User-agent: \*\nDisallow: \/$/m);
});
