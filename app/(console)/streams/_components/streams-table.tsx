"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { ActionStatus } from "@/components/ui/action-status";
import { useActionMessage } from "@/components/ui/use-action-message";
import type { StreamView } from "@/lib/data/streams";
import { formatTime } from "@/lib/format/time";
import {
  deleteStreamAction,
  replayStreamAction,
  requeueDeadLettersAction,
  setStreamStatusAction,
} from "../actions";

export type StreamRow = Omit<StreamView, "nextAttemptAt" | "lastSuccessAt" | "createdAt"> & {
  nextAttemptAt: string | null;
  lastSuccessAt: string | null;
  createdAt: string;
};

const when = (iso: string | null) => formatTime(iso, "s", "never");

function lagText(s: StreamRow): string {
  if (s.lagEvents === 0) return "caught up";
  const secs = Math.round(s.lagMs / 1000);
  const age =
    secs < 120 ? `${secs} s` : secs < 7200 ? `${Math.round(secs / 60)} min` : `${Math.round(secs / 3600)} h`;
  return `${s.lagEvents.toLocaleString("en")} behind · oldest ${age}`;
}

const REFRESH_MS = 5_000;

export function StreamsTable({ streams }: { streams: StreamRow[] }) {
  const router = useRouter();
  const { pending, message, run } = useActionMessage();
  const [replayFor, setReplayFor] = useState<string | null>(null);
  const [replayFrom, setReplayFrom] = useState("");

  // Health moves on its own (deliveries, retries): refresh the server data while the page is open.
  useEffect(() => {
    const t = setInterval(() => router.refresh(), REFRESH_MS);
    return () => clearInterval(t);
  }, [router]);

  if (streams.length === 0)
    return <p className="muted">No streams yet: add one below to send events to your SIEM or a webhook.</p>;
  const ref = (s: StreamRow) => ({ tenant: s.tenant, id: s.id });
  return (
    <>
      <table className="data" aria-busy={pending} aria-label="Event streams">
        <thead>
          <tr>
            <th>Stream</th>
            <th>Destination</th>
            <th>Status</th>
            <th>Lag</th>
            <th>Delivered</th>
            <th>Dead letters</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {streams.map((s) => (
            <tr key={`${s.tenant}/${s.id}`} data-testid={`stream-row-${s.name}`}>
              <td>
                <strong>{s.name}</strong>
                <div className="muted">
                  {s.tenant} · {s.kind} · {s.format}
                  {s.signing ? ` · ${s.signing}` : ""}
                </div>
                {s.filter ? <div className="mono muted">{s.filter}</div> : null}
              </td>
              <td className="mono" title={s.url}>
                {new URL(s.url).host}
                {s.allowPrivate ? <div className="badge">private allowed</div> : null}
                {s.verifyKey ? (
                  <div className="muted" title={s.verifyKey}>
                    key {s.verifyKey.slice(0, 14)}…
                  </div>
                ) : null}
              </td>
              <td>
                <span
                  className={`badge ${s.status === "active" ? (s.lastError ? "bad" : "ok") : "disabled"}`}
                >
                  {s.status === "active" && s.lastError ? "retrying" : s.status}
                </span>
                {s.statusReason ? <div className="muted">{s.statusReason}</div> : null}
                {s.lastError ? (
                  <div className="error" data-testid="stream-error">
                    {s.lastError}
                    {s.nextAttemptAt ? ` · next try ${when(s.nextAttemptAt)}` : ""} · attempt {s.attempts}
                  </div>
                ) : null}
              </td>
              <td data-testid="stream-lag">{lagText(s)}</td>
              <td>
                {s.delivered.toLocaleString("en")}
                <div className="muted">last {when(s.lastSuccessAt)}</div>
              </td>
              <td>
                {s.deadLetters}
                {s.requeued ? <div className="muted">{s.requeued} requeued</div> : null}
                {s.deadLetters > s.requeued ? (
                  <button
                    type="button"
                    disabled={pending}
                    onClick={() =>
                      run(`Requeued the dead letters of ${s.name}.`, () => requeueDeadLettersAction(ref(s)))
                    }
                  >
                    Requeue
                  </button>
                ) : null}
              </td>
              <td className="row-actions">
                {s.status === "active" ? (
                  <button
                    type="button"
                    disabled={pending}
                    onClick={() =>
                      run(`Paused ${s.name}.`, () => setStreamStatusAction({ ...ref(s), to: "paused" }))
                    }
                  >
                    Pause
                  </button>
                ) : (
                  <button
                    type="button"
                    disabled={pending}
                    onClick={() =>
                      run(`Resumed ${s.name}.`, () => setStreamStatusAction({ ...ref(s), to: "active" }))
                    }
                  >
                    Resume
                  </button>
                )}
                <button
                  type="button"
                  disabled={pending}
                  onClick={() => setReplayFor(replayFor === s.id ? null : s.id)}
                >
                  Replay…
                </button>
                <button
                  type="button"
                  className="danger"
                  disabled={pending}
                  onClick={() => {
                    if (
                      window.confirm(`Delete the stream ${s.name}? Its cursor and dead letters go with it.`)
                    )
                      run(`Deleted ${s.name}.`, () => deleteStreamAction(ref(s)));
                  }}
                >
                  Delete
                </button>
                {replayFor === s.id ? (
                  <form
                    className="inline-form"
                    onSubmit={(e) => {
                      e.preventDefault();
                      run(`Replaying ${s.name} from ${replayFrom}.`, () =>
                        replayStreamAction({ ...ref(s), from: new Date(replayFrom) }),
                      );
                      setReplayFor(null);
                    }}
                  >
                    <label>
                      Send again everything received since
                      <input
                        type="datetime-local"
                        required
                        value={replayFrom}
                        onChange={(e) => setReplayFrom(e.target.value)}
                      />
                    </label>
                    <button type="submit" className="primary" disabled={pending || !replayFrom}>
                      Replay
                    </button>
                  </form>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionStatus message={message} />
    </>
  );
}
