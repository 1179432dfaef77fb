"use client";

import { useQueryStates } from "nuqs";
import { explorerParsers } from "../url-state";

/** The default view is agent activity; one click brings the console's own events (sign-ins…) in. */
export function ConsoleToggle({ on, overridden }: { on: boolean; overridden: boolean }) {
  const [, setParams] = useQueryStates(explorerParsers, { shallow: false, history: "push" });
  return (
    <button
      type="button"
      className="chip toggle-chip"
      aria-pressed={on}
      data-testid="console-toggle"
      title={overridden ? "Your query names a type:, which decides" : undefined}
      onClick={() => void setParams({ console: !on, cursor: null, before: null })}
    >
      {on ? "✓ " : ""}Include console activity
    </button>
  );
}
