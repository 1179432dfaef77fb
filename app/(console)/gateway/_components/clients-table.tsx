"use client";

import { ActionStatus } from "@/components/ui/action-status";
import { useActionMessage } from "@/components/ui/use-action-message";
import { formatTime } from "@/lib/format/time";
import { revokeGatewayClientAction } from "../actions";

export interface GatewayClientView {
  id: string;
  tenant: string;
  name: string;
  principal: string;
  agent: string;
  groups: string[];
  prefix: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

const when = (iso: string) => formatTime(iso, "min");

export function ClientsTable({ clients, manage }: { clients: GatewayClientView[]; manage: boolean }) {
  const { pending, message, run } = useActionMessage();

  function revoke(c: GatewayClientView) {
    if (
      !window.confirm(
        `Revoke ${c.name} (${c.prefix}…, ${c.agent} for ${c.principal} in ${c.tenant})? The gateway refuses it from its next poll, within a second.`,
      )
    )
      return;
    run(`Revoked ${c.name}.`, () => revokeGatewayClientAction({ id: c.id }));
  }

  if (clients.length === 0)
    return (
      <p className="muted">
        No gateway clients yet
        {manage ? ": issue one above for each agent that connects to the gateway." : "."}
      </p>
    );
  return (
    <>
      <table className="data" aria-busy={pending} aria-label="Gateway clients" style={{ marginTop: 12 }}>
        <thead>
          <tr>
            <th>Tenant</th>
            <th>Name</th>
            <th>Principal / agent</th>
            <th>Groups</th>
            <th>Credential</th>
            <th>Issued</th>
            <th>Status</th>
            {manage ? (
              <th>
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {clients.map((c) => (
            <tr key={c.id} data-testid={`gateway-client-${c.prefix}`}>
              <td>{c.tenant}</td>
              <td>{c.name}</td>
              <td>
                {c.principal}
                <br />
                <span className="muted mono">{c.agent}</span>
              </td>
              <td>{c.groups.length ? c.groups.join(", ") : <span className="muted">none</span>}</td>
              <td className="mono">{c.prefix}…</td>
              <td>
                {when(c.createdAt)}
                <br />
                <span className="muted">by {c.createdBy}</span>
              </td>
              <td>
                <span className={`badge ${c.revokedAt ? "bad" : "ok"}`}>
                  {c.revokedAt ? "revoked" : "active"}
                </span>
                {c.revokedAt ? (
                  <>
                    <br />
                    <span className="muted">
                      {when(c.revokedAt)} by {c.revokedBy}
                    </span>
                  </>
                ) : null}
              </td>
              {manage ? (
                <td>
                  {c.revokedAt ? null : (
                    <button
                      type="button"
                      className="danger"
                      disabled={pending}
                      onClick={() => revoke(c)}
                      aria-label={`Revoke ${c.name}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      <ActionStatus message={message} />
    </>
  );
}
