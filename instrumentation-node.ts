import { type BackgroundWork, backgroundMode, startBackgroundWork } from "./lib/background";
import { getDb } from "./lib/server/db";
import { type ConsoleKey, getConsoleKey } from "./lib/server/issuer-key";

// Opens the database when the server starts, so a locked PGlite folder or an unsafe PostgreSQL
// stops the server at once with its reason instead of failing the first request.
try {
  await getDb();
} catch (err) {
  console.error(`[console] cannot open the database: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

// The background work (checkpoints of the chain heads that moved, so each committed event is
// covered within CHECKPOINT_BOUND_MS; event stream deliveries; alert rules) runs in this process,
// unless `npm start` runs it in a process of its own (CONSOLE_BACKGROUND=off here, PostgreSQL
// only: see lib/background.ts). Held on globalThis so a dev-mode reload does not start it twice.
const holder = globalThis as typeof globalThis & { __background?: BackgroundWork };
if (backgroundMode() === "inline" && !holder.__background) {
  let signer: ConsoleKey | null = null;
  try {
    signer = getConsoleKey();
  } catch (err) {
    // The console still serves reads; the missing checkpoints are what verify-log will report.
    console.error(
      `[console] checkpoints disabled, the console key is unusable: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  holder.__background = startBackgroundWork(await getDb(), {
    signer,
    masterSecret: process.env.NEXTAUTH_SECRET || undefined,
  });
}
