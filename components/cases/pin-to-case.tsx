"use client";

import "./cases.css";
import Link from "next/link";
import { type KeyboardEvent, useCallback, useEffect, useId, useRef, useState, useTransition } from "react";
import { keepTabInside } from "@/components/ui/focus-trap";
import type { CaseItemKind } from "@/db/schema";

// "Pin to case" (issue 12), for an event, capability or request wherever it is shown. It asks the
// server first which open cases the signer has in the item's tenant: a role that may not use cases
// (viewers) gets a refusal and the button is not shown (the server refuses the pin anyway). The
// server actions come in as props (components never import a route's actions): routes use
// app/(console)/cases/_components/pin-to-case.tsx, which binds them.

/** Focuses a field when it appears (module-level, so it runs on mount only, not on every render). */
const focusOnMount = (el: HTMLInputElement | null) => el?.focus();

interface CaseRef {
  id: string;
  title: string;
}

type Result<T> = { ok: true; data: T } | { ok: false; error: string; fieldErrors?: Record<string, string[]> };

export interface PinActions {
  list(input: {
    tenant: string | null;
    kind: CaseItemKind;
    ref: string;
    q: string;
  }): Promise<Result<{ tenant: string; open: CaseRef[]; pinned: CaseRef[] }>>;
  pin(input: { id: string; kind: CaseItemKind; ref: string }): Promise<Result<unknown>>;
  pinToNew(input: {
    tenant: string;
    title: string;
    pin: { kind: CaseItemKind; ref: string };
  }): Promise<Result<CaseRef>>;
}

export function PinToCaseView({
  tenant,
  kind,
  refId,
  actions,
}: {
  actions: PinActions;
  /** The item's tenant, or null to let the server find the only tenant in view holding it. */
  tenant: string | null;
  kind: CaseItemKind;
  refId: string;
}) {
  const [state, setState] = useState<{ tenant: string; open: CaseRef[]; pinned: CaseRef[] } | null>(null);
  const [dialog, setDialog] = useState(false);
  const [creating, setCreating] = useState(false);
  const [q, setQ] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const trigger = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const headingId = useId();
  const searchId = useId();

  const load = useCallback(
    async (query: string) => {
      const res = await actions.list({ tenant, kind, ref: refId, q: query });
      if (res.ok) setState(res.data);
      return res;
    },
    [tenant, kind, refId, actions],
  );

  useEffect(() => {
    void load("");
  }, [load]);

  // Re-list as the person types (a short pause first, so each keystroke is not a request).
  useEffect(() => {
    if (!dialog) return;
    const timer = setTimeout(() => void load(q), 250);
    return () => clearTimeout(timer);
  }, [q, dialog, load]);

  if (!state) return null;

  const close = () => {
    setDialog(false);
    setCreating(false);
    setError(null);
    trigger.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === "Escape") {
      // Only this dialog closes, not a sheet it sits in.
      e.stopPropagation();
      close();
      return;
    }
    keepTabInside(e, panel.current);
  };

  const done = (res: { ok: true; data: CaseRef } | { ok: false; error: string }) => {
    if (!res.ok) {
      setError(res.error);
      return;
    }
    setState((s) => (s ? { ...s, pinned: [res.data, ...s.pinned.filter((p) => p.id !== res.data.id)] } : s));
    close();
  };

  const pinTo = (c: CaseRef) =>
    start(async () => {
      const res = await actions.pin({ id: c.id, kind, ref: refId });
      done(res.ok ? { ok: true, data: { id: c.id, title: c.title } } : res);
    });

  const pinToNew = (title: string) =>
    start(async () => {
      const res = await actions.pinToNew({ tenant: state.tenant, title, pin: { kind, ref: refId } });
      if (!res.ok && res.fieldErrors?.title) setError(res.fieldErrors.title.join(" "));
      else done(res);
    });

  const pinnedIds = new Set(state.pinned.map((p) => p.id));
  const latest = state.pinned[0];
  return (
    <span className="pin-to-case" data-testid="pin-to-case">
      <button
        type="button"
        ref={trigger}
        aria-haspopup="dialog"
        aria-expanded={dialog}
        onClick={() => (dialog ? close() : setDialog(true))}
      >
        Pin to case
      </button>
      <span role="status" aria-live="polite">
        {latest ? (
          <>
            Pinned to <Link href={`/cases/${latest.id}`}>{latest.title}</Link>
            {state.pinned.length > 1 ? (
              <span className="muted"> and {state.pinned.length - 1} more</span>
            ) : null}
          </>
        ) : null}
      </span>
      {dialog ? (
        <div
          ref={panel}
          className="pin-dialog"
          role="dialog"
          aria-modal="true"
          aria-labelledby={headingId}
          onKeyDown={onKeyDown}
        >
          <h3 id={headingId}>Pin this {kind} to a case</h3>
          {creating ? (
            <form
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                pinToNew(String(new FormData(e.currentTarget).get("title") ?? ""));
              }}
            >
              <label>
                New case title
                <input
                  name="title"
                  ref={focusOnMount}
                  maxLength={200}
                  aria-describedby={error ? `${headingId}-error` : undefined}
                />
              </label>
              <div className="dialog-actions" style={{ marginTop: 8 }}>
                <button type="submit" className="primary" disabled={pending}>
                  {pending ? "Opening…" : "Open case and pin"}
                </button>
                <button type="button" onClick={() => setCreating(false)}>
                  Back
                </button>
              </div>
            </form>
          ) : (
            <>
              <label htmlFor={searchId}>Search your open cases</label>
              <input
                id={searchId}
                ref={focusOnMount}
                type="search"
                value={q}
                onChange={(e) => setQ(e.target.value)}
                maxLength={200}
              />
              {state.open.length === 0 ? (
                <p className="muted" style={{ margin: 0 }}>
                  {q ? "No open case matches." : `No open cases in ${state.tenant} yet.`}
                </p>
              ) : (
                <ul aria-label="Open cases">
                  {state.open.map((c) => (
                    <li key={c.id}>
                      <button
                        type="button"
                        disabled={pending || pinnedIds.has(c.id)}
                        onClick={() => pinTo(c)}
                      >
                        {c.title}
                        {pinnedIds.has(c.id) ? <span className="muted"> (pinned)</span> : null}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
              <div className="dialog-actions">
                <button type="button" onClick={() => setCreating(true)}>
                  New case…
                </button>
                <button type="button" onClick={close}>
                  Cancel
                </button>
              </div>
            </>
          )}
          {error ? (
            <p id={`${headingId}-error`} role="alert" className="error" style={{ margin: 0 }}>
              {error}
            </p>
          ) : null}
        </div>
      ) : null}
    </span>
  );
}
