// The console's background work in a process of its own (lib/background.ts): checkpoints, event
// stream deliveries, alert rules. `npm start` runs it beside the web server when the database is
// PostgreSQL (PGlite may be opened by one process only, so there the web server runs it). Several
// may run at once, on several machines: streams and rules are leased, checkpoints idempotent.
// Run it by hand as `node --import tsx --conditions=react-server scripts/background.ts` with the
// web server's environment (DATABASE_URL, NEXTAUTH_SECRET, CONSOLE_ISSUER_KEY or DATA_DIR).
import { openDatabase, targetFromConfig } from "@/db/client";
import { checkDurability } from "@/db/durability";
import { backgroundTarget, lowerBackgroundPriority, startBackgroundWork } from "@/lib/background";
import { loadConfig } from "@/lib/config";
import { loadOrCreateConsoleKey } from "@/lib/server/issuer-key";

const cfg = loadConfig();
if (cfg.databaseUrl === undefined) {
  console.error(
    "[background] needs DATABASE_URL: with PGlite the web server runs the background work itself.",
  );
  process.exit(2);
}
// The server's durability settings are checked on a plain connection; the work's own pool then
// commits its bookkeeping asynchronously (db/client.ts asyncCommit) and its evidence durably.
const target = targetFromConfig(cfg);
const checked = await openDatabase(target);
try {
  await checkDurability(checked, { production: cfg.production });
} finally {
  await checked.close();
}
const database = await openDatabase(backgroundTarget(target));
lowerBackgroundPriority();
const work = startBackgroundWork(database.db, {
  signer: () => loadOrCreateConsoleKey({ dataDir: cfg.dataDir, env: process.env }),
  masterSecret: process.env.NEXTAUTH_SECRET || undefined,
  log: (m) => console.error(`[background] ${m}`),
});
console.error("[background] checkpoints, event streams and alert rules running");
// The rounds' timers are unref'd (they never hold a web server open): this process lives until a signal.
const alive = setInterval(() => {}, 2 ** 30);
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    // Rounds finish what they hold (a lease, a transaction), then the pool closes.
    clearInterval(alive);
    void work
      .stop()
      .then(() => database.close())
      .finally(() => process.exit(0));
  });
