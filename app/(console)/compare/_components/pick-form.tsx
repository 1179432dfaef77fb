/**
 * Choose or paste what to compare: a plain GET form, so it works before any script and the
 * result is a shareable /compare URL. `suggestions` fill a datalist (recent requests).
 */
export function PickForm({
  kind,
  tenant,
  a,
  b,
  suggestions,
  error,
}: {
  kind: "capability" | "request";
  tenant: string | null;
  a: string | null;
  b: string | null;
  suggestions: string[];
  error?: { field: "a" | "b" | "kind"; message: string };
}) {
  const what = kind === "capability" ? "capability id" : "request id";
  return (
    <form action="/compare" method="get" className="card compare-pick" aria-label="What to compare">
      <label>
        Kind
        <br />
        <select name="kind" defaultValue={kind}>
          <option value="request">Requests</option>
          <option value="capability">Capabilities</option>
        </select>
      </label>
      {tenant ? <input type="hidden" name="tenant" value={tenant} /> : null}
      <label style={{ flex: "1 1 240px" }}>
        First ({what})
        <br />
        <input
          name="a"
          className="mono"
          defaultValue={a ?? ""}
          required
          maxLength={300}
          list="compare-suggestions"
          aria-invalid={error?.field === "a" || undefined}
          aria-describedby={error?.field === "a" ? "compare-error" : undefined}
          style={{ width: "100%" }}
        />
      </label>
      <label style={{ flex: "1 1 240px" }}>
        Second ({what}): pick or paste
        <br />
        <input
          name="b"
          className="mono"
          defaultValue={b ?? ""}
          required
          maxLength={300}
          list="compare-suggestions"
          aria-invalid={error?.field === "b" || undefined}
          aria-describedby={error?.field === "b" ? "compare-error" : undefined}
          style={{ width: "100%" }}
          // biome-ignore lint/a11y/noAutofocus: the page opened to ask for exactly this field
          autoFocus={Boolean(a) && !b}
        />
      </label>
      <datalist id="compare-suggestions">
        {suggestions.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <button type="submit">Compare</button>
      {error ? (
        <p id="compare-error" className="error" role="alert" style={{ flexBasis: "100%", margin: 0 }}>
          {error.message}
        </p>
      ) : null}
    </form>
  );
}
