import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events } from "@/db/schema";
import { startCheckpointer } from "@/lib/audit/checkpointer";
import { verifyChains } from "@/lib/audit/verify";
import type { Authority } from "@/lib/auth/authority";
import { verifyAuditLog } from "@/lib/data/api-keys-admin";
import { handleIngest } from "@/lib/ingest";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";
import { ingestRequest, makeEvent, newKey, signer, verifyKeys } from "../support/ingest-fixtures";

// The pentest's false alarm: verification read the head, the checkpoints and the rows in
// separate statements, so a batch committing in between made an intact chain look broken.
describe.each(backends)("verification while ingest appends on $name", (backend) => {
  let database: Database;
  let admin: Authority;
  let key: string;

  beforeAll(async () => {
    database = await backend.open();
    await addTenants(database.db, ["acme"]);
    admin = await signedIn(database.db, { email: "root@x.test", role: "admin", tenants: ["acme"] });
    key = await newKey(database.db, "acme");
  });
  afterAll(() => database.close());

  /** Runs `work` while two writers ingest small batches (and the checkpointer signs) non-stop. */
  async function whileIngesting<T>(work: () => Promise<T>): Promise<T> {
    let stop = false;
    const checkpointer = startCheckpointer(database.db, { signer, intervalMs: 5 });
    const writer = async () => {
      while (!stop) {
        const batch = Array.from({ length: 5 }, () => makeEvent("acme"));
        const res = await handleIngest(database.db, ingestRequest(key, { events: batch }));
        expect(res.status).toBe(200);
        await new Promise((r) => setImmediate(r));
      }
    };
    const writers = [writer(), writer()];
    try {
      return await work();
    } finally {
      stop = true;
      await Promise.all(writers);
      await checkpointer.stop();
    }
  }

  it("reports an intact chain as intact every time (verify-log)", async () => {
    const results = await whileIngesting(async () => {
      const out = [];
      for (let i = 0; i < 12; i++) {
        out.push(...(await verifyChains(database.db, { tenants: ["acme"], keys: verifyKeys })));
        await new Promise((r) => setTimeout(r, 5));
      }
      return out;
    });
    expect(results.filter((r) => !r.ok).map((r) => r.problems)).toEqual([]);
    expect(results.at(-1)?.rows).toBeGreaterThan(results[0]?.rows ?? 0);
  });

  it("the Admin page's check says intact and records no false alarm", async () => {
    const checks = await whileIngesting(async () => {
      const out = [];
      for (let i = 0; i < 8; i++) {
        out.push(...(await verifyAuditLog(database.db, admin, { input: {}, keys: verifyKeys })));
        await new Promise((r) => setTimeout(r, 5));
      }
      return out;
    });
    expect(checks.filter((c) => !c.ok).map((c) => c.problems)).toEqual([]);
    const recorded = await database.db.select().from(events).where(eq(events.type, "console.audit.verified"));
    expect(recorded).toHaveLength(8);
    expect(recorded.filter((e) => (e.meta as { ok?: boolean }).ok !== true)).toEqual([]);
  });
});
