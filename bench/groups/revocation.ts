import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../../db/client";
import { migrateDatabase } from "../../db/migrate";
import { issuers, revocations, tenants } from "../../db/schema";
import { handleKeys, handleRevocations } from "../../lib/api/verifier-routes";
import { generateIssuerKey, mintCapability, systemClock } from "../../lib/capability";
import { insertApiKey } from "../../lib/data/api-keys";
import { nextFeedCursor } from "../../lib/data/verifier-feed";
import { createPlatformVerifier } from "../../lib/sdk/platform";
import { routeFetch } from "../../tests/support/route-fetch";
import { type BenchGroup, type BenchResult, percentile } from "../harness";

const GROUP = "revocation";
const ROUNDS = 20;

/**
 * How long a revocation recorded in the console takes to reach an SDK verifier with the default
 * settings (the simulator's): the follower polls GET /api/v1/revocations every second. Measured
 * from the revocation's commit to the first verify() that denies a token narrowed from the
 * revoked capability, over the real route handler and database, in one process (network time
 * is not in it). The stated bound is the follower's maxDelayMs (interval + request timeout).
 */
async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cc-bench-revocation-"));
  const database = await openDatabase({ kind: "pglite", dataDir: dir });
  try {
    await migrateDatabase(database);
    await database.db.insert(tenants).values({ id: "acme", name: "Acme" }).onConflictDoNothing();
    const platform = await generateIssuerKey("bench-revocation-2026-11");
    await database.db
      .insert(issuers)
      .values({ kid: platform.kid, tenant: "acme", publicKey: platform.publicKey });
    const { key } = await insertApiKey(database.db, { tenant: "acme", source: "bench", createdBy: "bench" });
    const fetchVia = routeFetch([
      ["/api/v1/keys", (req) => handleKeys(database.db, req)],
      ["/api/v1/revocations", (req) => handleRevocations(database.db, req)],
    ]);
    const verifier = await createPlatformVerifier({
      baseUrl: "http://console.bench",
      apiKey: key,
      fetch: fetchVia,
      clock: systemClock,
    });
    const delays: number[] = [];
    try {
      for (let i = 0; i < ROUNDS; i++) {
        const root = await mintCapability({
          issuer: platform,
          tenant: "acme",
          principal: "alice@acme.example",
          agent: "alice-assistant",
          session: `sess_${i}`,
          request: `req_${i}`,
          rights: [{ resource: "Order", actions: ["read", "write"] }],
          ttlMs: 600_000,
          clock: systemClock,
        });
        const child = root.narrowTo({ resource: "Order", action: "write" }).narrowTo({ id: `o_${i}` });
        if (!verifier.verify(child.token).ok) throw new Error("not valid before the revocation");
        // Revocations land at random points of the poll cycle, as they do in life.
        await new Promise((r) => setTimeout(r, Math.random() * 1000));
        await database.db.insert(revocations).values({
          tenant: "acme",
          cursor: nextFeedCursor("acme"),
          kind: "capability",
          target: root.id,
          reason: "bench",
          actor: "bench",
          revokedIds: [root.id],
        });
        const t0 = performance.now();
        while (verifier.verify(child.token).ok) {
          if (performance.now() - t0 > 30_000) throw new Error("revocation never reached the verifier");
          await new Promise((r) => setTimeout(r, 5));
        }
        delays.push(performance.now() - t0);
      }
    } finally {
      verifier.close();
    }
    const stated = verifier.follower.maxDelayMs;
    const max = Math.max(...delays);
    process.stderr.write(
      `  revocation reached the SDK verifier in p50 ${percentile(delays, 50).toFixed(0)} ms, max ${max.toFixed(0)} ms over ${ROUNDS} (stated ${stated} ms)\n`,
    );
    return [
      {
        group: GROUP,
        name: `revocation to SDK verifier (default 1 s poll), p50 of ${ROUNDS}`,
        value: Number(percentile(delays, 50).toFixed(0)),
        unit: "ms",
        baseline: stated,
        ratio: Number((percentile(delays, 50) / stated).toFixed(2)),
        target: null,
        pass: true,
      },
      {
        group: GROUP,
        name: `revocation to SDK verifier (default 1 s poll), max of ${ROUNDS} vs stated delay`,
        value: Number(max.toFixed(0)),
        unit: "ms",
        baseline: stated,
        ratio: Number((max / stated).toFixed(2)),
        target: "<= 1.0",
        pass: max <= stated,
      },
    ];
  } finally {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const group: BenchGroup = {
  name: GROUP,
  description: "how long a console revocation takes to reach an SDK verifier",
  run,
};
export default group;
