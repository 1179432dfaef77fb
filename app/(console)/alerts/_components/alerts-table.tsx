"use client";

import Link from "next/link";
import { ActionStatus } from "@/components/ui/action-status";
import { useActionMessage } from "@/components/ui/use-action-message";
import { formatTime } from "@/lib/format/time";
import { triageAlertAction } from "../actions";

export interface AlertRow {
  tenant: string;
  id: string;
  ruleName: string;
  severity: string;
  title: string;
  status: "open" | "acknowledged" | "suppressed" | "resolved";
  openedAt: string;
  triggerTs: string;
  triggerId: string | null;
  updatedBy: string | null;
  note: string | null;
}

const when = (iso: string) => formatTime(iso);
const STEPS: { to: AlertRow["status"]; label: string; from: AlertRow["status"][] }[] = [
  { to: "acknowledged", label: "Acknowledge", from: ["open"] },
  { to: "suppressed", label: "Suppress", from: ["open", "acknowledged"] },
  { to: "resolved", label: "Resolve", from: ["open", "acknowledged", "suppressed"] },
  { to: "open", label: "Reopen", from: ["resolved", "suppressed"] },
];

export function AlertsTable({ alerts }: { alerts: AlertRow[] }) {
  const { pending, message, run } = useActionMessage();
  if (alerts.length === 0) return <p className="muted">No alerts here.</p>;
  return (
    <>
      <table className="data" aria-busy={pending} aria-label="Alerts">
        <thead>
          <tr>
            <th>Severity</th>
            <th>Alert</th>
            <th>When</th>
            <th>Status</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={`${a.tenant}/${a.id}`} data-testid={`alert-${a.id}`}>
              <td>
                <span className={`badge severity-${a.severity}`}>{a.severity}</span>
              </td>
              <td>
                {a.title}
                <div className="muted">
                  {a.tenant}
                  {a.triggerId ? (
                    <>
                      {" · "}
                      <Link
                        href={`/events?q=${encodeURIComponent(`tenant:${a.tenant}`)}&event=${a.triggerId}`}
                      >
                        trigger event
                      </Link>
                    </>
                  ) : null}
                </div>
              </td>
              <td>
                {when(a.triggerTs)}
                <div className="muted">opened {when(a.openedAt)}</div>
              </td>
              <td>
                {a.status}
                {a.updatedBy ? <div className="muted">by {a.updatedBy}</div> : null}
                {a.note ? <div className="muted">{a.note}</div> : null}
              </td>
              <td className="row-actions">
                {STEPS.filter((s) => s.from.includes(a.status)).map((s) => (
                  <button
                    key={s.to}
                    type="button"
                    disabled={pending}
                    onClick={() =>
                      run(`${s.label}d: ${a.ruleName}.`, () =>
                        triageAlertAction({ tenant: a.tenant, id: a.id, to: s.to }),
                      )
                    }
                  >
                    {s.label}
                  </button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionStatus message={message} />
    </>
  );
}
