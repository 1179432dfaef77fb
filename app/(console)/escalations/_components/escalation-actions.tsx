"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/actions/result";
import { approveEscalationAction, rejectEscalationAction, revokeEscalationAction } from "../actions";
import { ReauthDialog } from "./reauth-dialog";
import { useShowToken } from "./token-outbox";

/**
 * Approve or reject a pending escalation. An approval with console delivery answers with the
 * token, which goes to the page's TokenOutbox (it outlives this row, which moves to Active).
 */
export function PendingActions({ id }: { id: string }) {
  const showToken = useShowToken();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<ActionResult<unknown> | null>(null);
  const [reauth, setReauth] = useState(false);
  const approve = () =>
    start(async () => {
      const r = await approveEscalationAction({ id });
      if (!r.ok && "reauth" in r && r.reauth) {
        setReauth(true);
        return;
      }
      if (r.ok && r.data.token) showToken({ token: r.data.token, expiresAt: r.data.expiresAt });
      setResult(r);
    });
  if (result?.ok) return <span className="muted">done</span>;
  return (
    <div className="row-actions">
      <ReauthDialog
        open={reauth}
        onCancel={() => setReauth(false)}
        onConfirmed={() => {
          setReauth(false);
          approve();
        }}
      />
      <button type="button" className="primary" disabled={pending} onClick={approve}>
        Approve
      </button>
      <button
        type="button"
        disabled={pending}
        onClick={() => start(async () => setResult(await rejectEscalationAction({ id })))}
      >
        Reject
      </button>
      {result && !result.ok && (
        <span role="status" className="error">
          {result.error}
        </span>
      )}
    </div>
  );
}

export function RevokeEscalation({ id }: { id: string }) {
  const [pending, start] = useTransition();
  const [reason, setReason] = useState("");
  const [result, setResult] = useState<ActionResult<{ cursor: number }> | null>(null);
  return (
    <div className="row-actions">
      <input
        aria-label="Reason"
        placeholder="reason"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <button
        type="button"
        className="danger"
        disabled={pending || reason.trim() === ""}
        onClick={() =>
          start(async () => setResult(await revokeEscalationAction({ escalationId: id, reason })))
        }
      >
        Revoke
      </button>
      {result && (
        <span role="status" className={result.ok ? "ok" : "error"}>
          {result.ok ? "Revoked." : result.error}
        </span>
      )}
    </div>
  );
}
