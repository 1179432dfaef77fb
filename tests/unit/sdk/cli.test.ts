import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../packages/sdk/src/cli";

function io() {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      stdout: (s: string) => {
        out.stdout += s;
      },
      stderr: (s: string) => {
        out.stderr += s;
      },
      readFile: async () => new Uint8Array(),
    },
  };
}

const evidenceBuilt = existsSync(
  path.resolve(import.meta.dirname, "../../../packages/sdk/src/evidence/cli.ts"),
);

describe("the capability-console command", () => {
  it("prints help with --help and exits 0; with no command, prints it to stderr and exits 2", async () => {
    const a = io();
    expect(await runCli(["--help"], a.io)).toBe(0);
    expect(a.out.stdout).toContain("verify bundle <file>");
    const b = io();
    expect(await runCli([], b.io)).toBe(2);
    expect(b.out.stderr).toContain("Usage: capability-console");
  });

  it("names an unknown command or verify target and exits 2", async () => {
    const a = io();
    expect(await runCli(["frobnicate"], a.io)).toBe(2);
    expect(a.out.stderr).toContain('unknown command "frobnicate"');
    const b = io();
    expect(await runCli(["verify", "tree"], b.io)).toBe(2);
    expect(b.out.stderr).toContain('unknown verify target "tree"');
  });

  it("prints the package version", async () => {
    const a = io();
    expect(await runCli(["version"], a.io)).toBe(0);
    expect(a.out.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.skipIf(evidenceBuilt)(
    "says verify bundle is not available when the build has no evidence module",
    async () => {
      const a = io();
      expect(await runCli(["verify", "bundle", "bundle.json"], a.io)).toBe(2);
      expect(a.out.stderr).toBe("verify bundle is not available in this build\n");
    },
  );
});
