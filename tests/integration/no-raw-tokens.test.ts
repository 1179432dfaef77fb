import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { listEscalations } from "@/lib/data/escalations";
import { loadDemoActivity } from "@/lib/demo/load";
import { inputDigestKey } from "@/lib/ingest/input-digest";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { backends, dumpAllTables } from "../support/db";

describe.each(backends)("after a demo run on $name", (backend) => {
  it("no raw token appears in the database or in what was logged", async () => {
    const database = await backend.open();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-tokens-"));
    const logged: string[] = [];
    const capture = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(capture),
    );
    const tokens: string[] = [];
    try {
      const consoleKey = generateConsoleKey();
      const stored = await loadDemoActivity({
        db: database.db,
        dataDir: dir,
        consoleKey,
        tenants: ["acme", "globex"],
        days: 2,
        requestsPerDay: 2,
        digestKey: inputDigestKey(consoleKey.privateKey),
        onToken: (t) => tokens.push(t),
      });
      expect(stored).toBeGreaterThan(50);
      expect(tokens.length).toBeGreaterThan(20);

      const dump = await dumpAllTables(database.db);
      expect(dump.length).toBeGreaterThan(10_000);
      const haystack = `${dump}\n${logged.join("\n")}`;
      // Whole tokens, and their signature-bearing tails (a token minus a prefix is still a secret).
      const leaked = tokens.filter((t) => haystack.includes(t) || haystack.includes(t.slice(-64)));
      expect(leaked).toEqual([]);
      // What is stored instead: the hash and the summary.
      expect(dump).toMatch(/sha256:[0-9a-f]{64}/);

      // The demo's escalations read like live ones: each with its one use attempt.
      const listed = await listEscalations(database.db, {
        userId: "00000000-0000-4000-8000-000000000001",
        email: "admin@console.test",
        name: null,
        role: "admin",
        tenants: ["acme", "globex"],
        activeTenant: null,
        sessionId: "test",
        authTime: new Date(),
      });
      expect(listed.map((e) => [e.status, e.uses.map((u) => [u.outcome, u.code])]).sort()).toEqual([
        ["expired", [["denied", "expired"]]],
        ["used", [["allowed", null]]],
      ]);
    } finally {
      for (const s of spies) s.mockRestore();
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
