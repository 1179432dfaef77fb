import { CoverageBars } from "@/components/charts/coverage-bars";

export interface CoverageView {
  calls: number;
  covered: number;
  observed: number;
  /** Already formatted ("82%", "—"). */
  percent: string;
  sentence: string;
  series: { label: string; calls: number; covered: number }[];
  rows: { kind: string; name: string; calls: number; covered: number; percent: string }[];
}

/** The coverage figure, its chart over time, and the per-agent/per-tool table. */
export function CoveragePanel({ view, title }: { view: CoverageView; title: string }) {
  return (
    <div className="card" data-testid="coverage">
      <h2 style={{ marginTop: 0 }}>{title}</h2>
      <div style={{ display: "flex", gap: 24, alignItems: "baseline", flexWrap: "wrap" }}>
        <div>
          <div className="stat" data-testid="coverage-figure">
            {view.percent}
          </div>
          <div className="muted">
            of {view.calls.toLocaleString("en")} tool calls carried a capability (
            {view.observed.toLocaleString("en")} observed from traces)
          </div>
        </div>
        <p data-testid="coverage-sentence">{view.sentence}</p>
      </div>
      {view.calls > 0 ? (
        <>
          <CoverageBars
            data={view.series.map((s) => ({
              label: s.label,
              covered: s.covered,
              uncovered: s.calls - s.covered,
            }))}
          />
          <table className="data">
            <thead>
              <tr>
                <th />
                <th>Name</th>
                <th>Tool calls</th>
                <th>Under a capability</th>
              </tr>
            </thead>
            <tbody>
              {view.rows.map((r) => (
                <tr key={`${r.kind}/${r.name}`}>
                  <td className="muted">{r.kind}</td>
                  <td className="mono">{r.name}</td>
                  <td>{r.calls}</td>
                  <td className={r.covered === 0 ? "warn" : undefined}>{r.percent}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}
