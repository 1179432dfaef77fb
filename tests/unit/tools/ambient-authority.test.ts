import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listModules, scanSource, scanTree } from "./ambient-scanner";

const toolsDir = path.resolve(import.meta.dirname, "../../../packages/sdk/src/tools");
// The wrapper itself needs node:crypto (HMAC, UUIDv7) and turns clock time into ISO strings;
// it is the trusted base, everything else under the SDK's tools/ is a tool and gets scanned.
const isRuntime = (file: string) => file.startsWith(path.join(toolsDir, "runtime") + path.sep);

describe("tools hold no ambient authority", () => {
  it("scans a non-trivial set of tool modules", () => {
    const files = listModules(toolsDir, isRuntime).map((f) => path.relative(toolsDir, f));
    expect(files).toEqual(
      expect.arrayContaining([
        "examples/query-table.ts",
        "examples/crm-lookup-customer.ts",
        "examples/spawn-sub-agent.ts",
        "index.ts",
      ]),
    );
  });

  it("no tool module reads env, globals, request state, the clock, randomness or the database", () => {
    expect(scanTree(toolsDir, isRuntime)).toEqual([]);
  });

  it("self-test: the scanner catches planted violations (and ignores comments)", () => {
    const planted = [
      "const key = process.env.SECRET;",
      "const g = globalThis.fetch;",
      'import { cookies } from "next/headers";',
      "const c = cookies();",
      "const s = await getServerSession();",
      "const t = Date.now();",
      "const d = new Date();",
      "const r = Math.random();",
      'import { db } from "@/db/client";',
      'import { requireRole } from "@/lib/auth/guard";',
      'import { db } from "../../db/client";',
      'import { sql } from "drizzle-orm";',
    ];
    for (const line of planted) {
      expect(scanSource("planted.ts", `export const ok = 1;\n${line}\n`), line).toHaveLength(1);
    }
    expect(
      scanSource("clean.ts", "// Date.now() is forbidden here\n/* process.env too */\nconst x = 1;\n"),
    ).toEqual([]);
  });

  it("self-test: a planted file in a scanned tree fails the scan", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tools-scan-"));
    try {
      writeFileSync(path.join(dir, "good.ts"), "export const now = (ctx: { now(): number }) => ctx.now();\n");
      expect(scanTree(dir, () => false)).toEqual([]);
      writeFileSync(path.join(dir, "bad.ts"), "export const leak = () => process.env.DATABASE_URL;\n");
      expect(scanTree(dir, () => false)).toMatchObject([{ line: 1, why: "reads process.env" }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
