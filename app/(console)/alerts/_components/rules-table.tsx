"use client";

import { ActionStatus } from "@/components/ui/action-status";
import { useActionMessage } from "@/components/ui/use-action-message";
import { deleteAlertRuleAction, setAlertRuleEnabledAction } from "../actions";

export interface RuleRow {
  tenant: string;
  id: string;
  name: string;
  severity: string;
  definition: Record<string, unknown>;
  enabled: boolean;
  lastError: string | null;
  createdBy: string;
  createdAt: string;
}

function ruleSentence(d: Record<string, unknown>): string {
  const a = d.aggregation as {
    kind: string;
    threshold?: number;
    of?: string;
    followedBy?: string;
    lookbackDays?: number;
  };
  const group = (d.groupBy as string[] | undefined)?.length
    ? ` per ${(d.groupBy as string[]).join(", ")}`
    : "";
  const q = d.query ? `"${d.query}"` : "any event";
  const win = `${d.windowMinutes ?? 5} min`;
  const agg =
    a.kind === "count"
      ? `${a.threshold}+ of ${q} within ${win}`
      : a.kind === "distinct"
        ? `${a.threshold}+ distinct ${a.of} in ${q} within ${win}`
        : a.kind === "new_value"
          ? `a new ${a.of} in ${q} (not seen for ${a.lookbackDays} days)`
          : a.kind === "sequence"
            ? `${q} then "${a.followedBy}" within ${win}`
            : `each ${q}`;
  const extra = [
    d.widerThanParent ? "capability wider than its parent" : "",
    d.minDepth !== undefined ? `depth ≥ ${d.minDepth}` : "",
    d.hours && d.hours !== "any" ? `${d.hours} business hours` : "",
  ].filter(Boolean);
  return `${agg}${group}${extra.length ? `; ${extra.join(", ")}` : ""}`;
}

export function RulesTable({ rules, admin }: { rules: RuleRow[]; admin: boolean }) {
  const { pending, message, run } = useActionMessage();
  if (rules.length === 0)
    return <p className="muted">No rules yet{admin ? ": add one below, or start from an example." : "."}</p>;
  return (
    <>
      <table className="data" aria-busy={pending} aria-label="Alert rules">
        <thead>
          <tr>
            <th>Rule</th>
            <th>Fires on</th>
            <th>Status</th>
            {admin ? (
              <th>
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={`${r.tenant}/${r.id}`} data-testid={`rule-${r.name}`}>
              <td>
                <strong>{r.name}</strong>
                <div className="muted">
                  {r.tenant} · {r.severity}
                </div>
              </td>
              <td className="mono">{ruleSentence(r.definition)}</td>
              <td>
                {r.enabled ? "on" : "off"}
                {r.lastError ? <div className="error">{r.lastError}</div> : null}
              </td>
              {admin ? (
                <td className="row-actions">
                  <button
                    type="button"
                    disabled={pending}
                    onClick={() =>
                      run(`${r.enabled ? "Disabled" : "Enabled"} ${r.name}.`, () =>
                        setAlertRuleEnabledAction({ tenant: r.tenant, id: r.id, enabled: !r.enabled }),
                      )
                    }
                  >
                    {r.enabled ? "Disable" : "Enable"}
                  </button>
                  <button
                    type="button"
                    className="danger"
                    disabled={pending}
                    onClick={() => {
                      if (window.confirm(`Delete the rule ${r.name}? Its alerts stay.`))
                        run(`Deleted ${r.name}.`, () =>
                          deleteAlertRuleAction({ tenant: r.tenant, id: r.id }),
                        );
                    }}
                  >
                    Delete
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      <ActionStatus message={message} />
    </>
  );
}
