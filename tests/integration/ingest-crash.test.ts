import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, inArray } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { type Database, type DatabaseTarget, openDatabase } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { capabilities, checkpoints, events } from "@/db/schema";
import { verifyTenantChain } from "@/lib/audit/verify";
import { backends, openTempPostgres } from "../support/db";
import { addTenants } from "../support/fixtures";
import { makeEvent, newKey, verifyKeys } from "../support/ingest-fixtures";

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Starts tests/support/ingest-server.ts; resolves with its port once it listens. */
function startServer(
  database: string,
  pause: boolean,
): Promise<{ child: ChildProcess; port: number; paused: Promise<void> }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=react-server", path.join("tests", "support", "ingest-server.ts")],
    {
      env: {
        ...process.env,
        INGEST_DATABASE: database,
        INGEST_TEST_PAUSE_BEFORE_COMMIT: pause ? "1" : "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  let out = "";
  let err = "";
  let onPaused: () => void = () => {};
  const paused = new Promise<void>((r) => {
    onPaused = r;
  });
  return new Promise((resolve, reject) => {
    child.stderr?.on("data", (d) => {
      err += d;
    });
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), paused });
      if (out.includes("paused")) onPaused();
    });
    child.on("exit", (code) => reject(new Error(`ingest server exited ${code}: ${err}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGKILL");
  });
}

describe.each(backends)("a server killed in the middle of a batch, on $name", (backend) => {
  it("stores nothing of the batch, and exactly the batch after the client retries", {
    timeout: 180_000,
  }, async () => {
    // The server process needs a database it can open by itself: a PGlite folder or a URL.
    let spec: string;
    let target: DatabaseTarget;
    let pgHandle: (Database & { url: string }) | undefined;
    if (backend.name === "pglite") {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-ingest-crash-"));
      dirs.push(dir);
      spec = `pglite:${dir}`;
      target = { kind: "pglite", dataDir: dir };
    } else {
      pgHandle = await openTempPostgres();
      spec = pgHandle.url;
      target = { kind: "postgres", url: pgHandle.url };
    }
    // PGlite: one process at a time, so the test opens the folder only while no server runs.
    const withDatabase = async <T>(fn: (database: Database) => Promise<T>): Promise<T> => {
      if (pgHandle) return fn(pgHandle);
      const d = await openDatabase(target);
      try {
        return await fn(d);
      } finally {
        await d.close();
      }
    };
    const withDb = <T>(fn: (db: Database["db"]) => Promise<T>) => withDatabase((d) => fn(d.db));
    try {
      const key = await withDatabase(async (d) => {
        if (!pgHandle) await migrateDatabase(d);
        await addTenants(d.db, ["acme"]);
        return newKey(d.db, "acme");
      });
      const batch = Array.from({ length: 25 }, () => makeEvent("acme"));
      const ids = batch.map((e) => e.id as string);
      const post = (port: number) =>
        fetch(`http://127.0.0.1:${port}/api/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ events: batch }),
        });

      const first = await startServer(spec, true);
      const attempt = post(first.port).then(
        () => "answered",
        () => "connection lost",
      );
      await first.paused;
      await killed(first.child);
      expect(await attempt).toBe("connection lost");

      await withDb(async (db) => {
        expect(await db.select({ id: events.id }).from(events).where(inArray(events.id, ids))).toEqual([]);
        expect(await db.select().from(checkpoints)).toEqual([]);
        expect(await db.select().from(capabilities)).toEqual([]);
      });

      const second = await startServer(spec, false);
      const res = await post(second.port);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 25, duplicates: 0, conflicts: 0 });
      const again = await post(second.port);
      expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 25 });
      await killed(second.child);

      await withDb(async (db) => {
        const rows = await db
          .select({ id: events.id, seq: events.seq })
          .from(events)
          .where(eq(events.tenant, "acme"));
        expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
        expect(rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 25 }, (_, i) => i + 1),
        );
        expect(await verifyTenantChain(db, { tenant: "acme", keys: verifyKeys })).toMatchObject({
          ok: true,
          rows: 25,
        });
      });
    } finally {
      await pgHandle?.close();
    }
  });
});
