import type { QueryError } from "@/lib/query";
import { RANGES } from "../url-state";

/** A plain GET form: works without JavaScript, and the URL it produces is the shareable view. */
export function SearchBox(props: {
  q: string;
  range: string;
  sort: string;
  cols: string;
  error?: QueryError;
}) {
  const e = props.error;
  return (
    <form action="/events" className="search-form" aria-label="Search events">
      <div style={{ display: "flex", gap: 8, flexWrap: "wrap" }}>
        <input
          name="q"
          defaultValue={props.q}
          aria-label="Search events"
          aria-invalid={Boolean(e)}
          aria-describedby={e ? "query-error" : "query-help"}
          placeholder="principal:alice@acme.example tool:crm.* outcome:denied under:8f3a…"
          className="mono"
          style={{ flex: "1 1 480px" }}
          spellCheck={false}
          autoComplete="off"
        />
        <select name="range" defaultValue={props.range} aria-label="Time range">
          {RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
        {props.sort !== "ts_desc" ? <input type="hidden" name="sort" value={props.sort} /> : null}
        {props.cols ? <input type="hidden" name="cols" value={props.cols} /> : null}
        <button type="submit" className="primary">
          Search
        </button>
      </div>
      {e ? (
        <div id="query-error" role="alert" className="query-error" data-testid="query-error">
          <pre className="mono">
            {props.q.slice(0, e.position)}
            <mark>{props.q.slice(e.position, e.position + Math.max(e.length, 1)) || " "}</mark>
            {props.q.slice(e.position + Math.max(e.length, 1))}
          </pre>
          <div>
            <strong>{e.message}</strong> {e.hint ? <span className="muted">{e.hint}</span> : null}
          </div>
        </div>
      ) : (
        <p id="query-help" className="muted" style={{ margin: "4px 0 0" }}>
          Keys: principal: agent: tool: type: outcome: reason: session: request: resource: action: field:
          tenant: cap: under: cap.right:Type/action tier:observed is:uncovered after: before: — negate with
          -key:value, combine with OR.
        </p>
      )}
    </form>
  );
}
