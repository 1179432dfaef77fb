// `npm test`: unit and integration tests (PGlite, and PostgreSQL when one is available), a
// production build, and end-to-end tests in Chromium against both backends.
//
// PostgreSQL comes from TEST_DATABASE_URL or DATABASE_URL (a server where this may create and
// drop databases named cc_test_* / cc_e2e_*), or else a throwaway cluster when initdb is on PATH.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { systemChromium } from "./chromium";
import { createScratchDatabase, obtainPostgres } from "./postgres";

const root = process.cwd();
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const cleanups: (() => void | Promise<void>)[] = [];

function say(msg: string) {
  console.log(`\n[test] ${msg}`);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const res = spawnSync(cmd, args, { stdio: "inherit", env });
  return res.status ?? 1;
}

function findChromium(): string | null {
  const system = systemChromium();
  if (system) return system;
  // Playwright's own download (npx playwright install chromium), where it works.
  const pw = spawnSync(
    process.execPath,
    ["-e", "console.log(require('playwright-core').chromium.executablePath())"],
    {
      encoding: "utf8",
    },
  );
  const own = pw.stdout?.trim();
  return own && fs.existsSync(own) ? "" : null;
}

function counts(file: string, kind: "vitest" | "playwright"): { passed: number; failed: number } {
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    if (kind === "vitest") return { passed: r.numPassedTests ?? 0, failed: r.numFailedTests ?? 0 };
    return { passed: r.stats?.expected ?? 0, failed: (r.stats?.unexpected ?? 0) + (r.stats?.flaky ?? 0) };
  } catch {
    return { passed: 0, failed: 0 };
  }
}

async function main(): Promise<number> {
  const chromium = findChromium();
  if (chromium === null) {
    console.error(
      "[test] No Chromium found for the end-to-end tests. Get one of:\n" +
        "  - Playwright's own build:  npx playwright install chromium\n" +
        "  - Debian/Ubuntu:           sudo apt-get install chromium\n" +
        "  - any Chrome/Chromium:     CHROMIUM_PATH=/path/to/chrome npm test",
    );
    return 1;
  }
  fs.rmSync(path.join(root, "test-results"), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, "test-results"), { recursive: true });

  const pgServer = await obtainPostgres();
  if (pgServer) cleanups.push(() => pgServer.stop());
  const pgUrl = pgServer?.url ?? null;
  if (pgUrl) say("PostgreSQL available: integration and end-to-end tests run on PGlite and PostgreSQL.");
  else if (process.env.REQUIRE_POSTGRES === "1") {
    console.error("[test] REQUIRE_POSTGRES=1 but no PostgreSQL could be found or started.");
    return 1;
  } else say("No PostgreSQL (no DATABASE_URL, no initdb): tests run on PGlite only.");

  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  delete env.DATABASE_URL;
  if (pgUrl) env.TEST_DATABASE_URL = pgUrl;

  say("Type check and lint (npm run check)");
  const check = process.env.SKIP_CHECK === "1" ? 0 : run("npm", ["run", "--silent", "check"], env);

  say("Unit and integration tests (vitest)");
  const vitestJson = path.join(root, "test-results", "vitest-results.json");
  const unit = run(
    bin("vitest"),
    ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`],
    env,
  );

  say("Production build (next build)");
  const build = run(
    process.execPath,
    [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"],
    env,
  );
  let e2e = 1;
  if (build === 0) {
    const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), "cc-e2e-"));
    cleanups.push(() => fs.rmSync(dataRoot, { recursive: true, force: true }));
    const e2eEnv: NodeJS.ProcessEnv = { ...env, E2E_DATA_ROOT: dataRoot, CHROMIUM_PATH: chromium || "" };
    if (pgUrl) {
      const scratch = await createScratchDatabase(pgUrl, "cc_e2e");
      cleanups.push(scratch.drop);
      e2eEnv.E2E_DATABASE_URL = scratch.url;
    }
    say("End-to-end tests (Playwright in Chromium)");
    e2e = run(bin("playwright"), ["test"], e2eEnv);
  }

  const v = counts(vitestJson, "vitest");
  const p = counts(path.join(root, "test-results", "e2e-results.json"), "playwright");
  const failed = v.failed + p.failed + (build === 0 ? 0 : 1) + (check === 0 ? 0 : 1);
  say(`vitest ${v.passed} passed, ${v.failed} failed; playwright ${p.passed} passed, ${p.failed} failed`);
  console.log(`${v.passed + p.passed} passed, ${failed} failed`);
  return check === 0 && unit === 0 && build === 0 && e2e === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error("[test]", err);
} finally {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (err) {
      console.warn("[test] cleanup:", err instanceof Error ? err.message : err);
    }
  }
}
process.exit(code);
