"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { deleteSavedQueryAction, saveQueryAction } from "../actions";

export function SavedQueries(props: {
  saved: { id: string; name: string; query: string }[];
  current: string;
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  const chosen = props.saved.find((s) => s.query === props.current);
  return (
    <div className="row-actions" style={{ alignItems: "center" }}>
      <select
        aria-label="Saved queries"
        value={chosen?.id ?? ""}
        onChange={(e) => {
          const s = props.saved.find((x) => x.id === e.target.value);
          router.push(s ? `/events?q=${encodeURIComponent(s.query)}` : "/events");
        }}
      >
        <option value="">Saved queries…</option>
        {props.saved.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <button
        type="button"
        disabled={pending || !props.current}
        onClick={() => {
          const name = window.prompt("Name this query", props.current.slice(0, 40));
          if (!name) return;
          start(async () => {
            const res = await saveQueryAction({ name, query: props.current });
            setMessage(res.ok ? `Saved "${name}".` : res.error);
          });
        }}
      >
        Save query
      </button>
      {chosen ? (
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
