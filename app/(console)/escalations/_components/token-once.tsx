"use client";

/** The escalation token, shown this once: nothing in the console can show it again. */
export function TokenOnce({ token, expiresAt }: { token: string; expiresAt?: string }) {
  return (
    <div className="notice" role="status">
      <p>
        Hand this token to the agent platform now. It is not stored and will not be shown again
        {expiresAt ? `; it expires at ${expiresAt}` : ""}.
      </p>
      <textarea
        readOnly
        className="mono"
        rows={4}
        style={{ width: "100%" }}
        value={token}
        onFocus={(e) => e.target.select()}
      />
    </div>
  );
}
