// `npm start`: migrate, seed the demo on first run, build, and serve the console.
// Flags: --no-build (serve the existing build), --dev (next dev instead of a production build).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { ADVISORY_LOCKS, withSessionLock } from "@/db/advisory-locks";
import { type Database, openDatabase, targetFromConfig } from "@/db/client";
import { checkDurability } from "@/db/durability";
import { migrateDatabase } from "@/db/migrate";
import { issuers, tenants } from "@/db/schema";
import { checkpointMovedHeads } from "@/lib/audit/checkpointer";
import { loadConfig } from "@/lib/config";
import { clearPartialDemo, countEvents, loadDemoActivity } from "@/lib/demo/load";
import { inputDigestKey } from "@/lib/ingest/input-digest";
import { loadOrCreateConsoleKey } from "@/lib/server/issuer-key";
import { acquireBuildLock, decideBuild, recordBuild, registerInstance } from "./build-state";
import { type DemoCredentials, demoCredentialsPath, seedDemo } from "./seed-demo";

const args = new Set(process.argv.slice(2));
const dev = args.has("--dev");
const cfg = loadConfig({ ...process.env, NODE_ENV: dev ? "development" : "production" });
const nextBin = path.resolve("node_modules", "next", "dist", "bin", "next");

function log(msg: string) {
  console.log(`[console] ${msg}`);
}

// next-auth signs its cookies with this; kept beside the data so sessions survive a restart.
function ensureAuthSecret(): string {
  if (process.env.NEXTAUTH_SECRET) return process.env.NEXTAUTH_SECRET;
  const file = path.join(cfg.dataDir, "auth-secret");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(cfg.dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  }
  return fs.readFileSync(file, "utf8").trim();
}

function printSignIns(creds: DemoCredentials, fresh: boolean) {
  log(fresh ? "Loaded the demo data. Sign in with:" : "Demo sign-ins:");
  for (const u of creds.users) log(`  ${u.role.padEnd(12)} ${u.email.padEnd(28)} ${u.password}`);
  log(`(also in ${demoCredentialsPath(cfg.dataDir)}, with the demo ingest API keys)`);
}

async function loadDemo(
  database: Awaited<ReturnType<typeof openDatabase>>,
  consoleKey: ReturnType<typeof loadOrCreateConsoleKey>,
  requestsPerDay: number,
) {
  log("Loading a week of demo agent activity (real tokens, narrowing and denials); first start only...");
  const started = Date.now();
  const tty = process.stdout.isTTY;
  let lastLine = 0;
  const total = await loadDemoActivity({
    db: database.db,
    dataDir: cfg.dataDir,
    consoleKey,
    tenants: ["acme", "globex"],
    requestsPerDay,
    digestKey: inputDigestKey(consoleKey.privateKey),
    onProgress: ({ events, estimate }) => {
      const pct = Math.min(99, Math.floor((events / Math.max(estimate, 1)) * 100));
      const line = `[console]   ${events.toLocaleString("en")} events stored (~${pct}%)`;
      if (tty) process.stdout.write(`\r${line}`);
      else if (Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        console.log(line);
      }
    },
  });
  if (tty) process.stdout.write("\n");
  log(
    `Demo activity loaded: ${total.toLocaleString("en")} events in ${Math.round((Date.now() - started) / 1000)} s.`,
  );
}

/**
 * The console's key in the issuers table, as the console's (tenant null). A row with the same
 * kid and another key or a tenant means someone else holds the name: verifiers would be handed
 * the wrong key, so the console refuses to start rather than trust it.
 */
async function registerConsoleKey(database: Database, key: { kid: string; publicKey: string }) {
  await database.db
    .insert(issuers)
    .values({ kid: key.kid, tenant: null, publicKey: key.publicKey })
    .onConflictDoNothing();
  const [row] = await database.db.select().from(issuers).where(eq(issuers.kid, key.kid));
  if (!row || row.tenant !== null || row.publicKey !== key.publicKey)
    throw new Error(
      `issuer key ${key.kid} is registered in the database with another key or for a tenant; ` +
        "rename the console key (CONSOLE_ISSUER_KEY or DATA_DIR/console-issuer-key.json) or remove that row",
    );
}

async function prepareDatabase() {
  const database = await openDatabase(targetFromConfig(cfg));
  try {
    log(`database: ${database.describe}`);
    await checkDurability(database, { production: cfg.production });
    await migrateDatabase(database);
    // Several instances starting at once on one PostgreSQL: one at a time from here, so the
    // demo is loaded and seeded once (the next finds the tenants and users and keeps them).
    await withSessionLock(database, ADVISORY_LOCKS.firstStart, () => firstStart(database));
  } finally {
    // The server opens the database itself; PGlite admits one process at a time.
    await database.close();
  }
}

async function firstStart(database: Database) {
  const consoleKey = loadOrCreateConsoleKey({ dataDir: cfg.dataDir, env: process.env });
  await registerConsoleKey(database, consoleKey);
  const fresh = (await database.db.select({ id: tenants.id }).from(tenants).limit(1)).length === 0;
  const scale = process.env.DEMO_SCALE ?? "full";
  if (fresh && scale !== "none") {
    if ((await countEvents(database.db)) > 0) {
      log("An earlier first start stopped while loading the demo; loading it again.");
      await clearPartialDemo(database.db);
      await registerConsoleKey(database, consoleKey);
    }
    await loadDemo(database, consoleKey, scale === "small" ? 4 : 88);
  }
  const seeded = await seedDemo(database.db, cfg.dataDir);
  // What the seed and migrations just wrote is signed now, not when the server's checkpointer
  // first runs (after the build, minutes later on a first start).
  await checkpointMovedHeads(database.db, { signer: consoleKey });
  if (seeded) printSignIns(seeded, true);
  else if (fs.existsSync(demoCredentialsPath(cfg.dataDir))) {
    printSignIns(JSON.parse(fs.readFileSync(demoCredentialsPath(cfg.dataDir), "utf8")), false);
  } else log("Existing data kept; create console users with `npm run user -- create ...`.");
}

const root = process.cwd();

/** `next build` when the sources changed since the last build, and only when that is safe. */
function buildIfNeeded(env: NodeJS.ProcessEnv) {
  const decision = decideBuild(root, env);
  if (decision.kind === "up-to-date") {
    log("The build in .next is up to date with the sources; serving it.");
    return;
  }
  if (decision.kind === "refuse") {
    console.error(`[console] Not building: ${decision.message}`);
    process.exit(1);
  }
  const lock = acquireBuildLock(root);
  if (!lock) {
    console.error(
      "[console] Not building: another `npm start` in this folder is building now. Wait for it, then start again.",
    );
    process.exit(1);
  }
  let status: number | null = null;
  try {
    log(`Building the console (next build; ${decision.reason})...`);
    status = spawnSync(process.execPath, [nextBin, "build"], { stdio: "inherit", env }).status;
    if (status === 0) recordBuild(root, decision.fingerprint);
  } finally {
    lock.release();
  }
  if (status !== 0) process.exit(status ?? 1);
}

/** With --no-build: refuse to serve a build that another `npm start` is writing right now. */
function checkNotBuilding() {
  const lock = acquireBuildLock(root);
  if (!lock) {
    console.error(
      "[console] Another `npm start` in this folder is building now; start again when it is done.",
    );
    process.exit(1);
  }
  lock.release();
}

async function main() {
  if (cfg.databaseUrl === undefined) {
    log("Embedded PGlite database: for trying the console. Production uses PostgreSQL (DATABASE_URL).");
  }
  if (!dev && !args.has("--no-build")) {
    // Before touching the database: a refusal should change nothing.
    const early = decideBuild(root);
    if (early.kind === "refuse") {
      console.error(`[console] Not building: ${early.message}`);
      process.exit(1);
    }
  }
  await prepareDatabase();
  const env = {
    ...process.env,
    DATA_DIR: cfg.dataDir,
    NEXTAUTH_SECRET: ensureAuthSecret(),
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://localhost:${cfg.port}`,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  if (!dev && !args.has("--no-build")) buildIfNeeded(env);
  else if (!dev) checkNotBuilding();
  // With PostgreSQL the background work (checkpoints, stream deliveries, alert rules) runs in a
  // process of its own beside the web server (lib/background.ts); PGlite keeps it in the server.
  const separate = cfg.databaseUrl !== undefined && process.env.CONSOLE_BACKGROUND !== "inline";
  const nodeEnv = dev ? "development" : "production";
  const background = separate ? superviseBackground({ ...env, NODE_ENV: nodeEnv }) : null;
  // scripts/serve.ts rather than `next start`: it hands the app the TCP peer's address.
  const serve = ["--import", "tsx", path.resolve("scripts", "serve.ts"), ...(dev ? ["--dev"] : [])];
  const server = spawn(process.execPath, serve, {
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...env,
      PORT: String(cfg.port),
      NODE_ENV: nodeEnv,
      ...(separate ? { CONSOLE_BACKGROUND: "off" } : {}),
    },
  });
  server.stdout.on("data", (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (chunk.toString().includes("Ready"))
      log(`Console at http://localhost:${cfg.port} (sign in at /login)`);
  });
  // Recorded so that another `npm start` in this folder does not rebuild under this console.
  const unregister = dev
    ? () => {}
    : registerInstance(root, { pid: process.pid, port: cfg.port, startedAt: new Date().toISOString() });
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.on(sig, () => {
      background?.stop(sig);
      server.kill(sig);
    });
  server.on("exit", (code, signal) => {
    unregister();
    background?.stop("SIGTERM");
    process.exit(code ?? (signal ? 0 : 1));
  });
}

/** Runs scripts/background.ts, and again (after a pause that grows to 30 s) whenever it dies. */
function superviseBackground(env: NodeJS.ProcessEnv) {
  let child: ReturnType<typeof spawn> | null = null;
  let stopped = false;
  let failures = 0;
  const run = () => {
    const startedAt = Date.now();
    child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=react-server", path.resolve("scripts", "background.ts")],
      { stdio: ["ignore", "inherit", "inherit"], env },
    );
    child.on("exit", (code, signal) => {
      if (stopped) return;
      failures = Date.now() - startedAt > 60_000 ? 1 : failures + 1;
      const wait = Math.min(30_000, 500 * 2 ** failures);
      console.error(
        `[console] background work stopped (${signal ?? `exit ${code}`}); restarting in ${Math.round(wait / 1000)} s`,
      );
      setTimeout(() => {
        if (!stopped) run();
      }, wait).unref();
    });
  };
  run();
  return {
    stop(sig: NodeJS.Signals) {
      stopped = true;
      child?.kill(sig);
    },
  };
}

main().catch((err: unknown) => {
  console.error(`[console] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
