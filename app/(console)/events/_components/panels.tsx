import type { Authority } from "@/lib/auth/authority";
import { countEvents, histogramEvents } from "@/lib/data/events-query";
import { formatTime, plural } from "@/lib/format/time";
import { getReadDb } from "@/lib/server/db";
import { Histogram } from "./histogram";

/** The cap on the match count: past it, counting costs more than the number tells. */
export const COUNT_CAP = 10_000;

/** "1,234 matching events" / "10,000+ matching events", in its own query under Suspense. */
export async function MatchCount({ authority, q }: { authority: Authority; q: string }) {
  const res = await countEvents(await getReadDb("events.count"), authority, { q, max: COUNT_CAP });
  if (res.error?.code === "too_expensive") {
    return (
      <span className="muted" data-testid="match-count">
        Count unavailable
      </span>
    );
  }
  return (
    <span data-testid="match-count" aria-live="polite">
      <strong>{res.capped ? `${COUNT_CAP.toLocaleString("en")}+` : res.count.toLocaleString("en")}</strong>{" "}
      matching {res.count === 1 && !res.capped ? "event" : "events"}
    </span>
  );
}

export function CountFallback() {
  return (
    <span className="muted" data-testid="match-count-loading">
      Counting…
    </span>
  );
}

/** Matching events per time bucket and outcome; the bars zoom the time range. */
export async function HistogramPanel(props: {
  authority: Authority;
  q: string;
  from: Date | null;
  to: Date | null;
}) {
  const res = await histogramEvents(await getReadDb("events.histogram"), props.authority, {
    q: props.q,
    from: props.from,
    to: props.to,
  });
  if (res.error?.code === "too_expensive") {
    return (
      <p className="muted histogram-empty" data-testid="histogram-unavailable">
        Histogram unavailable: too many events to group. Narrow the time range.
      </p>
    );
  }
  if (res.buckets.length === 0) return null;
  const first = res.buckets[0]?.start;
  const last = res.buckets.at(-1)?.end;
  return (
    <section aria-label="Events over time">
      <p className="sr-only">
        From {formatTime(first)} to {formatTime(last)}, {plural(res.buckets.length, "bucket")}.
      </p>
      <Histogram buckets={res.buckets} stepMs={res.stepMs} />
    </section>
  );
}

export function HistogramFallback() {
  return (
    <div className="histogram-loading muted" aria-busy="true">
      Loading the histogram…
    </div>
  );
}
