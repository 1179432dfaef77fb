import type { PrincipalDay } from "@/lib/data/principal-day";
import { plural } from "@/lib/format/time";
import { dayEventsHref } from "@/lib/summary/explorer-href";

/** The day in plain words: the counts sentence, what the bot did, and what it was refused and why. */
export function DaySummary({ d, who }: { d: PrincipalDay; who: string }) {
  const t = d.totals;
  const href = (terms: Record<string, string>, outcome?: "denied") =>
    dayEventsHref({ principal: d.principal, day: d.day, terms, outcome });
  if (t.calls === 0)
    return (
      <div className="card" data-testid="day-summary" style={{ fontSize: 15 }}>
        <p style={{ margin: 0 }}>
          No tool calls by {who} on {d.day}. Pick another day above, or see the{" "}
          <a href={`/principals?day=${d.day}`}>principals active that day</a>.
        </p>
      </div>
    );
  return (
    <div className="card" data-testid="day-summary" style={{ fontSize: 15 }}>
      <p style={{ marginTop: 0 }}>
        {who} made <strong>{plural(t.calls, "tool call")}</strong> in{" "}
        <strong>{plural(t.requests, "request")}</strong> on {d.day};{" "}
        <strong className={t.denied ? "error" : undefined}>{t.denied.toLocaleString("en")}</strong>{" "}
        {t.denied === 1 ? "was" : "were"} denied; <strong>{plural(t.escalationsUsed, "escalation")}</strong>{" "}
        used.
      </p>
      <p style={{ margin: "0 0 4px" }} data-testid="day-sentence">
        In plain words, it {d.summary.sentence}
      </p>
      {d.summary.done.length > 0 ? (
        <>
          <h2 className="sr-only">What it did</h2>
          <ul className="day-summary-list" aria-label="What it did">
            {d.summary.done.slice(0, 8).map((x) => (
              <li key={`${x.tool}/${x.resourceType}/${x.text}`}>
                <a href={href({ ...(x.tool ? { tool: x.tool } : {}) }, undefined)}>{x.text}</a>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {d.summary.refused.length > 0 ? (
        <>
          <p style={{ margin: "10px 0 0" }} className="error">
            <strong>Refused</strong>
          </p>
          <ul className="day-summary-list" aria-label="What it was refused" data-testid="day-refused">
            {d.summary.refused.slice(0, 8).map((r, i) => (
              <li key={`${r.tool}/${r.action}/${r.resourceType}`}>
                <a
                  href={href(
                    {
                      ...(r.tool ? { tool: r.tool } : {}),
                      ...(r.resourceType ? { resource: r.resourceType } : {}),
                    },
                    "denied",
                  )}
                >
                  {r.text}
                </a>
                : refused,{" "}
                {r.denials.map((c, j) => {
                  const id = `refusal-${i}-${j}`;
                  const exact = c.reasons.map((x) => `${x.reason} (${x.count})`).join("\n");
                  return (
                    <span key={c.category}>
                      {j > 0 ? ", " : null}
                      <span
                        className="denial-reason"
                        title={exact}
                        // biome-ignore lint/a11y/noNoninteractiveTabindex: focus shows the exact reason
                        tabIndex={0}
                        aria-describedby={id}
                        data-category={c.category}
                      >
                        {c.label}
                        {r.denials.length > 1 ? ` (${c.count.toLocaleString("en")})` : ""}
                      </span>
                      <span id={id} hidden>
                        Exact reason: {exact}
                      </span>
                    </span>
                  );
                })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
