// `npm run archive -- verify <file> [--keys keys.json]` checks a retention archive offline: every
// row's content hash, every chain link, and both ends against checkpoints signed by the console
// (docs/retention.md). Keys: a JSON list [{"kid","publicKey"}] (GET /api/v1/keys serves them);
// without --keys, the console key in DATA_DIR / CONSOLE_ISSUER_KEY plus CONSOLE_CHECKPOINT_KEYS,
// and when there is none of those either, the archive's own keys (which proves the file is whole,
// not who signed it; the output says so).
// `npm run archive -- restore <file>` verifies it, then puts its rows back into DATABASE_URL or the
// PGlite in DATA_DIR (the tenant's latest archive first) and switches the tenant's retention off.
// Exit 0 on success, 1 when the archive does not verify or the restore is refused, 2 on usage.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { openDatabase, targetFromConfig } from "@/db/client";
import { loadConfig } from "@/lib/config";
import { verifyArchive } from "@/lib/retention/archive";
import { RestoreRefused, restoreArchive } from "@/lib/retention/restore";
import { CONSOLE_KEY_FILE, loadOrCreateConsoleKey } from "@/lib/server/issuer-key";

const USAGE = "usage: npm run archive -- verify|restore <file.ccarchive.jsonl.gz> [--keys keys.json]";

function configuredKeys(dataDir: string, file: string | undefined): Map<string, string> | undefined {
  const keys = new Map<string, string>();
  if (file) {
    const list = JSON.parse(fs.readFileSync(file, "utf8")) as { kid: string; publicKey: string }[];
    const entries = Array.isArray(list) ? list : ((list as { keys?: typeof list }).keys ?? []);
    for (const k of entries) if (k?.kid && k.publicKey) keys.set(k.kid, k.publicKey);
    if (keys.size === 0) throw new Error(`${file}: no {"kid","publicKey"} entries`);
    return keys;
  }
  if (process.env.CONSOLE_ISSUER_KEY || fs.existsSync(path.join(dataDir, CONSOLE_KEY_FILE))) {
    const k = loadOrCreateConsoleKey({ dataDir, env: process.env });
    keys.set(k.kid, k.publicKey);
  }
  if (process.env.CONSOLE_CHECKPOINT_KEYS)
    for (const k of JSON.parse(process.env.CONSOLE_CHECKPOINT_KEYS) as { kid: string; publicKey: string }[])
      keys.set(k.kid, k.publicKey);
  return keys.size > 0 ? keys : undefined;
}

let code = 0;
try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { keys: { type: "string" }, json: { type: "boolean", default: false } },
  });
  const [command, file] = positionals;
  if ((command !== "verify" && command !== "restore") || !file || positionals.length !== 2) {
    console.error(USAGE);
    process.exit(2);
  }
  if (!fs.existsSync(file)) {
    console.error(`archive: no such file: ${file}`);
    process.exit(2);
  }
  const cfg = loadConfig();
  const keys = configuredKeys(cfg.dataDir, values.keys);
  const check = await verifyArchive(file, keys);
  const h = check.header;
  if (values.json)
    console.log(
      JSON.stringify(
        {
          ...check,
          header: h
            ? { ...h, start: { ...h.start, edge: undefined }, end: { ...h.end, edge: undefined } }
            : null,
        },
        null,
        2,
      ),
    );
  else if (check.ok && h)
    console.log(
      `OK      ${h.tenant}: seq ${h.start.seq + 1}..${h.end.seq} (${check.rows} events received before ${h.before}), chain and Merkle tree verified from ${h.start.seq === 0 ? "genesis" : `the signed checkpoint at seq ${h.start.seq}`} to the signed checkpoint at seq ${h.end.seq}${check.selfKeyed ? "\n        WARNING: checked with the archive's own keys (no --keys, no console key here): this shows the file is whole, not that your console signed it" : ""}`,
    );
  else {
    console.log(`BROKEN  ${file}`);
    for (const p of check.problems) console.log(`        ${p}`);
  }
  if (!check.ok) code = 1;
  else if (command === "restore") {
    if (check.selfKeyed)
      throw new RestoreRefused("restore needs the console's keys (DATA_DIR, CONSOLE_ISSUER_KEY or --keys)");
    const database = await openDatabase(targetFromConfig(cfg));
    try {
      const r = await restoreArchive(database.db, { file, keys: keys as Map<string, string> });
      console.log(
        `RESTORED ${r.tenant}: seq ${r.fromSeq}..${r.toSeq} (${r.events} events) into ${database.describe}; ${r.retentionWas === null ? "retention was not set" : `retention (${r.retentionWas} ${r.retentionWas === 1 ? "day" : "days"}) is now off: set it again on the Admin page when the investigation is done`}`,
      );
    } finally {
      await database.close();
    }
  }
} catch (err) {
  console.error(`archive: ${err instanceof Error ? err.message : err}`);
  code = err instanceof RestoreRefused ? 1 : 2;
}
process.exit(code);
