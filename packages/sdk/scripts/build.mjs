// Builds dist/ (ESM JavaScript and .d.ts) from src/ with tsc. Runs on `npm install` in the
// repository (prepare), before `npm pack`/`npm publish` (prepack), and as `npm run build`.
//
// dist/ is read by running processes (the console, scripts, tests that start them), so a build
// never leaves it half written: tsc writes a fresh folder that then replaces dist/ at once, and
// nothing is rebuilt when dist/ already matches the sources (its .build-hash).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dist = path.join(root, "dist");
const stamp = ".build-hash";

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}

const hash = createHash("sha256");
for (const f of [
  ...files(path.join(root, "src")),
  path.join(root, "tsconfig.json"),
  path.join(root, "package.json"),
]) {
  hash.update(path.relative(root, f)).update("\0").update(readFileSync(f)).update("\0");
}
const digest = hash.digest("hex");
const current = path.join(dist, stamp);
if (!process.argv.includes("--force") && existsSync(current) && readFileSync(current, "utf8") === digest) {
  console.error("@capability-console/sdk: dist/ is up to date");
  process.exit(0);
}

const out = path.join(root, `dist.tmp-${process.pid}`);
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// Everything on stderr: `npm pack --json` prints its answer on stdout after this script.
const run = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.json"), "--outDir", out], {
  stdio: ["ignore", 2, 2],
});
if (run.status !== 0) {
  rmSync(out, { recursive: true, force: true });
  process.exit(run.status ?? 1);
}
chmodSync(path.join(out, "cli.js"), 0o755);
writeFileSync(path.join(out, stamp), digest);
const old = path.join(root, `dist.old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(out, dist);
rmSync(old, { recursive: true, force: true });
console.error("@capability-console/sdk: built dist/");
