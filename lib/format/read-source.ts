import type { ReadSource } from "@/db/replica";

function seconds(s: number): string {
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s).toLocaleString("en")} s`;
}

/**
 * The note a page that reads from the replica shows under its heading, or null when there is
 * nothing to say (no replica configured).
 */
export function describeReadSource(source: ReadSource): string | null {
  if (source.from === "replica")
    return source.lagSeconds === 0
      ? "Read from the replica, up to date."
      : `Read from the replica, ${seconds(source.lagSeconds)} behind.`;
  switch (source.reason) {
    case "none":
    case "not-routed":
      return null;
    case "unreachable":
      return "Read from the primary: the replica did not answer.";
    case "not-standby":
      return "Read from the primary: the configured replica is not a streaming standby.";
    case "lagging":
      return source.lagSeconds == null
        ? "Read from the primary: the replica's lag is unknown."
        : `Read from the primary: the replica is ${seconds(source.lagSeconds)} behind (more than ${seconds(source.maxLagSeconds ?? 0)}).`;
  }
}
