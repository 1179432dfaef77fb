"use client";

import { useQueryStates } from "nuqs";
import { useTransition } from "react";
import { REQUEST_VIEWS, type RequestView, requestViewParsers } from "../../search-params";

const LABELS: Record<RequestView, string> = { timeline: "Timeline", graph: "Derivation graph" };

/** Timeline or derivation graph, kept in ?view= so a shared link opens the same view. */
export function ViewSwitch() {
  const [pending, startTransition] = useTransition();
  const [{ view }, setState] = useQueryStates(requestViewParsers, { shallow: false, startTransition });
  return (
    <fieldset className="view-switch" aria-busy={pending} data-testid="view-switch">
      <legend className="sr-only">View</legend>
      {REQUEST_VIEWS.map((v) => (
        <button
          key={v}
          type="button"
          aria-pressed={view === v}
          onClick={() => void setState({ view: v === "graph" ? null : v })}
        >
          {LABELS[v]}
        </button>
      ))}
    </fieldset>
  );
}
