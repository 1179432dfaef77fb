import { type BackgroundWork, backgroundMode, startBackgroundWork } from "./lib/background";
import { getDb } from "./lib/server/db";
import { getConsoleKey } from "./lib/server/issuer-key";

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
  // Without a usable console key the console still serves reads; verify-log reports the missing checkpoints.
  holder.__background = startBackgroundWork(await getDb(), {
    signer: getConsoleKey,
    masterSecret: process.env.NEXTAUTH_SECRET || undefined,
  });
}
