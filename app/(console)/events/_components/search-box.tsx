import type { QueryError } from "@/lib/query";
import type { ExplorerState } from "../url-state";
import { TimePicker } from "./time-picker";

/** A plain GET form: works without JavaScript, and the URL it produces is the shareable view. */
export function SearchBox(props: {
  state: ExplorerState;
  error?: QueryError;
  timeError?: { field: "from" | "to"; message: string };
}) {
  const e = props.error;
  const { q, sort, cols } = props.state;
  return (
    <form action="/events" className="search-form" aria-label="Search events">
      <div style={{ display: "flex", gap: 8, flexWrap: "wrap" }}>
        <input
          name="q"
          defaultValue={q}
          aria-label="Search events"
          aria-invalid={Boolean(e)}
          aria-describedby={e ? "query-error" : "query-help"}
          placeholder="principal:alice@acme.example tool:crm.* outcome:denied under:8f3a…"
          className="mono"
          style={{ flex: "1 1 100%", minWidth: 0 }}
          spellCheck={false}
          autoComplete="off"
        />
        <TimePicker
          range={props.state.range}
          from={props.state.from}
          to={props.state.to}
          error={props.timeError}
        />
        {sort !== "ts_desc" ? <input type="hidden" name="sort" value={sort} /> : null}
        {cols ? <input type="hidden" name="cols" value={cols} /> : null}
        {props.state.console ? <input type="hidden" name="console" value="true" /> : null}
        <button type="submit" className="primary">
          Search
        </button>
      </div>
      {e ? (
        <div id="query-error" role="alert" className="query-error" data-testid="query-error">
          <pre className="mono">
            {q.slice(0, e.position)}
            <mark>{q.slice(e.position, e.position + Math.max(e.length, 1)) || " "}</mark>
            {q.slice(e.position + Math.max(e.length, 1))}
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
