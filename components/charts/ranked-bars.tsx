"use client";

import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

/** A ranked list as horizontal bars (top tools, resources, denial reasons). */
export function RankedBars({
  data,
  label,
  color = "var(--accent)",
  labelWidth = 140,
}: {
  data: { name: string; count: number }[];
  label: string;
  color?: string;
  labelWidth?: number;
}) {
  if (data.length === 0) return <p className="muted">Nothing to show.</p>;
  return (
    <div style={{ width: "100%", height: 36 + data.length * 28 }} role="img" aria-label={label}>
      <ResponsiveContainer>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 4 }}>
          <XAxis type="number" hide allowDecimals={false} />
          <YAxis
            type="category"
            dataKey="name"
            width={labelWidth}
            tick={{ fill: "var(--text)", fontSize: 11 }}
            tickFormatter={(v: string) => (v.length > 34 ? `${v.slice(0, 33)}…` : v)}
          />
          <Tooltip
            contentStyle={{
              background: "var(--panel)",
              border: "1px solid var(--border)",
              color: "var(--text)",
            }}
          />
          <Bar
            dataKey="count"
            fill={color}
            isAnimationActive={false}
            label={{ position: "right", fill: "var(--muted)", fontSize: 11 }}
          />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
