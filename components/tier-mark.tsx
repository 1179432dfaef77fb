/**
 * The marks that keep the two tiers apart (issue 13): "observed" on an event read from traces
 * (nobody enforced a capability on it; the console only saw it happen), "uncovered" on a tool
 * call that ran under no capability. Attested events carry no mark: they are the default.
 */
export function TierMark({ tier, uncovered }: { tier?: unknown; uncovered?: unknown }) {
  return (
    <>
      {tier === "observed" ? (
        <span
          className="badge tier-observed"
          data-testid="observed"
          title="Observed: read from an OpenTelemetry trace, not attested by a capability-enforcing platform"
        >
          observed
        </span>
      ) : null}
      {uncovered === true ? (
        <span
          className="badge tier-uncovered"
          data-testid="uncovered"
          title="A tool call that carried no capability"
        >
          uncovered
        </span>
      ) : null}
    </>
  );
}
