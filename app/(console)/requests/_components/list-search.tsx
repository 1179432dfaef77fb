"use client";

import { useQueryStates } from "nuqs";
import { useState, useTransition } from "react";
import { SESSION_STATUS_VALUES, sessionsParsers } from "../search-params";

type Status = (typeof SESSION_STATUS_VALUES)[number];

/**
 * A listing's search box: writes q (and the sessions' status) to the URL, back to the first
 * page, and lets the server page re-render. `withStatus` adds the session status choice.
 */
export function ListSearch({
  label,
  placeholder,
  withStatus = false,
}: {
  label: string;
  placeholder: string;
  withStatus?: boolean;
}) {
  const [pending, startTransition] = useTransition();
  const [state, setState] = useQueryStates(sessionsParsers, { shallow: false, startTransition });
  const [text, setText] = useState(state.q);
  const [status, setStatus] = useState<Status | "">(state.status ?? "");
  return (
    <search aria-label={label}>
      <form
        className="list-search"
        onSubmit={(e) => {
          e.preventDefault();
          void setState({
            q: text.trim() || null,
            cursor: null,
            dir: null,
            ...(withStatus ? { status: status || null } : {}),
          });
        }}
      >
        <input
          type="search"
          name="q"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={placeholder}
          aria-label={label}
          maxLength={200}
        />
        {withStatus ? (
          <select
            name="status"
            aria-label="Status"
            value={status}
            onChange={(e) => setStatus(e.target.value as Status | "")}
          >
            <option value="">Any status</option>
            {SESSION_STATUS_VALUES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        ) : null}
        <button type="submit" disabled={pending}>
          {pending ? "Searching…" : "Search"}
        </button>
        {state.q || state.status ? (
          <button
            type="button"
            onClick={() => {
              setText("");
              setStatus("");
              void setState({ q: null, cursor: null, dir: null, status: null });
            }}
          >
            Clear
          </button>
        ) : null}
      </form>
    </search>
  );
}
