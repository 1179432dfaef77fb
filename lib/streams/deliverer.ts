// Runs the stream deliverer in every console process, one round at a time, every second (or at
// once after a round that had more to send). Streams are leased, so processes share the work.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Db } from "@/db/client";
import { type DeliverOptions, deliverDueStreams, type RoundReport } from "./deliver";

export const DELIVER_INTERVAL_MS = 1_000;

export interface Deliverer {
  tick(): Promise<RoundReport[]>;
  stop(): Promise<void>;
}

export function startDeliverer(
  db: Db,
  opts: Omit<DeliverOptions, "owner"> & { intervalMs?: number; log?: (m: string, e?: unknown) => void },
): Deliverer {
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const interval = opts.intervalMs ?? DELIVER_INTERVAL_MS;
  const log = opts.log ?? ((m, e) => console.error(`[streams] ${m}`, e ?? ""));
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<RoundReport[]> = Promise.resolve([]);
  const round = () => deliverDueStreams(db, { ...opts, owner });
  const tick = () => {
    running = running.catch(() => []).then(round);
    return running;
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick()
        .then((reports) => {
          // A stream that delivered a full batch probably has more: go again without waiting.
          const busy = reports.some((r) => !r.failed && r.delivered + r.skipped > 0);
          schedule(busy ? 0 : interval);
        })
        .catch((err) => {
          log("round failed; retrying on the next tick", err);
          schedule(interval);
        });
    }, delay);
    timer.unref();
  };
  schedule(interval);
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => {});
    },
  };
}
