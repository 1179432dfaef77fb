// Builds dist/ (ESM JavaScript and .d.ts) from src/ with tsc. Runs on `npm install` in the
// repository (prepare), before `npm pack`/`npm publish` (prepack), and as `npm run build`.
import { spawnSync } from "node:child_process";
import { chmodSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync(path.join(root, "dist"), { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.json")], { stdio: "inherit" });
if (run.status !== 0) process.exit(run.status ?? 1);
chmodSync(path.join(root, "dist", "cli.js"), 0o755);
