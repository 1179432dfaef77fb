"use client";

import { useState } from "react";
import { ActionStatus } from "@/components/ui/action-status";
import { useActionMessage } from "@/components/ui/use-action-message";
import { formatTime } from "@/lib/format/time";
import { retireIssuerKeyAction } from "../tenant-actions";

export interface IssuerKeyView {
  kid: string;
  tenant: string | null;
  publicKey: string;
  status: "active" | "retired";
  createdAt: string;
  verifiesUntil: string | null;
  /** Decided on the server when the page was rendered (active, or retired within its grace). */
  verifying: boolean;
}

const GRACE: { seconds: number; label: string }[] = [
  { seconds: 0, label: "no grace (refuse now)" },
  { seconds: 3600, label: "1 hour grace" },
  { seconds: 86_400, label: "1 day grace" },
  { seconds: 7 * 86_400, label: "7 days grace" },
];

// The same text on the server and in the browser (no locale or time zone of either).
const when = (iso: string) => formatTime(iso, "min");

function RetireControl({
  k,
  run,
  pending,
}: {
  k: IssuerKeyView;
  run: ReturnType<typeof useActionMessage>["run"];
  pending: boolean;
}) {
  const [grace, setGrace] = useState(86_400);
  return (
    <span className="row-actions">
      <label>
        <span className="sr-only">Grace period for {k.kid}</span>
        <select
          className="compact"
          value={grace}
          onChange={(e) => setGrace(Number(e.target.value))}
          disabled={pending}
        >
          {GRACE.map((g) => (
            <option key={g.seconds} value={g.seconds}>
              {g.label}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="danger"
        disabled={pending}
        onClick={() => {
          const label = GRACE.find((g) => g.seconds === grace)?.label ?? `${grace} s`;
          if (!window.confirm(`Retire ${k.kid}? Tokens it signed stop verifying after: ${label}.`)) return;
          run(`Retired ${k.kid}.`, () => retireIssuerKeyAction({ kid: k.kid, graceSeconds: grace }));
        }}
      >
        Retire
      </button>
    </span>
  );
}

export function IssuerKeysTable({ keys }: { keys: IssuerKeyView[] }) {
  const { pending, message, run } = useActionMessage();
  return (
    <>
      <table className="data" aria-busy={pending} aria-label="Issuer keys">
        <thead>
          <tr>
            <th>Tenant</th>
            <th>Key id</th>
            <th>Public key</th>
            <th>Added</th>
            <th>Status</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const verifying = k.verifying;
            return (
              <tr key={k.kid} data-testid={`issuer-key-row-${k.kid}`}>
                <td>{k.tenant ?? <span className="muted">console</span>}</td>
                <td className="mono">{k.kid}</td>
                <td className="mono" title={k.publicKey}>
                  {k.publicKey.slice(0, 20)}…
                </td>
                <td>{when(k.createdAt)}</td>
                <td>
                  <span className={`badge ${k.status === "retired" ? "disabled" : "ok"}`}>{k.status}</span>
                  {k.status === "retired" && k.verifiesUntil && (
                    <span className="muted">
                      {" "}
                      {verifying ? "verifies until" : "stopped verifying"} {when(k.verifiesUntil)}
                    </span>
                  )}
                </td>
                <td>
                  {k.tenant === null ? (
                    <span className="muted">managed by the deployment</span>
                  ) : k.status === "active" ? (
                    <RetireControl k={k} run={run} pending={pending} />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ActionStatus message={message} />
    </>
  );
}
