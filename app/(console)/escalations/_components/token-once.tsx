"use client";

import { useState } from "react";
import { Countdown } from "@/components/ui/countdown";
import { formatTime } from "@/lib/format/time";

/**
 * The escalation token, shown this once: nothing in the console can show it again. A copy
 * button, and a live countdown to its expiry; `onDone` (when given) dismisses it.
 */
export function TokenOnce({
  token,
  expiresAt,
  onDone,
}: {
  token: string;
  expiresAt?: string;
  onDone?: () => void;
}) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  return (
    <div className="notice" role="status" data-testid="escalation-token">
      <p>
        Hand this token to the agent platform now. It is not stored and will not be shown again.
        {expiresAt ? (
          <>
            {" "}
            It expires at <span className="mono">{formatTime(expiresAt)}</span>:{" "}
            <Countdown until={expiresAt} />
          </>
        ) : null}
      </p>
      <textarea
        readOnly
        aria-label="Escalation token"
        className="mono"
        rows={4}
        style={{ width: "100%" }}
        value={token}
        onFocus={(e) => e.target.select()}
      />
      <p className="row-actions">
        <button
          type="button"
          onClick={() =>
            navigator.clipboard.writeText(token).then(
              () => setCopied("yes"),
              () => setCopied("failed"),
            )
          }
        >
          {copied === "yes" ? "Copied" : "Copy token"}
        </button>
        {copied === "failed" && (
          <span className="error">Copying was refused: select the text and copy it.</span>
        )}
        {onDone && (
          <button type="button" onClick={onDone}>
            Done
          </button>
        )}
      </p>
    </div>
  );
}
