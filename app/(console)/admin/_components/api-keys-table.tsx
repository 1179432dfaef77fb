"use client";

import { ActionStatus } from "@/components/ui/action-status";
import { useActionMessage } from "@/components/ui/use-action-message";
import { formatTime } from "@/lib/format/time";
import { revokeApiKeyAction } from "../keys-actions";

export interface ApiKeyView {
  id: string;
  tenant: string;
  source: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const when = (iso: string | null) => formatTime(iso, "s", "never");

export function ApiKeysTable({ keys }: { keys: ApiKeyView[] }) {
  const { pending, message, run } = useActionMessage();

  function revoke(k: ApiKeyView) {
    if (!window.confirm(`Revoke ${k.prefix}… (${k.source} in ${k.tenant})? Its sender is refused at once.`))
      return;
    run(`Revoked ${k.prefix}….`, () => revokeApiKeyAction({ id: k.id }));
  }

  if (keys.length === 0)
    return <p className="muted">No ingest keys yet: create one below for each agent platform.</p>;
  return (
    <>
      <table className="data" aria-busy={pending} aria-label="Ingest API keys">
        <thead>
          <tr>
            <th>Tenant</th>
            <th>Source</th>
            <th>Key</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Status</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-testid={`api-key-row-${k.prefix}`}>
              <td>{k.tenant}</td>
              <td>{k.source}</td>
              <td className="mono">{k.prefix}…</td>
              <td>{when(k.createdAt)}</td>
              <td>{when(k.lastUsedAt)}</td>
              <td>
                <span className={`badge ${k.revokedAt ? "disabled" : ""}`}>
                  {k.revokedAt ? `revoked ${when(k.revokedAt)}` : "active"}
                </span>
              </td>
              <td className="row-actions">
                {k.revokedAt ? null : (
                  <button type="button" className="danger" disabled={pending} onClick={() => revoke(k)}>
                    Revoke
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
