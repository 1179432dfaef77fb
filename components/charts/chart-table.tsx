/** The numbers behind a chart, as a table in a disclosure (for screen readers and exact reading). */
export function ChartTable({
  summary,
  columns,
  rows,
}: {
  summary: string;
  columns: string[];
  rows: (string | number)[][];
}) {
  return (
    <details className="chart-table">
      <summary>{summary}</summary>
      <table className="data">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={String(r[0])}>
              {r.map((v, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed per table
                <td key={i}>{typeof v === "number" ? v.toLocaleString("en") : v}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
