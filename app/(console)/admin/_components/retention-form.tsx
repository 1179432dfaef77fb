"use client";

import { useActionState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { setTenantRetentionAction } from "../tenant-actions";

/** One tenant's retention: days its events are kept (empty: forever). docs/retention.md. */
export function TenantRetentionForm({
  tenant,
  name,
  retentionDays,
}: {
  tenant: string;
  name: string;
  retentionDays: number | null;
}) {
  const [state, action, pending] = useActionState(setTenantRetentionAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  const id = `retention-${tenant}`;
  return (
    <form
      key={JSON.stringify(v ?? null)}
      action={action}
      className="card"
      aria-label={`Retention of ${tenant}`}
    >
      <input type="hidden" name="tenant" value={tenant} />
      <div className="form-grid">
        <strong>
          {name} <span className="muted mono">({tenant})</span>
        </strong>
        <label>
          Keep events for (days; empty keeps them forever)
          <input
            name="retentionDays"
            type="number"
            min={1}
            max={36500}
            placeholder="forever"
            defaultValue={v?.retentionDays ?? retentionDays ?? ""}
            aria-invalid={Boolean(fe?.retentionDays)}
            aria-describedby={`${id}-error ${id}-hint`}
          />
          <FieldError name="retentionDays" errors={fe} id={`${id}-error`} />
        </label>
        <p id={`${id}-hint`} className="muted">
          A whole month goes once all of it is older than this: archived (verifiable, restorable), then
          deleted.
        </p>
        <div>
          <button type="submit" disabled={pending} aria-describedby={`${id}-status`}>
            {pending ? "Saving…" : "Save retention"}
          </button>
        </div>
      </div>
      <p id={`${id}-status`} role="status" aria-live="polite" className={state?.ok ? "ok" : "error"}>
        {state?.ok
          ? state.data.retentionDays === null
            ? "Saved: events are kept forever."
            : `Saved: events are kept ${state.data.retentionDays} ${state.data.retentionDays === 1 ? "day" : "days"}.`
          : state?.error}
      </p>
    </form>
  );
}
