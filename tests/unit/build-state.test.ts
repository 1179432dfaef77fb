import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  acquireBuildLock,
  buildFingerprint,
  decideBuild,
  liveInstances,
  recordBuild,
  registerInstance,
} from "../../scripts/build-state";

let root: string;
const children: ChildProcess[] = [];

/** A real process that stays alive, standing in for a console serving this folder. */
function liveProcess(): number {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  children.push(child);
  return child.pid as number;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.on("exit", r));
  return child.pid as number;
}

function fakeBuild() {
  fs.mkdirSync(path.join(root, ".next"), { recursive: true });
  fs.writeFileSync(path.join(root, ".next", "BUILD_ID"), "x");
  recordBuild(root, buildFingerprint(root, {}));
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "cc-build-state-"));
  fs.mkdirSync(path.join(root, "app"));
  fs.writeFileSync(path.join(root, "app", "page.tsx"), "export default function P() { return null }\n");
  fs.writeFileSync(path.join(root, "package.json"), "{}\n");
});

afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  fs.rmSync(root, { recursive: true, force: true });
});

describe("npm start's build decision", () => {
  it("builds when there is no build, and not again while the sources are unchanged", () => {
    expect(decideBuild(root, {})).toMatchObject({ kind: "build", reason: "no build" });
    fakeBuild();
    expect(decideBuild(root, {})).toEqual({ kind: "up-to-date" });
  });

  it("rebuilds when a source file, a dependency lock or a NEXT_PUBLIC_ variable changes", () => {
    fakeBuild();
    fs.writeFileSync(path.join(root, "app", "page.tsx"), "export default function P() { return 1 }\n");
    expect(decideBuild(root, {})).toMatchObject({ kind: "build", reason: "sources changed" });
    fakeBuild();
    fs.writeFileSync(path.join(root, "package-lock.json"), "{}");
    expect(decideBuild(root, {}).kind).toBe("build");
    fakeBuild();
    expect(decideBuild(root, { NEXT_PUBLIC_X: "1" }).kind).toBe("build");
    // Files outside the build inputs (data, test output) do not count.
    fakeBuild();
    fs.mkdirSync(path.join(root, "data"));
    fs.writeFileSync(path.join(root, "data", "pglite"), "rows");
    expect(decideBuild(root, {}).kind).toBe("up-to-date");
  });

  it("refuses to rebuild under a console from the same folder, naming it", () => {
    fakeBuild();
    const pid = liveProcess();
    registerInstance(root, { pid, port: 3001, startedAt: new Date().toISOString() });
    fs.writeFileSync(path.join(root, "app", "page.tsx"), "changed");
    const d = decideBuild(root, {});
    expect(d.kind).toBe("refuse");
    expect(d.kind === "refuse" && d.message).toContain(`pid ${pid} on port 3001`);
  });

  it("serves alongside a running console when the build is current", () => {
    fakeBuild();
    registerInstance(root, { pid: liveProcess(), port: 3001, startedAt: "" });
    expect(decideBuild(root, {}).kind).toBe("up-to-date");
  });

  it("forgets consoles that have exited", async () => {
    fakeBuild();
    const unregister = registerInstance(root, { pid: await deadPid(), port: 3001, startedAt: "" });
    fs.writeFileSync(path.join(root, "app", "page.tsx"), "changed");
    expect(decideBuild(root, {}).kind).toBe("build");
    expect(liveInstances(root)).toEqual([]);
    unregister();
  });
});

describe("the build lock", () => {
  /** A lock file as another process leaves it (db/lock.ts's format). */
  const lockedBy = (pid: number) => {
    fs.mkdirSync(path.join(root, ".console-run"), { recursive: true });
    fs.writeFileSync(path.join(root, ".console-run", "build.lock"), JSON.stringify({ pid }));
  };

  it("lets one builder in at a time and takes over a lock whose holder died", async () => {
    lockedBy(liveProcess());
    expect(acquireBuildLock(root)).toBeNull();
    lockedBy(await deadPid());
    // Its holder is dead, so the next builder takes it...
    const first = acquireBuildLock(root);
    expect(first).not.toBeNull();
    // ...and holds it alone until it lets go.
    expect(acquireBuildLock(root)).toBeNull();
    first?.release();
    const second = acquireBuildLock(root);
    expect(second).not.toBeNull();
    second?.release();
  });
});
