"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, useTransition } from "react";
import { FieldError } from "@/components/ui/field-error";
import { CASE_VERDICTS, type CaseItemKind, type CaseStatus, type CaseVerdict } from "@/db/schema";
import {
  addCaseNoteAction,
  renameCaseAction,
  setCaseStatusAction,
  setCaseVerdictAction,
  unpinFromCaseAction,
} from "../actions";
import { VERDICT_LABELS } from "./labels";

/** Focuses a field when it appears (stable, so it runs on mount only, not on every render). */
const focusOnMount = (el: HTMLInputElement | null) => el?.focus();

type Result = { ok: boolean; error?: string; fieldErrors?: Record<string, string[]> };

/** Runs an action, refreshes the page's server data on success, keeps the error otherwise. */
function useCaseAction() {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<Result | null>(null);
  const run = (action: () => Promise<Result>, after?: () => void) =>
    start(async () => {
      const res = await action();
      setResult(res);
      if (res.ok) {
        after?.();
        router.refresh();
      }
    });
  return { pending, result, run };
}

export function RenameCase({ id, title }: { id: string; title: string }) {
  const [editing, setEditing] = useState(false);
  const { pending, result, run } = useCaseAction();
  const opener = useRef<HTMLButtonElement>(null);
  if (!editing)
    return (
      <button type="button" ref={opener} onClick={() => setEditing(true)}>
        Rename
      </button>
    );
  const errors = result && !result.ok ? result.fieldErrors : undefined;
  return (
    <form
      className="inline-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const value = String(new FormData(e.currentTarget).get("title") ?? "");
        run(
          () => renameCaseAction({ id, title: value }),
          () => setEditing(false),
        );
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") setEditing(false);
      }}
    >
      <label>
        Title
        <input
          name="title"
          defaultValue={title}
          maxLength={200}
          ref={focusOnMount}
          aria-describedby="rename-title-error"
        />
        <FieldError name="title" errors={errors} id="rename-title-error" />
      </label>
      <button type="submit" className="primary" disabled={pending}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {result && !result.ok && !errors ? <span className="error">{result.error}</span> : null}
    </form>
  );
}

export function CaseStatusButton({ id, status }: { id: string; status: CaseStatus }) {
  const { pending, result, run } = useCaseAction();
  const to = status === "open" ? "closed" : "open";
  return (
    <>
      <button
        type="button"
        disabled={pending}
        onClick={() => run(() => setCaseStatusAction({ id, status: to }))}
      >
        {status === "open" ? "Close case" : "Reopen case"}
      </button>
      {result && !result.ok ? (
        <span role="alert" className="error">
          {result.error}
        </span>
      ) : null}
    </>
  );
}

/** The verdict: pick one, then confirm; the change is recorded with who set it. */
export function VerdictPicker({ id, verdict }: { id: string; verdict: CaseVerdict | null }) {
  const [choice, setChoice] = useState<string>(verdict ?? "");
  const [confirming, setConfirming] = useState(false);
  const { pending, result, run } = useCaseAction();
  const chosenLabel = choice ? VERDICT_LABELS[choice as CaseVerdict] : "no verdict";
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
    >
      <fieldset className="options">
        <legend>Choose the verdict</legend>
        <div className="row-actions">
          {[...CASE_VERDICTS, ""].map((v) => (
            <label key={v || "none"} className="checkbox">
              <input
                type="radio"
                name="verdict"
                value={v}
                checked={choice === v}
                onChange={() => {
                  setChoice(v);
                  setConfirming(false);
                }}
              />
              {v ? VERDICT_LABELS[v as CaseVerdict] : "none yet"}
            </label>
          ))}
        </div>
        <button type="submit" disabled={pending || choice === (verdict ?? "")} style={{ marginTop: 8 }}>
          Set verdict…
        </button>
      </fieldset>
      {confirming ? (
        <fieldset className="verdict-confirm">
          <legend className="sr-only">Confirm verdict</legend>
          <p style={{ margin: "0 0 8px" }}>
            Set the verdict to <strong>{chosenLabel}</strong>? It is recorded in the history under your name.
          </p>
          <div className="row-actions">
            <button
              type="button"
              className="primary"
              disabled={pending}
              onClick={() =>
                run(
                  () => setCaseVerdictAction({ id, verdict: choice || null }),
                  () => setConfirming(false),
                )
              }
            >
              Confirm: {chosenLabel}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </fieldset>
      ) : null}
      {result && !result.ok ? (
        <p role="alert" className="error">
          {result.error}
        </p>
      ) : null}
    </form>
  );
}

export function UnpinButton({
  id,
  kind,
  refId,
  label,
}: {
  id: string;
  kind: CaseItemKind;
  refId: string;
  label: string;
}) {
  const { pending, result, run } = useCaseAction();
  return (
    <span>
      <button
        type="button"
        disabled={pending}
        aria-label={`Unpin ${label}`}
        onClick={() => run(() => unpinFromCaseAction({ id, kind, ref: refId }))}
      >
        Unpin
      </button>
      {result && !result.ok ? <span className="error"> {result.error}</span> : null}
    </span>
  );
}

export function NoteForm({ id }: { id: string }) {
  const { pending, result, run } = useCaseAction();
  const form = useRef<HTMLFormElement>(null);
  const errors = result && !result.ok ? result.fieldErrors : undefined;
  return (
    <form
      ref={form}
      className="case-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const text = String(new FormData(e.currentTarget).get("text") ?? "");
        run(
          () => addCaseNoteAction({ id, text }),
          () => form.current?.reset(),
        );
      }}
    >
      <label>
        Add a note
        <textarea
          name="text"
          rows={3}
          maxLength={5000}
          aria-invalid={Boolean(errors?.text)}
          aria-describedby="text-error"
        />
        <FieldError name="text" errors={errors} />
      </label>
      <p className="row-actions" style={{ marginTop: 8 }}>
        <button type="submit" disabled={pending}>
          {pending ? "Adding…" : "Add note"}
        </button>
        {result && !result.ok && !errors ? (
          <span role="alert" className="error">
            {result.error}
          </span>
        ) : null}
      </p>
    </form>
  );
}
