"use client";

import { useState, useTransition } from "react";
import type { AuditLogCheck } from "@/lib/data/api-keys-admin";
import { plural } from "@/lib/format/time";
import { verifyAuditLogAction } from "../keys-actions";

export function VerifyLogPanel() {
  const [pending, startTransition] = useTransition();
  const [results, setResults] = useState<AuditLogCheck[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  function run() {
    startTransition(async () => {
      const res = await verifyAuditLogAction({});
      if (res.ok) {
        setResults(res.data);
        setError(null);
      } else setError(res.error);
    });
  }

  return (
    <section aria-labelledby="verify-log-heading">
      <h2 id="verify-log-heading">Audit log integrity</h2>
      <p className="muted">
        Re-derives each tenant's hash chain and Merkle tree and checks them against the signed checkpoints,
        naming the first broken event. The check itself is recorded in the log. Signed checkpoints and proofs
        for auditors: <a href="/log">Audit log proofs</a>.
      </p>
      <button type="button" className="primary" onClick={run} disabled={pending}>
        {pending ? "Verifying…" : "Verify audit log"}
      </button>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {results ? (
        <ul aria-live="polite" data-testid="verify-log-results">
          {results.map((r) => (
            <li key={r.tenant} className={r.ok ? "ok" : "error"}>
              <strong>{r.tenant}</strong>:{" "}
              {r.ok
                ? `intact, ${plural(r.rows, "event")}${r.latestCheckpoint ? `, verified through signed checkpoint seq ${r.latestCheckpoint.seq}` : ""}${r.uncovered > 0 ? ` (${r.uncovered} newer not yet signed)` : ""}`
                : `broken at seq ${r.firstBrokenSeq}`}
              {r.ok ? null : (
                <ul>
                  {r.problems.map((p) => (
                    <li key={`${p.seq}-${p.problem}`}>
                      seq {p.seq}: {p.problem}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
