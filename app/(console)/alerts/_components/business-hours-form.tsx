"use client";

import { useState, useTransition } from "react";
import { ActionStatus } from "@/components/ui/action-status";
import { setBusinessHoursAction } from "../actions";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export interface HoursRow {
  tenant: string;
  timeZone: string;
  days: number[];
  start: string;
  end: string;
}

export function BusinessHoursForm({ hours }: { hours: HoursRow }) {
  const [h, setH] = useState(hours);
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <form
      className="card"
      aria-label={`Business hours of ${h.tenant}`}
      onSubmit={(e) => {
        e.preventDefault();
        start(async () => {
          const r = await setBusinessHoursAction(h);
          setMessage(
            r.ok
              ? { ok: true, text: `Saved ${h.tenant}'s business hours.` }
              : { ok: false, text: [r.error, ...Object.values(r.fieldErrors ?? {}).flat()].join(" ") },
          );
        });
      }}
    >
      <div className="form-grid">
        <strong>{h.tenant}</strong>
        <label>
          Time zone (IANA)
          <input
            value={h.timeZone}
            onChange={(e) => setH({ ...h, timeZone: e.target.value })}
            placeholder="Europe/Paris"
          />
        </label>
        <fieldset className="options">
          <legend>Days</legend>
          {DAYS.map((d, i) => (
            <label key={d} className="checkbox">
              <input
                type="checkbox"
                checked={h.days.includes(i + 1)}
                onChange={(e) =>
                  setH({
                    ...h,
                    days: e.target.checked ? [...h.days, i + 1] : h.days.filter((x) => x !== i + 1),
                  })
                }
              />{" "}
              {d}
            </label>
          ))}
        </fieldset>
        <label>
          From
          <input type="time" value={h.start} onChange={(e) => setH({ ...h, start: e.target.value })} />
        </label>
        <label>
          To
          <input type="time" value={h.end} onChange={(e) => setH({ ...h, end: e.target.value })} />
        </label>
        <div>
          <button type="submit" disabled={pending}>
            {pending ? "Saving…" : "Save hours"}
          </button>
        </div>
      </div>
      <ActionStatus message={message} />
    </form>
  );
}
