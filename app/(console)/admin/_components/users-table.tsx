"use client";

import { ActionStatus } from "@/components/ui/action-status";
import { useActionMessage } from "@/components/ui/use-action-message";
import type { ConsoleUserRow } from "@/lib/data/console-users";
import { setConsoleUserDisabledAction, setConsoleUserRoleAction } from "../actions";

const ROLES = ["viewer", "investigator", "admin"] as const;

export function UsersTable({ users, selfId }: { users: ConsoleUserRow[]; selfId: string }) {
  const { pending, message, run } = useActionMessage();

  return (
    <>
      <table className="data" aria-busy={pending}>
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
            <th>Tenants</th>
            <th>Status</th>
            <th>Last sign-in</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-testid={`user-row-${u.email}`}>
              <td>
                {u.email}
                {u.id === selfId ? <span className="muted"> (you)</span> : null}
              </td>
              <td>
                <select
                  aria-label={`Role of ${u.email}`}
                  defaultValue={u.role}
                  disabled={pending || u.id === selfId}
                  onChange={(e) =>
                    run(`${u.email} is now ${e.target.value}.`, () =>
                      setConsoleUserRoleAction({ userId: u.id, role: e.target.value }),
                    )
                  }
                >
                  {ROLES.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </td>
              <td>{u.tenants.join(", ")}</td>
              <td>
                <span className={`badge ${u.disabled ? "disabled" : ""}`}>
                  {u.disabled ? "disabled" : "active"}
                </span>
              </td>
              <td className="mono">
                {u.lastLoginAt ? u.lastLoginAt.toISOString().slice(0, 16).replace("T", " ") : "never"}
              </td>
              <td>
                {u.id === selfId ? null : (
                  <button
                    type="button"
                    className={u.disabled ? undefined : "danger"}
                    disabled={pending}
                    onClick={() =>
                      run(`${u.email} ${u.disabled ? "enabled" : "disabled"}.`, () =>
                        setConsoleUserDisabledAction({ userId: u.id, disabled: !u.disabled }),
                      )
                    }
                  >
                    {u.disabled ? "Enable" : "Disable"}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionStatus message={message} />
    </>
  );
}
