"use client";

import { useQueryStates } from "nuqs";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatClock, formatDay, formatTime } from "@/lib/format/time";
import { explorerParsers } from "../url-state";

export interface Bucket {
  start: string;
  end: string;
  allowed: number;
  denied: number;
  error: number;
}

/** The query language's instant for a bucket edge, as the time picker writes it (UTC, to the minute). */
export function pickerInstant(iso: string): string {
  return iso.slice(0, 16);
}

/**
 * Matching events over time, stacked by outcome. A bar click (or the table's Zoom button, for
 * the keyboard and screen readers) narrows the time range to that bucket.
 */
export function Histogram({ buckets, stepMs }: { buckets: Bucket[]; stepMs: number }) {
  const [, setParams] = useQueryStates(explorerParsers, { shallow: false, history: "push" });
  const zoom = (b: Bucket) =>
    void setParams({
      from: pickerInstant(b.start),
      to: pickerInstant(b.end),
      range: null,
      cursor: null,
      before: null,
    });
  const daily = stepMs >= 86_400_000;
  // Ticks name the day as well once the range spans days, so they read left to right.
  const span = buckets.length * stepMs;
  const tick = (iso: string) =>
    daily
      ? formatDay(iso)
      : span > 86_400_000
        ? formatTime(iso, "min").slice(5, 16)
        : formatClock(iso, "min");
  const data = buckets.map((b) => ({ ...b, label: b.start }));
  return (
    <div className="histogram" data-testid="histogram">
      <div
        role="img"
        aria-label="Matching events over time (UTC) by outcome; the table below has the numbers"
        style={{ width: "100%", height: 150 }}
      >
        <ResponsiveContainer>
          <BarChart
            data={data}
            margin={{ top: 6, right: 8, bottom: 0, left: -20 }}
            onClick={(state) => {
              const i = Number(
                (state as { activeTooltipIndex?: number | string } | null)?.activeTooltipIndex,
              );
              const b = Number.isInteger(i) ? buckets[i] : undefined;
              if (b) zoom(b);
            }}
            style={{ cursor: "zoom-in" }}
          >
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
            <XAxis
              dataKey="label"
              tickFormatter={tick}
              tick={{ fill: "var(--muted)", fontSize: 11 }}
              interval="preserveStartEnd"
              minTickGap={40}
            />
            <YAxis tick={{ fill: "var(--muted)", fontSize: 11 }} allowDecimals={false} />
            <Tooltip
              labelFormatter={(l) => `${formatTime(String(l), "min")} (click to zoom)`}
              contentStyle={{
                background: "var(--panel)",
                border: "1px solid var(--border)",
                color: "var(--text)",
              }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="allowed" stackId="o" fill="var(--ok)" isAnimationActive={false} />
            <Bar dataKey="denied" stackId="o" fill="var(--danger)" isAnimationActive={false} />
            <Bar dataKey="error" stackId="o" fill="var(--warn)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <details className="histogram-table">
        <summary>Histogram as a table</summary>
        <table className="data">
          <caption className="sr-only">Matching events per time bucket and outcome</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Allowed</th>
              <th scope="col">Denied</th>
              <th scope="col">Error</th>
              <th scope="col">
                <span className="sr-only">Zoom</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {buckets
              .filter((b) => b.allowed + b.denied + b.error > 0)
              .map((b) => (
                <tr key={b.start}>
                  <td>{formatTime(b.start, "min")}</td>
                  <td>{formatTime(b.end, "min")}</td>
                  <td>{b.allowed.toLocaleString("en")}</td>
                  <td>{b.denied.toLocaleString("en")}</td>
                  <td>{b.error.toLocaleString("en")}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() => zoom(b)}
                      aria-label={`Zoom to ${formatTime(b.start, "min")}`}
                    >
                      Zoom
                    </button>
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
