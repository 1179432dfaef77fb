"use client";

import { useState } from "react";
import { RANGES } from "../url-state";

/**
 * Presets (counted back from now) or an absolute from/to in UTC. Part of the search form: its
 * fields go into the URL as range, from and to; picking a preset clears from/to, and typing a
 * from/to switches the preset off, so the form never sends two ranges that disagree.
 */
export function TimePicker(props: {
  range: string;
  from: string;
  to: string;
  error?: { field: "from" | "to"; message: string };
}) {
  const [from, setFrom] = useState(props.from);
  const [to, setTo] = useState(props.to);
  const [range, setRange] = useState(props.from || props.to ? "custom" : props.range);
  return (
    <fieldset className="time-picker">
      <legend className="sr-only">Time range</legend>
      <select
        name={range === "custom" ? undefined : "range"}
        value={range}
        aria-label="Time range"
        onChange={(e) => {
          setRange(e.target.value);
          if (e.target.value !== "custom") {
            setFrom("");
            setTo("");
          }
        }}
      >
        {RANGES.map((r) => (
          <option key={r.value} value={r.value}>
            {r.label}
          </option>
        ))}
        <option value="custom">From … to … (UTC)</option>
      </select>
      <label className="inline-label">
        <span>From</span>
        <input
          type="datetime-local"
          name={from ? "from" : undefined}
          value={from}
          aria-label="From (UTC)"
          aria-invalid={props.error?.field === "from"}
          aria-describedby={props.error?.field === "from" ? "time-error" : undefined}
          onChange={(e) => {
            setFrom(e.target.value);
            setRange("custom");
          }}
        />
      </label>
      <label className="inline-label">
        <span>To</span>
        <input
          type="datetime-local"
          name={to ? "to" : undefined}
          value={to}
          aria-label="To (UTC)"
          aria-invalid={props.error?.field === "to"}
          aria-describedby={props.error?.field === "to" ? "time-error" : undefined}
          onChange={(e) => {
            setTo(e.target.value);
            setRange("custom");
          }}
        />
      </label>
      {props.error ? (
        <span id="time-error" role="alert" className="error">
          {props.error.message}
        </span>
      ) : null}
    </fieldset>
  );
}
