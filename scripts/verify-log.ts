// `npm run verify-log [-- --tenant T ...] [--json]`: re-derives every tenant's audit hash chain in
// DATABASE_URL or the PGlite in DATA_DIR and checks it against the chain heads and the signed
// checkpoints. Exit 0 when every chain verifies, 1 on any break, 2 when it could not run.
// Public keys: the console key (DATA_DIR/console-issuer-key.json or CONSOLE_ISSUER_KEY) plus any
// CONSOLE_CHECKPOINT_KEYS='[{"kid","publicKey"}]' (e.g. keys retired since).
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { openDatabase, targetFromConfig } from "@/db/client";
import { verifyChains } from "@/lib/audit/verify";
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

let code = 0;
try {
  const cfg = loadConfig();
  const keys = publicKeys(cfg.dataDir);
  const database = await openDatabase(targetFromConfig(cfg));
  try {
    const results = await verifyChains(database.db, { tenants: values.tenant, keys });
    if (values.json) console.log(JSON.stringify(results, null, 2));
    else {
      console.log(`Verifying ${database.describe} (${keys.length} checkpoint key(s))`);
      if (results.length === 0) console.log("no audit chains yet");
      for (const r of results) {
        const cp = r.latestCheckpoint
          ? `, last checkpoint seq ${r.latestCheckpoint.seq} (${r.latestCheckpoint.kid})`
          : "";
        if (r.ok) console.log(`OK      ${r.tenant}: ${r.rows} events, head seq ${r.headSeq ?? "-"}${cp}`);
        else {
          console.log(
            `BROKEN  ${r.tenant}: first broken seq ${r.firstBrokenSeq} (verified through ${r.verifiedSeq})`,
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
