"use client";

import type { BundleReport, CheckState } from "@capability-console/sdk/evidence";
import { verifyBundle } from "@capability-console/sdk/evidence";
import { type DragEvent, useState } from "react";

// Everything happens in this component: the file is read with the File API and checked with the
// SDK's verifier (WebCrypto); nothing is uploaded (no server action, no fetch).

const SHOWN_ROWS = 500;
// Yield to the browser between batches so the progress bar paints. A message, not setTimeout:
// chained timers are clamped (and throttled to 1 s in a background tab).
const nextFrame = () =>
  new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

const cell = (s: CheckState) => (
  <td className={s === "ok" ? "ok" : s === "failed" ? "error" : "muted"}>
    {s === "ok" ? "ok" : s === "failed" ? "FAILED" : "–"}
  </td>
);

// Who the event names: in clear (version 1) or disclosed (version 2); an erased subject's
// principal is withheld, proven by its commitment but unreadable.
function principalCell(e: BundleReport["events"][number]) {
  if (e.withheld.includes("principal")) return <span className="muted">withheld</span>;
  return e.principal ?? <span className="muted">–</span>;
}

async function readFile(input: File | null | undefined): Promise<Uint8Array | null> {
  return input ? new Uint8Array(await input.arrayBuffer()) : null;
}

export function VerifyBundle({ consoleKeys }: { consoleKeys: string[] }) {
  const [keysText, setKeysText] = useState(consoleKeys.join("\n"));
  const [later, setLater] = useState<File | null>(null);
  const [consistency, setConsistency] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [report, setReport] = useState<(BundleReport & { file: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  async function check(file: File) {
    setReport(null);
    setError(null);
    setProgress({ done: 0, total: 0 });
    try {
      const bytes = await readFile(file);
      if (!bytes) return;
      const laterBytes = await readFile(later);
      const consistencyBytes = await readFile(consistency);
      if ((laterBytes === null) !== (consistencyBytes === null))
        throw new Error("Choose both a later checkpoint and its consistency proof, or neither.");
      const trustedKeys = keysText
        .split(/\r?\n/)
        .map((k) => k.trim())
        .filter(Boolean);
      const result = await verifyBundle(bytes, {
        trustedKeys,
        later:
          laterBytes && consistencyBytes
            ? { checkpoint: new TextDecoder().decode(laterBytes), consistencyProof: consistencyBytes }
            : undefined,
        onProgress: async (done, total) => {
          setProgress({ done, total });
          await nextFrame();
        },
      });
      setReport({ ...result, file: file.name });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setProgress(null);
    }
  }

  function onDrop(e: DragEvent<HTMLElement>) {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void check(file);
  }

  // Failing events first (the export event among them), then the rest in bundle order.
  const all = report ? [...report.events, ...(report.exportEvent ? [report.exportEvent] : [])] : [];
  const rows = [...all.filter((e) => !e.ok), ...all.filter((e) => e.ok)].slice(0, SHOWN_ROWS);

  return (
    <section aria-labelledby="verify-heading">
      <h2 id="verify-heading">Check a bundle</h2>
      <label htmlFor="pinned-keys">Pinned verifier keys (one per line)</label>
      <textarea
        id="pinned-keys"
        className="mono"
        rows={Math.min(4, Math.max(2, consoleKeys.length))}
        style={{ width: "100%" }}
        value={keysText}
        onChange={(e) => setKeysText(e.target.value)}
      />
      <details>
        <summary>Consistency with a later checkpoint (optional)</summary>
        <p>
          <label>
            Later checkpoint (signed note){" "}
            <input type="file" onChange={(e) => setLater(e.target.files?.[0] ?? null)} />
          </label>
        </p>
        <p>
          <label>
            Consistency proof (base64 hash per line){" "}
            <input type="file" onChange={(e) => setConsistency(e.target.files?.[0] ?? null)} />
          </label>
        </p>
      </details>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the drop zone also holds a real file input. */}
      <div
        data-testid="drop-zone"
        className="card"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        style={{
          border: `2px dashed ${dragging ? "currentColor" : "#999"}`,
          padding: "1.5rem",
          textAlign: "center",
          margin: "1rem 0",
        }}
      >
        <p>Drop an evidence bundle (.json) here, or</p>
        <label>
          <span className="sr-only">Bundle file</span>
          <input
            type="file"
            accept=".json,application/json"
            data-testid="bundle-file"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void check(file);
              e.target.value = "";
            }}
          />
        </label>
      </div>
      {progress ? (
        <p aria-live="polite">
          Verifying… <progress max={progress.total || 1} value={progress.done} /> {progress.done} /{" "}
          {progress.total}
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {report ? (
        <div data-testid="verify-report">
          <p
            role="status"
            data-testid="verify-summary"
            className={
              report.verdict === "genuine" ? "ok" : report.verdict === "self-signed" ? "notice" : "error"
            }
          >
            <strong>{report.file}:</strong> {report.summary}
          </p>
          {report.manifest ? (
            <p className="muted">
              Tenant {report.manifest.tenant}; {report.manifest.source.kind}{" "}
              {report.manifest.source.kind === "query"
                ? JSON.stringify(report.manifest.source.query)
                : report.manifest.source.id}
              ; exported by {report.manifest.exportedBy.email} at {report.manifest.exportedAt} (export event{" "}
              <span className="mono">{report.manifest.exportEventId}</span>)
            </p>
          ) : null}
          {report.failures.length ? (
            <ul data-testid="verify-failures">
              {report.failures.slice(0, 50).map((f) => (
                <li key={`${f.where}-${f.check}-${f.message}`} className="error">
                  <strong>{f.where}</strong>: {f.check}: {f.message}
                </li>
              ))}
              {report.failures.length > 50 ? <li>… and {report.failures.length - 50} more</li> : null}
            </ul>
          ) : null}
          {rows.length ? (
            <table className="data" data-testid="verify-events">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Event id</th>
                  <th>Leaf</th>
                  <th>Principal</th>
                  <th>Canonical</th>
                  <th>Signature</th>
                  <th>Inclusion</th>
                  <th>Consistency</th>
                  <th>What failed</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.position} data-ok={e.ok}>
                    <td>{e.position < 0 ? "export" : e.position}</td>
                    <td className="mono">{e.id ?? "?"}</td>
                    <td>{e.leafIndex ?? "?"}</td>
                    <td>{principalCell(e)}</td>
                    {cell(e.checks.canonical)}
                    {cell(e.checks.signature)}
                    {cell(e.checks.inclusion)}
                    {cell(e.checks.consistency)}
                    <td>{e.failures.map((f) => `${f.check}: ${f.message}`).join("; ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {all.length > rows.length ? (
            <p className="muted">
              Showing {rows.length} of {all.length} events (failing ones first).
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
