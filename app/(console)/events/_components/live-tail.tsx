"use client";

import { useEffect, useRef, useState } from "react";
import { TierMark } from "@/components/tier-mark";
import { formatTime } from "@/lib/format/time";

interface LiveEvent {
  id: string;
  ts: string;
  type: string;
  principal: string | null;
  tool: string | null;
  outcome: string;
  late?: boolean;
  tier?: string;
  uncovered?: boolean;
}

/** Streams new events matching the current query (server-sent events) without a reload. */
export function LiveTail({ query }: { query: string }) {
  const [on, setOn] = useState(false);
  const [rows, setRows] = useState<LiveEvent[]>([]);
  const [status, setStatus] = useState<string>("");
  const source = useRef<EventSource | null>(null);
  useEffect(() => {
    if (!on) return;
    setStatus("connecting…");
    const es = new EventSource(`/api/events/stream?${new URLSearchParams({ q: query })}`);
    source.current = es;
    es.onopen = () => setStatus("live");
    es.addEventListener("event", (m) => {
      const e = JSON.parse((m as MessageEvent).data) as LiveEvent;
      setRows((prev) => [e, ...prev.filter((p) => p.id !== e.id)].slice(0, 100));
    });
    es.addEventListener("query-error", (m) => {
      setStatus(JSON.parse((m as MessageEvent).data).message);
      es.close();
    });
    es.addEventListener("session-ended", (m) => {
      setStatus(JSON.parse((m as MessageEvent).data).message);
      es.close();
    });
    // EventSource gives up (CLOSED) on a non-200 answer, e.g. a 429 for too many open tails.
    es.onerror = () =>
      setStatus(
        es.readyState === EventSource.CLOSED
          ? "stopped: the server refused the tail (too many open? close another tab's tail)"
          : "reconnecting…",
      );
    return () => es.close();
  }, [on, query]);
  return (
    <>
      <label style={{ flexDirection: "row", alignItems: "center", gap: 6 }}>
        <input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} /> Live tail
        {on ? <span className="muted">{status}</span> : null}
      </label>
      {on && rows.length > 0 ? (
        <div
          className="card"
          style={{ flexBasis: "100%", maxHeight: 220, overflow: "auto" }}
          data-testid="live-rows"
        >
          {rows.map((r) => (
            <div key={r.id} className="live-row mono">
              {formatTime(r.ts)} {r.type}
              <TierMark tier={r.tier} uncovered={r.uncovered} /> {r.principal} {r.tool}{" "}
              <span className={r.outcome === "denied" ? "error" : "ok"}>{r.outcome}</span>
              {r.late ? <span className="muted"> (late)</span> : null}
            </div>
          ))}
        </div>
      ) : null}
    </>
  );
}
