"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import { reauthenticateAction } from "../actions";

/**
 * Asks for the password in place when the sign-in is older than issuing allows (5 minutes): a
 * modal dialog over the page, so the form behind it keeps every value. `onConfirmed` runs after
 * the server renewed the sign-in (the caller resubmits); Cancel leaves the form as it was.
 */
export function ReauthDialog({
  open,
  onConfirmed,
  onCancel,
}: {
  open: boolean;
  onConfirmed: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      setPassword("");
      setError(null);
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="reauth"
      aria-labelledby="reauth-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          start(async () => {
            const r = await reauthenticateAction({ password });
            if (r.ok) {
              setPassword("");
              onConfirmed();
            } else setError(r.fieldErrors?.password?.join(" ") ?? r.error);
          });
        }}
      >
        <h2 id="reauth-title">Confirm it is you</h2>
        <p className="muted" style={{ margin: 0 }}>
          Issuing an escalation needs a sign-in from the last 5 minutes. Enter your password; the form stays
          as you left it.
        </p>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            autoFocus
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={Boolean(error)}
            aria-describedby="reauth-error"
          />
        </label>
        <p id="reauth-error" role="alert" className="error" style={{ margin: 0 }}>
          {error}
        </p>
        <div className="row-actions">
          <button type="submit" className="primary" disabled={pending || password === ""}>
            {pending ? "Checking…" : "Confirm and continue"}
          </button>
          <button type="button" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
