"use client";

import { useActionState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { eraseSubjectAction } from "../erase-actions";

/**
 * Erase a person (a principal) from one tenant's events inside retention. Cannot be undone:
 * the principal is typed twice, a reference is recorded, and the server asks for a recent sign-in.
 */
export function EraseSubjectForm({ tenants }: { tenants: { id: string; name: string }[] }) {
  const [state, action, pending] = useActionState(eraseSubjectAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  const id = "erase-subject";
  return (
    <form key={JSON.stringify(v ?? null)} action={action} className="card" aria-label="Erase a person's data">
      <div className="form-grid">
        <label>
          Tenant
          <select name="tenant" defaultValue={v?.tenant ?? tenants[0]?.id ?? ""}>
            {tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
          <FieldError name="tenant" errors={fe} id={`${id}-tenant-error`} />
        </label>
        <label>
          Principal, exactly as events name it
          <input
            name="subject"
            autoComplete="off"
            spellCheck={false}
            placeholder="alice@acme.example"
            defaultValue={v?.subject ?? ""}
            aria-invalid={Boolean(fe?.subject)}
            aria-describedby={`${id}-subject-error`}
          />
          <FieldError name="subject" errors={fe} id={`${id}-subject-error`} />
        </label>
        <label>
          Type the principal again
          <input
            name="confirm"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={Boolean(fe?.confirm)}
            aria-describedby={`${id}-confirm-error`}
          />
          <FieldError name="confirm" errors={fe} id={`${id}-confirm-error`} />
        </label>
        <label>
          Request reference (ticket or case number; recorded, the name is not)
          <input
            name="reference"
            autoComplete="off"
            placeholder="DSR-1042"
            defaultValue={v?.reference ?? ""}
            aria-invalid={Boolean(fe?.reference)}
            aria-describedby={`${id}-reference-error`}
          />
          <FieldError name="reference" errors={fe} id={`${id}-reference-error`} />
        </label>
        <div>
          <button type="submit" className="danger" disabled={pending} aria-describedby={`${id}-status`}>
            {pending ? "Erasing… (a busy person's events take a while)" : "Erase this person's data"}
          </button>
        </div>
      </div>
      <p id={`${id}-status`} role="status" aria-live="polite" className={state?.ok ? "ok" : "error"}>
        {state?.ok
          ? `Erased from ${state.data.events} ${state.data.events === 1 ? "event" : "events"} of ${state.data.tenant}; the audit log still verifies.${
              state.data.notErasable > 0
                ? ` ${state.data.notErasable} ${state.data.notErasable === 1 ? "event" : "events"} cannot be erased (stored before erasure existed, or the console's own records) and still name the person until retention removes them.`
                : ""
            }`
          : state?.error}
      </p>
    </form>
  );
}
