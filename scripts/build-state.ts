// What `npm start` knows about the production build in `.next` and the consoles serving it.
//
// `next build` rewrites `.next` in place. A console already serving from the same folder then
// loads chunks that no longer exist: its pages go blank and the login form falls back to a
// plain GET. So `npm start` builds only when the build inputs changed since the last build,
// never while another console from this folder is serving, and never two builds at once.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pidAlive, tryPidLock } from "@/db/lock";

/** Folders and files whose content decides what `next build` produces. */
const INPUT_DIRS = ["app", "components", "lib", "db", "packages", "public"];
const INPUT_FILES = [
  "next.config.js",
  "tsconfig.json",
  "package.json",
  "package-lock.json",
  "proxy.ts",
  "instrumentation.ts",
  "instrumentation-node.ts",
];
const SKIP_DIRS = new Set(["node_modules", ".next", "dist", ".git"]);
const FINGERPRINT_FILE = "cc-build-fingerprint";
const RUN_DIR = ".console-run";

function walk(dir: string, out: string[]) {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (SKIP_DIRS.has(e.name)) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.isFile()) out.push(full);
  }
}

/**
 * A sha256 over every build input's path and content, and the NEXT_PUBLIC_* variables (Next
 * inlines those into the client bundle at build time).
 */
export function buildFingerprint(
  root: string,
  env: Record<string, string | undefined> = process.env,
): string {
  const files: string[] = [];
  for (const d of INPUT_DIRS) walk(path.join(root, d), files);
  for (const f of INPUT_FILES) if (fs.existsSync(path.join(root, f))) files.push(path.join(root, f));
  files.sort();
  const h = createHash("sha256");
  for (const f of files) {
    h.update(path.relative(root, f));
    h.update("\0");
    h.update(fs.readFileSync(f));
    h.update("\0");
  }
  for (const k of Object.keys(env).sort()) if (k.startsWith("NEXT_PUBLIC_")) h.update(`${k}=${env[k]}\0`);
  return h.digest("hex");
}

/** The fingerprint the build in `.next` was made from, or null when there is no usable build. */
export function builtFingerprint(root: string): string | null {
  const dist = path.join(root, ".next");
  if (!fs.existsSync(path.join(dist, "BUILD_ID"))) return null;
  try {
    return fs.readFileSync(path.join(dist, FINGERPRINT_FILE), "utf8").trim();
  } catch {
    return null;
  }
}

export function recordBuild(root: string, fingerprint: string) {
  fs.writeFileSync(path.join(root, ".next", FINGERPRINT_FILE), `${fingerprint}\n`);
}

export interface Instance {
  pid: number;
  port: number;
  startedAt: string;
}

function runDir(root: string) {
  const dir = path.join(root, RUN_DIR);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Consoles serving this folder's build now; records of processes that died are removed. */
export function liveInstances(root: string): Instance[] {
  const dir = path.join(root, RUN_DIR);
  if (!fs.existsSync(dir)) return [];
  const live: Instance[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith("serving-")) continue;
    const file = path.join(dir, name);
    try {
      const inst = JSON.parse(fs.readFileSync(file, "utf8")) as Instance;
      if (pidAlive(inst.pid)) live.push(inst);
      else fs.rmSync(file, { force: true });
    } catch {
      fs.rmSync(file, { force: true });
    }
  }
  return live;
}

/** Records this process as serving the build; the returned function removes the record. */
export function registerInstance(root: string, inst: Instance): () => void {
  const file = path.join(runDir(root), `serving-${inst.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(inst));
  return () => fs.rmSync(file, { force: true });
}

/**
 * An exclusive lock on building in this folder (db/lock.ts's PID lock file): null when another
 * live process holds it. A lock left by a process that died is taken over.
 */
export function acquireBuildLock(root: string): { release(): void } | null {
  const lock = tryPidLock(path.join(runDir(root), "build.lock"));
  return lock.ok ? { release: lock.release } : null;
}

export type BuildDecision =
  | { kind: "up-to-date" }
  | { kind: "build"; fingerprint: string; reason: "no build" | "sources changed" }
  | { kind: "refuse"; message: string };

/** Whether `npm start` may use the build as it is, must build, or must stop. */
export function decideBuild(
  root: string,
  env: Record<string, string | undefined> = process.env,
): BuildDecision {
  const fingerprint = buildFingerprint(root, env);
  const built = builtFingerprint(root);
  if (built === fingerprint) return { kind: "up-to-date" };
  const running = liveInstances(root);
  if (running.length > 0) {
    const list = running.map((r) => `pid ${r.pid} on port ${r.port}`).join(", ");
    return {
      kind: "refuse",
      message:
        `the sources changed since the build that a console from this folder is serving (${list}). ` +
        "Building now would replace the files it serves and blank its pages. Stop it first, " +
        "or serve the existing build with `npm start -- --no-build`, or run the new version " +
        "from another checkout.",
    };
  }
  return { kind: "build", fingerprint, reason: built === null ? "no build" : "sources changed" };
}
