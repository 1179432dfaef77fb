"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/actions/result";
import { approveEscalationAction, rejectEscalationAction, revokeEscalationAction } from "../actions";
import { TokenOnce } from "./token-once";

/**
 * Approve or reject a pending escalation. An approval with console delivery answers with the
 * token, shown here once: the page is refreshed (moving the row to Active) only when the
 * approving admin is done with it, or the refresh would take the token away with the row.
 */
export function PendingActions({ id }: { id: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<
    Awaited<ReturnType<typeof approveEscalationAction>> | ActionResult | null
  >(null);
  return (
    <div className="row-actions">
      <button
        type="button"
        className="primary"
        disabled={pending}
        onClick={() => start(async () => setResult(await approveEscalationAction({ id })))}
      >
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
      {result?.ok && result.data && "token" in result.data && result.data.token ? (
        <TokenOnce
          token={result.data.token}
          expiresAt={result.data.expiresAt}
          onDone={() => {
            setResult(null);
            router.refresh();
          }}
        />
      ) : null}
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
