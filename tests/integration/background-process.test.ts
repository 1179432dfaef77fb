import { execFile, spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "@/db/client";
import { checkDurability, durableCommit } from "@/db/durability";
import { chainHeads, streams } from "@/db/schema";
import { appendEvents } from "@/lib/audit/append";
import type { ChainedContent } from "@/lib/audit/chain";
import { backgroundTarget } from "@/lib/background";
import { createStream, createStreamSchema } from "@/lib/data/streams";
import { uuidv7 } from "@/lib/ids";
import { generateConsoleKey } from "@/lib/server/issuer-key";
import { hasPostgres, openTempPostgres } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { startReceiver } from "../support/stream-receiver";

// With PostgreSQL, `npm start` runs the background work (checkpoints, streams, alert rules) in
// scripts/background.ts beside the web server (lib/background.ts). That process, as started:
// it delivers a stream and signs checkpoints on its own, runs at a lower CPU priority, and stops
// cleanly on SIGTERM; without DATABASE_URL it refuses (PGlite belongs to the web server).

const SECRET = "test-master-secret-0123456789abcdef";
const script = path.join("scripts", "background.ts");
const args = ["--import", "tsx", "--conditions=react-server", script];

describe("scripts/background.ts", () => {
  it("refuses to run without DATABASE_URL", { timeout: 60_000 }, async () => {
    const out = await promisify(execFile)(process.execPath, args, {
      env: { ...process.env, DATABASE_URL: "", DATA_DIR: os.tmpdir() },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/needs DATABASE_URL/);
  });
});

describe.runIf(hasPostgres)("scripts/background.ts on PostgreSQL", () => {
  let database: Database & { url: string };
  beforeAll(async () => {
    database = await openTempPostgres();
    await addTenants(database.db, ["acme"]);
  });
  afterAll(async () => database?.close());

  it("delivers a stream and signs checkpoints at nice 10, then stops on SIGTERM", {
    timeout: 90_000,
  }, async () => {
    const admin = await signedIn(database.db, {
      email: "admin@acme.example",
      role: "admin",
      tenants: ["acme"],
    });
    const rx = await startReceiver();
    try {
      const stream = await createStream(
        database.db,
        admin,
        createStreamSchema.parse({
          tenant: "acme",
          name: "to the SIEM",
          kind: "jsonl",
          format: "event_v1",
          url: rx.url,
          allowPrivate: true,
          filter: "type:tool.call",
        }),
        { masterSecret: SECRET },
      );
      const t0 = Date.now();
      const rows: ChainedContent[] = Array.from({ length: 25 }, (_, i) => ({
        id: uuidv7(t0 + i),
        ts: new Date(t0 + i),
        tenant: "acme",
        type: "tool.call",
        principal: "alice@acme.example",
        tool: "crm.lookup_customer",
        outcome: "allowed",
        meta: {},
      }));
      await database.db.transaction((tx) => appendEvents(tx, rows));

      const child = spawn(process.execPath, args, {
        stdio: ["ignore", "ignore", "pipe"],
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          NEXTAUTH_SECRET: SECRET,
          CONSOLE_ISSUER_KEY: JSON.stringify(generateConsoleKey()),
          NODE_ENV: "test",
        },
      });
      let stderr = "";
      child.stderr?.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      try {
        const deadline = Date.now() + 60_000;
        const lines = () => rx.accepted.flatMap((r) => r.body.trim().split("\n")).filter(Boolean);
        while (Date.now() < deadline && lines().length < rows.length)
          await new Promise((r) => setTimeout(r, 200));
        expect(lines().map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(rows.map((r) => r.id));
        expect(os.getPriority(child.pid)).toBe(10);
        // Its connections are named for operators (pg_stat_activity).
        const named = (await database.db.execute(
          sql`select count(*)::int as n from pg_stat_activity where application_name = 'capability-console background'`,
        )) as unknown as { rows: { n: number }[] };
        expect(named.rows[0]?.n).toBeGreaterThan(0);
        // The cursor moves (to the chain head: console events precede the calls) once the receiver answered.
        const [head] = await database.db.select().from(chainHeads).where(eq(chainHeads.tenant, "acme"));
        const headSeq = head?.seq ?? -1;
        expect(headSeq).toBeGreaterThanOrEqual(25);
        let cursor = 0;
        while (Date.now() < deadline && cursor !== headSeq) {
          const [row] = await database.db.select().from(streams).where(eq(streams.id, stream.id));
          cursor = row?.cursor ?? 0;
          if (cursor !== headSeq) await new Promise((r) => setTimeout(r, 100));
        }
        expect(cursor).toBe(headSeq);
        // Its checkpointer covered the head too.
        let covered: number | null = null;
        while (Date.now() < deadline && covered !== headSeq) {
          const res = (await database.db.execute(
            sql`select max(seq)::int as seq from checkpoints where tenant = 'acme'`,
          )) as unknown as { rows: { seq: number | null }[] };
          covered = res.rows[0]?.seq ?? null;
          if (covered !== headSeq) await new Promise((r) => setTimeout(r, 200));
        }
        expect(covered).toBe(headSeq);
      } finally {
        child.kill("SIGTERM");
      }
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/running/);
    } finally {
      await rx.close();
    }
  });
});

describe.runIf(hasPostgres)("the background process's connections on PostgreSQL", () => {
  let database: Database & { url: string };
  let background: Database;
  beforeAll(async () => {
    database = await openTempPostgres();
    background = await openDatabase(backgroundTarget({ kind: "postgres", url: database.url, poolSize: 2 }));
  });
  afterAll(async () => {
    await background?.close();
    await database?.close();
  });

  const setting = async (db: Database["db"]) =>
    (
      (await db.execute(sql`show synchronous_commit`)) as unknown as {
        rows: { synchronous_commit: string }[];
      }
    ).rows[0]?.synchronous_commit;

  it("commit bookkeeping without waiting for the WAL flush, and evidence durably", async () => {
    expect(await setting(database.db)).toBe("on");
    expect(await setting(background.db)).toBe("off");
    const inside = await background.db.transaction(async (tx) => {
      await durableCommit(tx);
      return setting(tx as unknown as Database["db"]);
    });
    expect(inside).toBe("on");
    // Only for that transaction.
    expect(await setting(background.db)).toBe("off");
    // The durability check reads the connection's setting: scripts/background.ts runs it on a
    // plain connection before opening this pool, since production refuses "off".
    await expect(checkDurability(background, { production: true })).rejects.toThrow(/synchronous_commit=off/);
    await expect(checkDurability(database, { production: true })).resolves.toMatchObject({
      synchronousCommit: "on",
    });
  });
});
