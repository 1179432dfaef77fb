import AxeBuilder from "@axe-core/playwright";
import { type BrowserContext, expect, type Page } from "@playwright/test";

/** Both themes are tested: set the display cookie the console reads (no authority rides on it). */
export async function setTheme(context: BrowserContext, baseURL: string, theme: "light" | "dark") {
  await context.addCookies([{ name: "cc_theme", value: theme, url: baseURL }]);
}

/**
 * Runs axe on the page as it is now and fails with a readable list when any serious or critical
 * issue is found (rule, impact, the first offending nodes), so a failure says what to fix.
 */
export async function expectNoSeriousA11y(page: Page, label = page.url()) {
  expect(await seriousA11yIssues(page), `axe on ${label}`).toEqual([]);
}

/** The serious and critical axe findings on the page as it is now, one readable string each. */
export async function seriousA11yIssues(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = bad.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n` +
      v.nodes
        .slice(0, 3)
        .map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join("; ")}`)
        .join("\n"),
  );
  return report;
}
