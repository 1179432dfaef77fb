import { type AlertEvaluator, startAlertEvaluator } from "./lib/alerts/runner";
import { type Checkpointer, startCheckpointer } from "./lib/audit/checkpointer";
import { getDb } from "./lib/server/db";
import { getConsoleKey } from "./lib/server/issuer-key";
import { type Deliverer, startDeliverer } from "./lib/streams/deliverer";

// Opens the database when the server starts, so a locked PGlite folder or an unsafe PostgreSQL
// stops the server at once with its reason instead of failing the first request.
try {
  await getDb();
} catch (err) {
  console.error(`[console] cannot open the database: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

// Every console process signs checkpoints of the chain heads that moved (ingest, actions,
// sign-ins), so each committed event is covered within CHECKPOINT_BOUND_MS (docs/ingest.md).
// Held on globalThis so a dev-mode reload does not start a second one.
const holder = globalThis as typeof globalThis & { __checkpointer?: Checkpointer };
try {
  holder.__checkpointer ??= startCheckpointer(await getDb(), { signer: getConsoleKey() });
} catch (err) {
  // The console still serves reads; the missing checkpoints are what verify-log will report.
  console.error(
    `[console] checkpoints disabled, the console key is unusable: ${err instanceof Error ? err.message : String(err)}`,
  );
}

// Every console process also delivers event streams (SIEMs, webhooks); leases on the streams'
// rows keep two processes from sending the same stream at once (docs/streams.md).
const streamsHolder = globalThis as typeof globalThis & { __deliverer?: Deliverer };
if (process.env.NEXTAUTH_SECRET) {
  streamsHolder.__deliverer ??= startDeliverer(await getDb(), { masterSecret: process.env.NEXTAUTH_SECRET });
} else {
  console.error(
    "[console] event streams disabled: NEXTAUTH_SECRET is not set (stream secrets are sealed under it)",
  );
}

// And evaluates alert rules over newly committed events (leased per rule, like streams).
const alertsHolder = globalThis as typeof globalThis & { __alerts?: AlertEvaluator };
alertsHolder.__alerts ??= startAlertEvaluator(await getDb());
