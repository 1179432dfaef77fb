import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_ARGS } from "./scripts/chromium";

// scripts/test.ts prepares these: a fresh data folder per backend, a fresh PostgreSQL database,
// and the Chromium to drive. Run through `npm test` (or set them yourself for `npm run test:e2e`).
const dataRoot = path.resolve(process.env.E2E_DATA_ROOT ?? "test-results/e2e-data");
const postgresUrl = process.env.E2E_DATABASE_URL;
const executablePath = process.env.CHROMIUM_PATH || undefined;

// E2E_PORT_BASE moves both servers (base, base + 1) so two checkouts can run their suites at once.
const portBase = Number(process.env.E2E_PORT_BASE ?? 3100);
const backends = [
  { name: "pglite", port: portBase, databaseUrl: "" },
  ...(postgresUrl ? [{ name: "postgres", port: portBase + 1, databaseUrl: postgresUrl }] : []),
];

export default defineConfig({
  testDir: "tests/e2e",
  // Its own folder: Playwright empties it at start, and test-results/ also holds vitest's report.
  outputDir: "test-results/e2e",
  // The backends run side by side, one worker each: a project's tests run one after another
  // against its own server (they share its data), while the other backend's run at the same time.
  fullyParallel: false,
  workers: backends.length,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  // A guard against hangs, not a measure of speed: two backends share two cores.
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/e2e-results.json" }]],
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath,
      args: CHROMIUM_ARGS,
    },
  },
  projects: backends.map((b) => ({
    name: b.name,
    workers: 1,
    use: { ...devices["Desktop Chrome"], baseURL: `http://localhost:${b.port}` },
    // markup: this project also runs the tests of markup alone (tests/e2e/fixtures.ts markupOnly).
    // markupOther: the markup tests sent to the other server when there are two (markupOnly).
    metadata: {
      dataDir: path.join(dataRoot, b.name),
      markup: b.name === backends.at(-1)?.name,
      markupOther: b.name === backends[0]?.name,
    },
  })),
  webServer: backends.map((b) => ({
    command: "node --import tsx --conditions=react-server scripts/start.ts --no-build",
    url: `http://localhost:${b.port}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      PORT: String(b.port),
      DATA_DIR: path.join(dataRoot, b.name),
      DATABASE_URL: b.databaseUrl,
      NEXTAUTH_SECRET: "",
      // A smaller demo keeps server start-up in seconds; the full week is for people.
      DEMO_SCALE: "small",
      NEXTAUTH_URL: `http://localhost:${b.port}`,
    },
  })),
});
