import type { Metadata } from "next";
import { requirePermission } from "@/lib/auth/guard";
import { formatTime, plural } from "@/lib/format/time";
import { listTenantLogs } from "@/lib/merkle/console";
import { getDb } from "@/lib/server/db";

export const metadata: Metadata = { title: "Audit log proofs" };

// The Merkle log for investigators (issue 15): each tenant's latest signed checkpoint, and forms
// that fetch proofs from GET /api/log/* (the same answers agent platforms get from /api/v1/log/*
// with an API key). Everything here is plain text anyone can check offline with the vkeys.
export default async function Page() {
  const authority = await requirePermission("log.read");
  const logs = await listTenantLogs(await getDb(), authority);
  return (
    <>
      <h1>Audit log proofs</h1>
      <p className="muted">
        Each tenant&apos;s events form a Merkle tree (RFC 6962). The console signs a checkpoint of it (C2SP
        tlog-checkpoint) within 5 seconds of every event; an inclusion proof shows one event is in a signed
        checkpoint, a consistency proof that a later checkpoint extends an earlier one. Check them with the
        verifier keys, with nothing else.
      </p>
      {logs.length === 0 ? <p className="notice">No tenant in your scope.</p> : null}
      {logs.map((log) => {
        const t = encodeURIComponent(log.tenant);
        return (
          <section key={log.tenant} className="card" aria-labelledby={`log-${t}`}>
            <h2 id={`log-${t}`}>{log.tenant}</h2>
            {log.latest ? (
              <>
                <p>
                  {plural(log.events, "event")}; latest signed checkpoint: tree size{" "}
                  <strong>{log.latest.size}</strong>, signed {formatTime(log.latest.signedAt)} with{" "}
                  {log.latest.kid}.
                </p>
                <pre className="mono" data-testid={`checkpoint-${log.tenant}`}>
                  {log.latest.note}
                </pre>
                <p>
                  <a href={`/api/log/checkpoint?tenant=${t}`}>Checkpoint (text)</a> ·{" "}
                  <a href={`/api/log/keys?tenant=${t}`}>Verifier keys (vkeys)</a>
                </p>
                <form method="get" action="/api/log/proof/inclusion">
                  <input type="hidden" name="tenant" value={log.tenant} />
                  <label>
                    Inclusion proof for event id <input name="event" required maxLength={200} />
                  </label>{" "}
                  <label>
                    against checkpoint size{" "}
                    <select name="size" defaultValue="">
                      <option value="">latest</option>
                      {log.sizes.map((s) => (
                        <option key={s} value={s}>
                          {s}
                        </option>
                      ))}
                    </select>
                  </label>{" "}
                  <button type="submit">Get proof</button>
                </form>
                {log.sizes.length > 1 ? (
                  <form method="get" action="/api/log/proof/consistency">
                    <input type="hidden" name="tenant" value={log.tenant} />
                    <label>
                      Consistency proof from size{" "}
                      <select name="from" defaultValue={log.sizes.at(-1)}>
                        {log.sizes.map((s) => (
                          <option key={s} value={s}>
                            {s}
                          </option>
                        ))}
                      </select>
                    </label>{" "}
                    <label>
                      to{" "}
                      <select name="to" defaultValue={log.sizes[0]}>
                        {log.sizes.map((s) => (
                          <option key={s} value={s}>
                            {s}
                          </option>
                        ))}
                      </select>
                    </label>{" "}
                    <button type="submit">Get proof</button>
                  </form>
                ) : null}
              </>
            ) : (
              <p className="notice">
                No signed checkpoint yet
                {log.events > 0 ? ": the console signs one within 5 seconds" : ": no events yet"}.
              </p>
            )}
          </section>
        );
      })}
    </>
  );
}
