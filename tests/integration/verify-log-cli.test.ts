import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { appendEvents } from "@/lib/audit/append";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import { consoleEvents } from "@/lib/audit/console-event";
import { consoleKey, signer } from "../support/ingest-fixtures";

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const record = (n: number) =>
  consoleEvents({
    actor: { email: "a@x.test", sessionId: "s1" },
    type: "console.test",
    tenants: ["acme"],
    meta: { n },
  });

describe("npm run verify-log", () => {
  it("says up to which signed checkpoint it verified and what no checkpoint covers yet", {
    timeout: 120_000,
  }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-verify-log-"));
    dirs.push(dir);
    const database = await openDatabase({ kind: "pglite", dataDir: dir });
    try {
      await migrateDatabase(database);
      for (let i = 0; i < 3; i++) await appendEvents(database.db, record(i));
      await checkpointMovedHeads(database.db, { signer });
      for (let i = 3; i < 5; i++) await appendEvents(database.db, record(i));
    } finally {
      await database.close();
    }
    const env = {
      ...process.env,
      DATA_DIR: dir,
      DATABASE_URL: "",
      CONSOLE_ISSUER_KEY: JSON.stringify(consoleKey),
    };
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "--conditions=react-server", path.join("scripts", "verify-log.ts")],
      { env },
    );
    expect(stdout).toMatch(/from one snapshot/);
    expect(stdout).toMatch(
      new RegExp(
        `OK +acme: 5 events, head seq 5, verified through signed checkpoint seq 3 \\(${consoleKey.kid}, `,
      ),
    );
    expect(stdout).toMatch(/2 newer event\(s\) not yet checkpointed \(oldest \d+\.\d s/);
  });
});
