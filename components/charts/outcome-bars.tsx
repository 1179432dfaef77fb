"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface OutcomeBucket {
  label: string;
  allowed: number;
  denied: number;
  error: number;
}

/** Calls per bucket (hour, day), stacked by outcome. */
export function OutcomeBars({ data, height = 220 }: { data: OutcomeBucket[]; height?: number }) {
  return (
    <div style={{ width: "100%", height }} role="img" aria-label="Calls by outcome over time">
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
          <Bar dataKey="allowed" stackId="o" fill="var(--ok)" isAnimationActive={false} />
          <Bar dataKey="denied" stackId="o" fill="var(--danger)" isAnimationActive={false} />
          <Bar dataKey="error" stackId="o" fill="var(--warn)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
