"use client";

import { useQueryStates } from "nuqs";
import { useId, useState, useTransition } from "react";
import { deleteSavedQueryAction, saveQueryAction } from "../actions";
import { type ExplorerState, explorerParsers, readSavedQuery, savedQueryText } from "../url-state";

/**
 * The user's saved queries. A saved query is the search box with its time range (after:/before:
 * terms), so opening it brings the range back; it is named in a field here, not a browser prompt.
 */
export function SavedQueries(props: {
  saved: { id: string; name: string; query: string }[];
  state: ExplorerState;
}) {
  const [, setParams] = useQueryStates(explorerParsers, { shallow: false, history: "push" });
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const nameId = useId();
  const current = savedQueryText(props.state);
  const chosen = props.saved.find((s) => s.query === current);
  return (
    <div className="row-actions saved-queries" style={{ alignItems: "center" }}>
      <select
        aria-label="Saved queries"
        value={chosen?.id ?? ""}
        onChange={(e) => {
          const s = props.saved.find((x) => x.id === e.target.value);
          const read = s ? readSavedQuery(s.query) : { q: "", range: "7d" as const, from: "", to: "" };
          void setParams({
            q: read.q || null,
            range: read.range,
            from: read.from || null,
            to: read.to || null,
            cursor: null,
            before: null,
          });
        }}
      >
        <option value="">Saved queries…</option>
        {props.saved.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      {naming ? (
        <form
          className="inline-form"
          aria-label="Save this query"
          onSubmit={(e) => {
            e.preventDefault();
            start(async () => {
              const res = await saveQueryAction({ name, query: current });
              if (res.ok) {
                setMessage(`Saved "${name.trim()}".`);
                setNaming(false);
                setNameError(null);
              } else setNameError(res.fieldErrors?.name?.[0] ?? res.error);
            });
          }}
        >
          <label htmlFor={nameId} className="sr-only">
            Name
          </label>
          <input
            id={nameId}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Name this query"
            aria-label="Name"
            aria-invalid={Boolean(nameError)}
            aria-describedby={nameError ? `${nameId}-error` : undefined}
            maxLength={80}
            // biome-ignore lint/a11y/noAutofocus: the field opens on the user's own click to name the query.
            autoFocus
          />
          <button type="submit" className="primary" disabled={pending}>
            Save
          </button>
          <button type="button" onClick={() => setNaming(false)}>
            Cancel
          </button>
          {nameError ? (
            <span id={`${nameId}-error`} role="alert" className="error">
              {nameError}
            </span>
          ) : null}
        </form>
      ) : (
        <button
          type="button"
          disabled={pending || !current}
          onClick={() => {
            setName(props.state.q.slice(0, 40));
            setNameError(null);
            setNaming(true);
          }}
        >
          Save query
        </button>
      )}
      {chosen && !naming ? (
        <button
          type="button"
          disabled={pending}
          onClick={() =>
            start(async () => {
              const res = await deleteSavedQueryAction({ id: chosen.id });
              setMessage(res.ok ? `Deleted "${chosen.name}".` : res.error);
            })
          }
        >
          Delete
        </button>
      ) : null}
      <span role="status" className="muted">
        {message}
      </span>
    </div>
  );
}
