import Link from "next/link";
import { explorerHref } from "@/app/(console)/events/url-state";
import { capabilityHref, requestHref } from "@/app/(console)/requests/search-params";
import { formatTime, plural } from "@/lib/format/time";
import type { BlockDiff, CompareDiff, CompareSide } from "@/lib/graph/compare";

const CALLS_SHOWN = 40;
const OUTCOMES = ["allowed", "denied", "error"] as const;

function Differs({ when }: { when: boolean }) {
  return when ? (
    <span className="diff-mark" title="Differs between A and B">
      ≠ <span className="sr-only">differs</span>
    </span>
  ) : null;
}

function sideHref(side: CompareSide): string {
  return side.kind === "capability"
    ? capabilityHref(side.id, side.tenant)
    : requestHref(side.id, side.tenant);
}

function RightsCell({
  block,
  only,
  letter,
  tenant,
}: {
  block: BlockDiff["a"];
  only: string[];
  letter: "A" | "B";
  tenant: string;
}) {
  if (!block) return <td className="muted">no such block in {letter}</td>;
  const mark = new Set(only);
  return (
    <td>
      <div>
        <Link className="mono" href={capabilityHref(block.capabilityId, tenant)}>
          {block.agent}
        </Link>{" "}
        <span className={`badge kind-${block.kind}`}>{block.kind}</span>
      </div>
      <ul className="outline" style={{ paddingLeft: 0 }}>
        {block.rights.length === 0 ? <li className="muted">no rights</li> : null}
        {block.rights.map((r) => (
          <li key={r} className={mark.has(r) ? "diff-only mono" : "mono"}>
            {mark.has(r) ? (
              <span className="diff-mark" aria-hidden="true">
                +{" "}
              </span>
            ) : null}
            {r}
            {mark.has(r) ? <span className="sr-only"> (only in {letter})</span> : null}
          </li>
        ))}
      </ul>
      {block.budget.length ? <div className="muted">Budget: {block.budget.join(", ")}</div> : null}
      <div className="muted">Expires: {formatTime(block.expiresAt)}</div>
      {block.narrowed.length ? <div>Narrowed: {block.narrowed.join(" · ")}</div> : null}
    </td>
  );
}

function CallsList({ side }: { side: CompareSide }) {
  const shown = side.calls.slice(0, CALLS_SHOWN);
  const q = side.kind === "capability" ? `cap:${side.id}` : `request:${JSON.stringify(side.id)}`;
  return (
    <div className="card" data-testid={`compare-calls-${side.id}`}>
      <h3 style={{ margin: "0 0 6px", fontSize: 14, overflowWrap: "anywhere" }}>
        {side.kind === "capability" ? "Capability" : "Request"} <span className="mono">{side.id}</span>
      </h3>
      {shown.length === 0 ? <p className="muted">No calls.</p> : null}
      <ol className="outline" style={{ paddingLeft: 0 }}>
        {shown.map((c) => (
          <li key={c.id} className={c.outcome === "allowed" ? undefined : "error"}>
            <span className="mono">{formatTime(c.ts)}</span> <span className="mono">{c.tool ?? "?"}</span>{" "}
            {c.outcome === "allowed" ? "✓ allowed" : c.outcome === "denied" ? "✗ denied" : "! error"}
            {c.reason ? <span className="muted"> — {c.reason}</span> : null}
          </li>
        ))}
      </ol>
      {side.calls.length > CALLS_SHOWN || side.callsTruncated ? (
        <p className="muted">
          {side.callsTruncated ? "More" : plural(side.calls.length - CALLS_SHOWN, "more call")} in{" "}
          <Link
            href={explorerHref({
              q: `${q} tenant:${JSON.stringify(side.tenant)} type:tool.call`,
              range: "all",
              sort: "ts_asc",
              cols: "",
            })}
          >
            the explorer
          </Link>
          .
        </p>
      ) : null}
    </div>
  );
}

export function CompareView({ a, b, diff }: { a: CompareSide; b: CompareSide; diff: CompareDiff }) {
  const blockWord = a.kind === "capability" ? "Rights per block" : "Rights per capability";
  return (
    <>
      <div className="table-wrap">
        <table className="data" style={{ tableLayout: "fixed" }} data-testid="compare-summary">
          <caption className="sr-only">A and B at a glance</caption>
          <thead>
            <tr>
              <th scope="col" style={{ width: "18%" }} />
              <th scope="col">A</th>
              <th scope="col">B</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">{a.kind === "capability" ? "Capability" : "Request"}</th>
              {[a, b].map((s) => (
                <td key={s.id} className="mono" style={{ overflowWrap: "anywhere" }}>
                  <Link href={sideHref(s)}>{s.id}</Link>
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row">Principal / agent</th>
              {[a, b].map((s) => (
                <td key={s.id}>
                  {s.principal ?? "—"} / {s.agent ?? "—"}
                </td>
              ))}
            </tr>
            {OUTCOMES.map((o) => (
              <tr key={o} className={diff.countsDiffer[o] ? "diff-only" : undefined}>
                <th scope="row">
                  Calls {o} <Differs when={diff.countsDiffer[o]} />
                </th>
                <td>{a.counts[o].toLocaleString("en")}</td>
                <td>{b.counts[o].toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{blockWord}</h2>
      <p className="muted">
        {a.kind === "capability"
          ? "The authority block, then one block per attenuation, each with what that step narrowed."
          : "Each capability of the request (root, then derived, by depth and agent) with what its step narrowed."}{" "}
        Rights in one side only are marked + and highlighted.
      </p>
      <div className="table-wrap">
        <table className="data" style={{ tableLayout: "fixed" }} data-testid="compare-blocks">
          <thead>
            <tr>
              <th scope="col" style={{ width: "16%" }}>
                Block
              </th>
              <th scope="col">A</th>
              <th scope="col">B</th>
            </tr>
          </thead>
          <tbody>
            {diff.blocks.map((d) => {
              const differs = d.onlyA.length > 0 || d.onlyB.length > 0 || d.narrowedDiffers;
              return (
                <tr key={d.key} data-differs={differs}>
                  <th scope="row">
                    {(d.a ?? d.b)?.label} <Differs when={differs} />
                  </th>
                  <RightsCell block={d.a} only={d.onlyA} letter="A" tenant={a.tenant} />
                  <RightsCell block={d.b} only={d.onlyB} letter="B" tenant={b.tenant} />
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <h2>Calls by tool</h2>
      {diff.tools.length === 0 ? (
        <p className="muted">Neither made a call.</p>
      ) : (
        <div className="table-wrap">
          <table className="data" data-testid="compare-tools">
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">A: allowed / denied / error</th>
                <th scope="col">B: allowed / denied / error</th>
              </tr>
            </thead>
            <tbody>
              {diff.tools.map((t) => (
                <tr key={t.tool} className={t.differs ? "diff-only" : undefined}>
                  <th scope="row" className="mono">
                    {t.tool} <Differs when={t.differs} />
                  </th>
                  <td>
                    {t.a.allowed} / {t.a.denied} / {t.a.error}
                  </td>
                  <td>
                    {t.b.allowed} / {t.b.denied} / {t.b.error}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Calls</h2>
      <div className="compare-grid">
        <CallsList side={a} />
        <CallsList side={b} />
      </div>
    </>
  );
}
