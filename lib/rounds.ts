// The console's background work (checkpoint signing, stream delivery, alert rules) runs in
// rounds, one at a time per process, on a timer that never keeps the process alive. `tick` runs
// a round now (after the one in progress); `stop` waits for the last one to finish.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** A name for this process in leases (host, pid and a random part, unique across restarts). */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/**
 * One process's background rounds together take at most `share` of wall time: one round at a time
 * among the workers sharing this Pace, and after a round of W ms none starts for
 * W × (1 − share) / share ms. While ingest runs flat out, stream delivery and rule evaluation then
 * fall behind (their lag shows on the Streams and Alerts pages and in /api/health) instead of
 * taking the CPU, the database and the disk from ingest; they catch up when it idles. `tick()`
 * (run now) does not wait for it.
 */
export class Pace {
  private next = 0;
  /** A round of one of its workers is running. */
  private busy = false;
  /** Workers whose round is due, and since when: the longest waiting goes first. */
  private readonly due = new Map<object, number>();

  constructor(readonly share: number) {
    if (!(share > 0 && share <= 1)) throw new Error(`pace share must be in (0, 1], got ${share}`);
  }

  /** How long a round due now waits (at least a few ms while another round runs). */
  wait(now = performance.now()): number {
    return Math.max(this.busy ? 5 : 0, this.next - now);
  }

  /** Whether `worker`, due since `since`, may start its round now (and if not, it stays queued). */
  take(worker: object, since: number, now = performance.now()): boolean {
    if (!this.due.has(worker)) this.due.set(worker, since);
    if (this.wait(now) > 0) return false;
    const first = Math.min(...this.due.values());
    if ((this.due.get(worker) as number) > first) return false;
    this.due.delete(worker);
    return true;
  }

  /** A stopped worker leaves the queue. */
  leave(worker: object): void {
    this.due.delete(worker);
  }

  /** A round ran from `started` to `ended` (performance.now() ms). */
  ran(started: number, ended: number): void {
    const rest = ((ended - started) * (1 - this.share)) / this.share;
    this.next = Math.max(this.next, ended + rest);
  }

  /** Runs a round taken with `take`: others wait while it runs, then for its rest. */
  async run<T>(round: () => Promise<T>): Promise<T> {
    this.busy = true;
    const started = performance.now();
    try {
      return await round();
    } finally {
      this.busy = false;
      this.ran(started, performance.now());
    }
  }
}

/**
 * The share of wall time the background rounds may take (CONSOLE_BACKGROUND_SHARE, 0.05–1,
 * default 0.3).
 */
export function backgroundShare(env: Record<string, string | undefined> = process.env): number {
  const wanted = Number(env.CONSOLE_BACKGROUND_SHARE ?? 0.3);
  return Number.isFinite(wanted) ? Math.min(1, Math.max(0.05, wanted)) : 0.3;
}

export interface Rounds<T> {
  tick(): Promise<T>;
  stop(): Promise<void>;
}

export function startRounds<T>(opts: {
  intervalMs: number;
  round: () => Promise<T>;
  /** What a failed round counts as, for the next one to chain on. */
  empty: T;
  log: (message: string, err?: unknown) => void;
  /** Run the next round at once instead of after the interval (there is more to do). */
  again?: (result: T) => boolean;
  /** Shared with the process's other rounds: together they keep to its share of wall time. */
  pace?: Pace;
  /** When the first round runs (default: after one interval). */
  firstMs?: number;
}): Rounds<T> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<T> = Promise.resolve(opts.empty);
  const tick = () => {
    running = running.catch(() => opts.empty).then(opts.round);
    return running;
  };
  const me = {};
  let dueSince: number | undefined;
  const schedule = (due: number) => {
    if (stopped) return;
    const delay = Math.max(due, opts.pace?.wait() ?? 0);
    timer = setTimeout(() => {
      // Another worker's round may be running or waiting longer, or the rest not over yet.
      dueSince ??= performance.now();
      if (opts.pace && !opts.pace.take(me, dueSince)) return schedule(Math.max(5, opts.pace.wait()));
      dueSince = undefined;
      (opts.pace ? opts.pace.run(tick) : tick()).then(
        (result) => schedule(opts.again?.(result) ? 0 : opts.intervalMs),
        (err) => {
          opts.log("round failed; retrying on the next tick", err);
          schedule(opts.intervalMs);
        },
      );
    }, delay);
    timer.unref();
  };
  schedule(opts.firstMs ?? opts.intervalMs);
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      opts.pace?.leave(me);
      await running.catch(() => {});
    },
  };
}
