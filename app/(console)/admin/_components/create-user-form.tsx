"use client";

import { useActionState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { createConsoleUserAction } from "../actions";

const ROLES = ["viewer", "investigator", "admin"] as const;

export function CreateUserForm({ tenants }: { tenants: string[] }) {
  const [state, action, pending] = useActionState(createConsoleUserAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  // After a refused submission the form is mounted afresh with what was sent as its defaults:
  // React resets a form after its action, and a select keeps only the default it mounted with.
  const v = state && !state.ok ? state.values : undefined;
  const err = (name: string) => <FieldError name={name} errors={fe} />;
  return (
    <form key={JSON.stringify(v ?? null)} action={action} className="card" aria-label="Add a console user">
      <div className="form-grid">
        <label>
          Email
          <input
            name="email"
            type="email"
            required
            defaultValue={v?.email}
            aria-invalid={Boolean(fe?.email)}
            aria-describedby="email-error"
          />
          {err("email")}
        </label>
        <label>
          Name (optional)
          <input name="name" defaultValue={v?.name} />
        </label>
        <label>
          Role
          <select name="role" defaultValue={v?.role || "viewer"}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          {err("role")}
        </label>
        <label>
          Password (optional: blank means single sign-on only)
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            aria-invalid={Boolean(fe?.password)}
            aria-describedby="password-error"
          />
          {err("password")}
        </label>
        <fieldset>
          <legend>Tenants</legend>
          {tenants.map((t) => (
            <label key={t} style={{ flexDirection: "row", alignItems: "center", fontWeight: 400 }}>
              <input
                type="checkbox"
                name="tenants"
                value={t}
                defaultChecked={v ? v.tenants.includes(t) : tenants.length === 1}
              />{" "}
              {t}
            </label>
          ))}
          {err("tenants")}
        </fieldset>
        <div>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Adding…" : "Add user"}
          </button>
        </div>
      </div>
      <p role="status" aria-live="polite" className={state?.ok ? "ok" : "error"}>
        {state?.ok ? `Added ${state.data.email}.` : state?.error}
      </p>
    </form>
  );
}
