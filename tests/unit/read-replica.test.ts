import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ReadSourceNote } from "@/components/read-source-note";
import { openDatabase } from "@/db/client";
import { parseLsn, ReadDb, type ReplicaRead, ReplicaRouter } from "@/db/replica";
import { loadConfig } from "@/lib/config";
import { describeReadSource } from "@/lib/format/read-source";

// The read replica's pieces that need no PostgreSQL (the real primary and replica are in
// tests/integration/read-replica.test.ts).

describe("read replica routing without a replica", () => {
  it("gives every read the primary and says nothing on the page", async () => {
    const database = await openDatabase({ kind: "pglite" });
    try {
      const router = new ReplicaRouter({ primary: database.db, maxLagSeconds: 30 });
      for (const purpose of ["events.list", "overview", "revocations.check"] as ReplicaRead[]) {
        const read = await router.read(purpose);
        expect(read.source).toEqual({ from: "primary", reason: "none" });
        expect(describeReadSource(read.source)).toBeNull();
      }
    } finally {
      await database.close();
    }
  });
});

describe("a routed handle made by another copy of db/replica.ts", () => {
  // The production server bundle held two copies of the module: `instanceof ReadDb` was false
  // for the route's handle, the handle itself was queried as a Db, and every export answered 500.
  it("still runs its reads on the database it wraps", async () => {
    const database = await openDatabase({ kind: "pglite" });
    try {
      const mine = new ReadDb({
        db: database.db,
        primary: database.db,
        source: { from: "primary", reason: "none" },
      });
      // What another copy's class builds: a different prototype, the same registry symbol.
      const state = Object.getOwnPropertySymbols(mine).map((k) => [k, (mine as never)[k]]);
      const foreign = Object.fromEntries(state) as unknown as ReadDb;
      expect(foreign).not.toBeInstanceOf(ReadDb);
      const seen = await ReadDb.run(foreign, async (db) => db);
      expect(seen).toBe(database.db);
      expect(ReadDb.executor(foreign)).toBe(database.db);
    } finally {
      await database.close();
    }
  });
});

describe("replica lag", () => {
  it("reads a WAL position as bytes", () => {
    expect(parseLsn("0/0")).toBe(0n);
    expect(parseLsn("0/16B3748")).toBe(0x16b3748n);
    expect(parseLsn("16/B374D848") - parseLsn("16/B374D000")).toBe(0x848n);
    expect(parseLsn("1/0") - parseLsn("0/FFFFFFFF")).toBe(1n);
  });

  it("describes where a page's rows came from", () => {
    expect(describeReadSource({ from: "replica", lagSeconds: 0 })).toBe("Read from the replica, up to date.");
    expect(describeReadSource({ from: "replica", lagSeconds: 0.34 })).toBe(
      "Read from the replica, 0.3 s behind.",
    );
    expect(describeReadSource({ from: "replica", lagSeconds: 42.4 })).toBe(
      "Read from the replica, 42 s behind.",
    );
    expect(
      describeReadSource({ from: "primary", reason: "lagging", lagSeconds: 45, maxLagSeconds: 30 }),
    ).toBe("Read from the primary: the replica is 45 s behind (more than 30 s).");
    expect(
      describeReadSource({ from: "primary", reason: "lagging", lagSeconds: null, maxLagSeconds: 30 }),
    ).toBe("Read from the primary: the replica's lag is unknown.");
    expect(describeReadSource({ from: "primary", reason: "unreachable" })).toBe(
      "Read from the primary: the replica did not answer.",
    );
  });

  it("renders the note as a paragraph under the heading, and nothing without a replica", () => {
    const html = (source: Parameters<typeof ReadSourceNote>[0]["source"]) =>
      renderToStaticMarkup(createElement(ReadSourceNote, { source }));
    expect(html({ from: "replica", lagSeconds: 1.25 })).toBe(
      '<p class="muted read-source" role="note" data-testid="read-source" data-from="replica">Read from the replica, 1.3 s behind.</p>',
    );
    expect(html({ from: "primary", reason: "none" })).toBe("");
  });

  it("takes DATABASE_REPLICA_MAX_LAG_SECONDS, 30 by default", () => {
    const env = (vars: Record<string, string>) => ({ NODE_ENV: "test", ...vars }) as NodeJS.ProcessEnv;
    expect(loadConfig(env({ DATABASE_REPLICA_URL: "postgres://r/db" })).replicaMaxLagSeconds).toBe(30);
    expect(loadConfig(env({ DATABASE_REPLICA_MAX_LAG_SECONDS: "2.5" })).replicaMaxLagSeconds).toBe(2.5);
    expect(() => loadConfig(env({ DATABASE_REPLICA_MAX_LAG_SECONDS: "soon" }))).toThrow(/MAX_LAG_SECONDS/);
    expect(loadConfig(env({ DATABASE_REPLICA_URL: "postgres://r/db" })).replicaUrl).toBe("postgres://r/db");
  });
});
