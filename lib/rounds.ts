// The console's background work (checkpoint signing, stream delivery, alert rules) runs in
// rounds, one at a time per process, on a timer that never keeps the process alive. `tick` runs
// a round now (after the one in progress); `stop` waits for the last one to finish.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** A name for this process in leases (host, pid and a random part, unique across restarts). */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
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
}): Rounds<T> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<T> = Promise.resolve(opts.empty);
  const tick = () => {
    running = running.catch(() => opts.empty).then(opts.round);
    return running;
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick().then(
        (result) => schedule(opts.again?.(result) ? 0 : opts.intervalMs),
        (err) => {
          opts.log("round failed; retrying on the next tick", err);
          schedule(opts.intervalMs);
        },
      );
    }, delay);
    timer.unref();
  };
  schedule(opts.intervalMs);
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => {});
    },
  };
}
