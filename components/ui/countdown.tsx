"use client";

import { useEffect, useState } from "react";

/** Seconds left until `until`, ticking; says "expired" at zero. */
export function Countdown({ until }: { until: string }) {
  const end = Date.parse(until);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = Math.max(0, Math.ceil((end - now) / 1000));
  return (
    <span className={left <= 10 ? "error mono" : "mono"} aria-live="off">
      {left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left` : "expired"}
    </span>
  );
}
