"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface CoverageBucket {
  label: string;
  covered: number;
  uncovered: number;
}

/** Tool calls per bucket, stacked: under a capability, and uncovered (observed without one). */
export function CoverageBars({ data, height = 200 }: { data: CoverageBucket[]; height?: number }) {
  return (
    <div
      style={{ width: "100%", height }}
      role="img"
      aria-label="Tool calls with and without a capability over time"
    >
      <ResponsiveContainer>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
          <XAxis dataKey="label" tick={{ fill: "var(--muted)", fontSize: 11 }} interval="preserveStartEnd" />
          <YAxis tick={{ fill: "var(--muted)", fontSize: 11 }} allowDecimals={false} />
          <Tooltip
            contentStyle={{
              background: "var(--panel)",
              border: "1px solid var(--border)",
              color: "var(--text)",
            }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar
            dataKey="covered"
            name="under a capability"
            stackId="c"
            fill="var(--ok)"
            isAnimationActive={false}
          />
          <Bar
            dataKey="uncovered"
            name="uncovered"
            stackId="c"
            fill="var(--warn, #d19a00)"
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
