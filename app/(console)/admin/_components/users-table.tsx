"use client";

import { useState } from "react";
import { ActionStatus } from "@/components/ui/action-status";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { useActionMessage } from "@/components/ui/use-action-message";
import type { ConsoleUserRow } from "@/lib/data/console-users";
import { formatTime } from "@/lib/format/time";
import { setConsoleUserDisabledAction, setConsoleUserRoleAction } from "../actions";

const ROLES = ["viewer", "investigator", "admin"] as const;
type Role = (typeof ROLES)[number];

// What each role may do, said in the confirmation so an admin sees what the change grants.
const ROLE_MEANS: Record<Role, string> = {
  viewer: "sees the overview and people's days, without reasons or capabilities",
  investigator: "searches and exports every event and capability, and keeps cases",
  admin: "also issues escalations, revokes sessions and capabilities, and manages users and keys",
};

type Pending =
  | { kind: "role"; user: ConsoleUserRow; role: Role }
  | { kind: "disable"; user: ConsoleUserRow }
  | null;

export function UsersTable({ users, selfId }: { users: ConsoleUserRow[]; selfId: string }) {
  const { pending, message, run } = useActionMessage();
  const [asking, setAsking] = useState<Pending>(null);
  // The select shows the asked-for role only after it is confirmed and saved.
  const [shownRole, setShownRole] = useState<Record<string, Role>>({});

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
                  value={shownRole[u.id] ?? u.role}
                  disabled={pending || u.id === selfId}
                  onChange={(e) => setAsking({ kind: "role", user: u, role: e.target.value as Role })}
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
              <td className="mono">{formatTime(u.lastLoginAt, "min", "never")}</td>
              <td>
                {u.id === selfId ? null : (
                  <button
                    type="button"
                    className={u.disabled ? undefined : "danger"}
                    disabled={pending}
                    onClick={() =>
                      u.disabled
                        ? run(`${u.email} enabled.`, () =>
                            setConsoleUserDisabledAction({ userId: u.id, disabled: false }),
                          )
                        : setAsking({ kind: "disable", user: u })
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
      <ConfirmDialog
        open={asking !== null}
        title={
          asking?.kind === "role"
            ? `Make ${asking.user.email} ${article(asking.role)} ${asking.role}?`
            : asking?.kind === "disable"
              ? `Disable ${asking.user.email}?`
              : ""
        }
        confirmLabel={asking?.kind === "disable" ? "Disable" : "Change role"}
        // Granting more power is the change to stop and read.
        danger={
          asking?.kind === "disable" ||
          (asking?.kind === "role" && ROLES.indexOf(asking.role) > ROLES.indexOf(asking.user.role as Role))
        }
        onCancel={() => setAsking(null)}
        onConfirm={() => {
          const a = asking;
          setAsking(null);
          if (a?.kind === "role") {
            setShownRole((m) => ({ ...m, [a.user.id]: a.role }));
            run(`${a.user.email} is now ${a.role}.`, async () => {
              const r = await setConsoleUserRoleAction({ userId: a.user.id, role: a.role });
              if (!r.ok) setShownRole(({ [a.user.id]: _, ...rest }) => rest);
              return r;
            });
          } else if (a?.kind === "disable") {
            run(`${a.user.email} disabled.`, () =>
              setConsoleUserDisabledAction({ userId: a.user.id, disabled: true }),
            );
          }
        }}
      >
        {asking?.kind === "role" ? (
          <p>
            From {asking.user.role} to {asking.role}: {article(asking.role)} {asking.role}{" "}
            {ROLE_MEANS[asking.role]}. The change applies to their next page and is recorded in the audit log.
          </p>
        ) : asking?.kind === "disable" ? (
          <p>
            Their console sessions end at once and they cannot sign in until an admin enables them again. The
            change is recorded in the audit log.
          </p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}

const article = (role: Role) => (role === "admin" || role === "investigator" ? "an" : "a");
