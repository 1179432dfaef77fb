// The console's background work: checkpoints of moved chain heads, event stream deliveries and
// alert rule evaluation, each in rounds, each leased or idempotent, so any number of processes
// may run them (docs/streams.md, docs/alerts.md, docs/ingest.md). Where it runs:
// - PGlite (one process may open the folder): inside the web server (instrumentation-node.ts).
// - PostgreSQL: `npm start` runs it in its own process (scripts/background.ts) beside the web
//   server, so formatting and posting thousands of events to SIEMs never waits on, nor delays,
//   the web server's event loop; CONSOLE_BACKGROUND=inline keeps it in the web server instead.
import os from "node:os";
import type { DatabaseTarget, Db } from "@/db/client";
import { type AlertEvaluator, startAlertEvaluator } from "@/lib/alerts/runner";
import type { CheckpointSigner } from "@/lib/audit/checkpoint";
import { type Checkpointer, startCheckpointer } from "@/lib/audit/checkpointer";
import { loadConfig } from "@/lib/config";
import { type RetentionJob, startRetention } from "@/lib/retention/sweep";
import { backgroundShare, Pace } from "@/lib/rounds";
import { type Deliverer, startDeliverer } from "@/lib/streams/deliverer";

export interface BackgroundWork {
  checkpointer: Checkpointer | null;
  /** Partitions ahead, retention cuts and emptied months (docs/retention.md); needs the console key. */
  retention: RetentionJob | null;
  deliverer: Deliverer | null;
  alerts: AlertEvaluator;
  stop(): Promise<void>;
}

export interface BackgroundOptions {
  /**
   * Loads the console key; when it throws (or with null) no checkpoints are signed, which
   * verify-log reports, and the rest still runs.
   */
  signer: (() => CheckpointSigner) | null;
  /** NEXTAUTH_SECRET: stream secrets are sealed under it; without it no streams are delivered. */
  masterSecret: string | undefined;
  /** Round intervals (the bench runs them more often than the defaults of one second). */
  intervalMs?: { checkpoint?: number; deliver?: number; alerts?: number; retention?: number };
  /** Where retention archives go (lib/config.ts archiveDir when omitted). */
  archiveDir?: string;
  /**
   * The share of wall time stream delivery and rule evaluation may take together (lib/rounds.ts
   * Pace); CONSOLE_BACKGROUND_SHARE, default 0.3. Checkpoints are not held to it: they are cheap
   * and have their own bound.
   */
  share?: number;
  log?: (message: string) => void;
}

export function startBackgroundWork(db: Db, o: BackgroundOptions): BackgroundWork {
  const log = o.log ?? ((m: string) => console.error(`[console] ${m}`));
  let signer: CheckpointSigner | null = null;
  try {
    signer = o.signer?.() ?? null;
  } catch (err) {
    log(
      `checkpoints disabled, the console key is unusable: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const checkpointer = signer
    ? startCheckpointer(db, { signer, intervalMs: o.intervalMs?.checkpoint })
    : null;
  const retention = signer
    ? startRetention(db, {
        signer,
        archiveDir: o.archiveDir ?? loadConfig().archiveDir,
        intervalMs: o.intervalMs?.retention,
        log: (m, e) => log(`[retention] ${m}${e ? ` ${e instanceof Error ? e.message : String(e)}` : ""}`),
      })
    : null;
  const pace = new Pace(o.share ?? backgroundShare());
  const deliverer = o.masterSecret
    ? startDeliverer(db, { masterSecret: o.masterSecret, intervalMs: o.intervalMs?.deliver, pace })
    : null;
  if (!o.masterSecret)
    log("event streams disabled: NEXTAUTH_SECRET is not set (stream secrets are sealed under it)");
  const alerts = startAlertEvaluator(db, { intervalMs: o.intervalMs?.alerts, pace });
  return {
    checkpointer,
    retention,
    deliverer,
    alerts,
    async stop() {
      await Promise.all([checkpointer?.stop(), retention?.stop(), deliverer?.stop(), alerts.stop()]);
    },
  };
}

/**
 * For a process that runs only the background work: a lower CPU priority (nice 10 unless
 * CONSOLE_BACKGROUND_NICE says otherwise, 0–19), so on a busy machine the web server and ingest
 * come first and the background catches up when they idle (stream lag and alert latency grow
 * instead of ingest slowing down; both show on the Streams page and in /api/health). Returns
 * the priority set, or null when the system refused.
 */
export function lowerBackgroundPriority(env: NodeJS.ProcessEnv = process.env): number | null {
  const wanted = Number(env.CONSOLE_BACKGROUND_NICE ?? 10);
  const nice = Number.isInteger(wanted) ? Math.min(19, Math.max(0, wanted)) : 10;
  try {
    os.setPriority(0, nice);
    return nice;
  } catch {
    return null;
  }
}

/**
 * The database a process running only the background work opens: on PostgreSQL its connections
 * are named in pg_stat_activity and commit their bookkeeping without waiting for the WAL flush
 * (its evidence commits durably: db/durability.ts durableCommit).
 */
export function backgroundTarget(target: DatabaseTarget): DatabaseTarget {
  return target.kind === "postgres"
    ? { ...target, asyncCommit: true, applicationName: "capability-console background" }
    : target;
}

/** Where this process runs the background work: "inline" (here), "off" (another process does). */
export function backgroundMode(env: NodeJS.ProcessEnv = process.env): "inline" | "off" {
  return env.CONSOLE_BACKGROUND === "off" ? "off" : "inline";
}
