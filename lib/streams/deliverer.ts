// Runs the stream deliverer in every console process, one round at a time, every second (or at
// once after a round that had more to send). Streams are leased, so processes share the work.
import type { Db } from "@/db/client";
import { leaseOwner, type Pace, type Rounds, startRounds } from "@/lib/rounds";
import { type DeliverOptions, deliverDueStreams, type RoundReport } from "./deliver";

export const DELIVER_INTERVAL_MS = 1_000;

export type Deliverer = Rounds<RoundReport[]>;

export function startDeliverer(
  db: Db,
  opts: Omit<DeliverOptions, "owner"> & {
    intervalMs?: number;
    log?: (m: string, e?: unknown) => void;
    pace?: Pace;
  },
): Deliverer {
  const owner = leaseOwner();
  return startRounds({
    intervalMs: opts.intervalMs ?? DELIVER_INTERVAL_MS,
    round: () => deliverDueStreams(db, { ...opts, owner }),
    empty: [],
    log: opts.log ?? ((m, e) => console.error(`[streams] ${m}`, e ?? "")),
    // A stream that delivered something probably has more: go again without waiting.
    again: (reports) => reports.some((r) => !r.failed && r.delivered + r.skipped > 0),
    pace: opts.pace,
  });
}
