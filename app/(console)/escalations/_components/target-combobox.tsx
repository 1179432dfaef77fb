"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { EscalationTargetMatch } from "@/lib/data/escalation-targets";
import { formatTime, plural } from "@/lib/format/time";
import { searchEscalationTargetsAction } from "../actions";

/**
 * A text field that searches the admin's sessions (or principals) as they type: the WAI-ARIA
 * combobox pattern (list autocomplete). Arrow keys move through the matches, Enter picks one,
 * Escape closes the list; typing freely is still allowed (the server validates what is sent).
 */
export function TargetCombobox({
  kind,
  name,
  label,
  value,
  tenant,
  onChange,
  onPick,
  placeholder,
  required,
  invalid,
  describedBy,
}: {
  kind: "session" | "principal";
  name: string;
  label: string;
  value: string;
  tenant: string;
  onChange: (value: string) => void;
  onPick: (match: EscalationTargetMatch) => void;
  placeholder?: string;
  required?: boolean;
  invalid?: boolean;
  describedBy?: string;
}) {
  const id = useId();
  const listId = `${id}-list`;
  const [open, setOpen] = useState(false);
  const [matches, setMatches] = useState<EscalationTargetMatch[]>([]);
  const [active, setActive] = useState(-1);
  const [status, setStatus] = useState<"idle" | "loading" | "error">("idle");
  const [message, setMessage] = useState("");
  const query = useRef(0);

  // Searches after a short pause in typing; only the newest answer is shown.
  // A new object per search, so asking again for the same text searches again.
  const [wanted, setWanted] = useState<{ q: string } | null>(null);
  useEffect(() => {
    if (wanted === null) return;
    const n = ++query.current;
    const t = setTimeout(async () => {
      setStatus("loading");
      const r = await searchEscalationTargetsAction({ kind, q: wanted.q, ...(tenant ? { tenant } : {}) });
      if (n !== query.current) return;
      if (r.ok) {
        setMatches(r.data);
        setActive(r.data.length > 0 ? 0 : -1);
        setStatus("idle");
        setMessage("");
      } else {
        setMatches([]);
        setActive(-1);
        setStatus("error");
        setMessage(r.error);
      }
    }, 200);
    return () => clearTimeout(t);
  }, [wanted, kind, tenant]);

  const search = (q: string) => {
    setOpen(true);
    setStatus("loading");
    setWanted({ q });
  };
  const pick = (m: EscalationTargetMatch) => {
    onPick(m);
    setOpen(false);
    setActive(-1);
  };
  const optionId = (i: number) => `${id}-opt-${i}`;
  const showList = open && (matches.length > 0 || status !== "idle" || wanted !== null);

  const inputId = `${id}-input`;
  // The list sits beside the label, not inside it: the field's accessible name stays "{label}".
  return (
    <div className="combo-field">
      <label htmlFor={inputId}>{label}</label>
      <span className="combo">
        <input
          id={inputId}
          name={name}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={showList}
          aria-controls={listId}
          aria-activedescendant={showList && active >= 0 ? optionId(active) : undefined}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          aria-busy={status === "loading"}
          autoComplete="off"
          placeholder={placeholder}
          required={required}
          value={value}
          onChange={(e) => {
            onChange(e.target.value);
            search(e.target.value);
          }}
          onFocus={() => {
            if (!open) search(value);
          }}
          onBlur={() => setOpen(false)}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              if (!open) {
                search(value);
                return;
              }
              const n = matches.length;
              if (n === 0) return;
              setActive((a) => (e.key === "ArrowDown" ? (a + 1) % n : (a - 1 + n) % n));
            } else if (e.key === "Enter") {
              const m = showList && active >= 0 ? matches[active] : undefined;
              if (m) {
                e.preventDefault();
                pick(m);
              }
            } else if (e.key === "Escape" && open) {
              e.preventDefault();
              setOpen(false);
            }
          }}
        />
        <div
          id={listId}
          role="listbox"
          aria-label={`${label} matches`}
          className="combo-list"
          // A list long enough to scroll would be a Tab stop of its own in Chromium (keyboard-
          // focusable scrollers); Tab must go on to the next field, and the arrows pick from here.
          tabIndex={-1}
          hidden={!showList || matches.length === 0}
        >
          {matches.map((m, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard picks from the combobox input (arrows, Enter), as the ARIA pattern has it.
            <div
              key={m.kind === "session" ? `${m.tenant}/${m.session}` : `${m.tenant}/${m.principal}`}
              id={optionId(i)}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              // Keeps the focus in the field: the pick happens on click, the blur never fires first.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(m)}
            >
              {m.kind === "session" ? (
                <>
                  <span className="mono">{m.session}</span>
                  <span className="combo-sub">
                    {m.principal}
                    {m.agent ? ` · ${m.agent}` : ""} · {m.tenant} · {formatTime(m.lastSeen)}
                  </span>
                </>
              ) : (
                <>
                  <span>{m.principal}</span>
                  <span className="combo-sub">
                    {m.tenant} · {plural(m.sessions, "session")} · last {formatTime(m.lastSeen)}
                  </span>
                </>
              )}
            </div>
          ))}
        </div>
        <span className="combo-status" aria-live="polite">
          {showList && matches.length === 0
            ? status === "loading"
              ? "Searching…"
              : status === "error"
                ? message
                : "No matches."
            : ""}
        </span>
      </span>
    </div>
  );
}
