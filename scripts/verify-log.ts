// `npm run verify-log [-- --tenant T ...] [--json]`: re-derives every tenant's audit hash chain in
// DATABASE_URL or the PGlite in DATA_DIR and checks it against the chain heads and the signed
// checkpoints, all from one snapshot (a console ingesting meanwhile cannot make it look broken).
// Each line says up to which signed checkpoint the chain verified, and how many newer events no
// checkpoint covers yet. The same pass re-derives each tenant's Merkle tree and checks every stored
// node and signed tree checkpoint, naming the first broken leaf (tenant, seq, event id). Exit 0 when every chain verifies, 1 on any break, 2 when it could not run.
// Public keys: the console key (DATA_DIR/console-issuer-key.json or CONSOLE_ISSUER_KEY) plus any
// CONSOLE_CHECKPOINT_KEYS='[{"kid","publicKey"}]' (e.g. keys retired since).
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { openDatabase, targetFromConfig } from "@/db/client";
import { CHECKPOINT_BOUND_MS } from "@/lib/audit/checkpointer";
import { type TenantVerification, verifyChains } from "@/lib/audit/verify";
import { loadConfig } from "@/lib/config";
import { CONSOLE_KEY_FILE, loadOrCreateConsoleKey } from "@/lib/server/issuer-key";

const { values } = parseArgs({
  options: { tenant: { type: "string", multiple: true }, json: { type: "boolean", default: false } },
});

function publicKeys(dataDir: string): { kid: string; publicKey: string }[] {
  const keys: { kid: string; publicKey: string }[] = [];
  // Only read the key, never create one here: a fresh key would verify nothing.
  if (process.env.CONSOLE_ISSUER_KEY || fs.existsSync(path.join(dataDir, CONSOLE_KEY_FILE))) {
    const k = loadOrCreateConsoleKey({ dataDir, env: process.env });
    keys.push({ kid: k.kid, publicKey: k.publicKey });
  }
  if (process.env.CONSOLE_CHECKPOINT_KEYS) keys.push(...JSON.parse(process.env.CONSOLE_CHECKPOINT_KEYS));
  return keys;
}

/** "verified through signed checkpoint seq 118 (kid, time); 2 newer events not yet signed". */
function coverage(r: TenantVerification, now: number): string {
  const cp = r.latestCheckpoint;
  const through = cp
    ? `verified through signed checkpoint seq ${cp.seq} (${cp.kid}, ${cp.signedAt.toISOString()})`
    : "no signed checkpoint yet";
  if (r.uncovered === 0 || !r.oldestUncoveredAt) return through;
  const waited = now - r.oldestUncoveredAt.getTime();
  const late =
    waited > CHECKPOINT_BOUND_MS
      ? `, past the ${CHECKPOINT_BOUND_MS / 1000} s bound: is a console running?`
      : "";
  return `${through}; ${r.uncovered} newer event(s) not yet checkpointed (oldest ${(waited / 1000).toFixed(1)} s${late})`;
}

/** "Merkle tree: 1204 leaves, signed tree checkpoint size 1199 (kid)". */
function treeLine(r: TenantVerification): string {
  const cp = r.tree.latestCheckpoint;
  const leaves = r.anchor ? `${r.rows + r.anchor.seq} leaves (${r.rows} after the cut)` : `${r.rows} leaves`;
  return `Merkle tree of ${leaves} verified${cp ? `, latest signed tree checkpoint size ${cp.size} (${cp.kid})` : ", no signed tree checkpoint yet"}`;
}

let code = 0;
try {
  const cfg = loadConfig();
  const keys = publicKeys(cfg.dataDir);
  const database = await openDatabase(targetFromConfig(cfg));
  try {
    const results = await verifyChains(database.db, { tenants: values.tenant, keys });
    if (values.json) console.log(JSON.stringify(results, null, 2));
    else {
      console.log(`Verifying ${database.describe} from one snapshot (${keys.length} checkpoint key(s))`);
      const now = Date.now();
      if (results.length === 0) console.log("no audit chains yet");
      for (const r of results) {
        if (r.ok) {
          console.log(
            `OK      ${r.tenant}: ${r.rows} events, head seq ${r.headSeq ?? "-"}, ${coverage(r, now)}; ${treeLine(r)}`,
          );
          if (r.anchor)
            console.log(
              `        from the retention cut at seq ${r.anchor.seq} (${r.anchor.cutAt.toISOString()}): seq 1..${r.anchor.seq} are in archive ${r.anchor.archive} (${r.anchor.archiveSha256}); check it with npm run archive -- verify`,
            );
        } else {
          console.log(
            `BROKEN  ${r.tenant}: first broken seq ${r.firstBrokenSeq} (verified through ${r.verifiedSeq})`,
          );
          const leaf = r.tree.firstBrokenLeaf;
          if (leaf)
            console.log(
              `        first broken Merkle leaf: tenant ${r.tenant}, seq ${leaf.seq}, event ${leaf.eventId ?? "(no row)"}`,
            );
          for (const p of r.problems) console.log(`        seq ${p.seq}: ${p.problem}`);
        }
      }
    }
    if (results.some((r) => !r.ok)) code = 1;
  } finally {
    await database.close();
  }
} catch (err) {
  console.error(`verify-log could not run: ${err instanceof Error ? err.message : err}`);
  code = 2;
}
process.exit(code);
