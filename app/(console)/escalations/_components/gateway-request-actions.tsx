"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/actions/result";
import { dismissGatewayRequestAction, grantGatewayRequestAction } from "../gateway-actions";

/** Grant (issues the escalation) or dismiss one request of an agent. */
export function GatewayRequestActions({ id }: { id: string }) {
  const [pending, start] = useTransition();
  const [result, setResult] = useState<ActionResult<unknown> | null>(null);
  const [done, setDone] = useState<string | null>(null);
  if (result?.ok) return <span className="ok">{done}</span>;
  return (
    <>
      <div className="row-actions" style={{ flexWrap: "nowrap" }}>
        <button
          type="button"
          className="primary"
          disabled={pending}
          onClick={() =>
            start(async () => {
              const r = await grantGatewayRequestAction({ id });
              setDone(
                r.ok && r.data.escalationStatus === "pending"
                  ? "Granted; waiting for a second admin."
                  : "Granted for 60 s.",
              );
              setResult(r);
            })
          }
        >
          Grant
        </button>
        <button
          type="button"
          disabled={pending}
          onClick={() =>
            start(async () => {
              setDone("Dismissed.");
              setResult(await dismissGatewayRequestAction({ id }));
            })
          }
        >
          Dismiss
        </button>
      </div>
      {result && !result.ok ? (
        <p role="status" className="error" style={{ margin: "4px 0 0", maxWidth: 260 }}>
          {result.error}
        </p>
      ) : null}
    </>
  );
}
