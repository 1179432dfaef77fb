"use client";

import { useState } from "react";
import { ActionStatus } from "@/components/ui/action-status";
import { useActionMessage } from "@/components/ui/use-action-message";
import { formatTime } from "@/lib/format/time";
import { deleteGatewayRuleAction } from "../actions";
import { RuleForm, type RuleView } from "./rule-form";

export type { RuleView };

const SUBJECT: Record<string, string> = { agent: "agent", group: "group", principal: "principal" };

function Who({ rule }: { rule: RuleView }) {
  if (rule.subjectKind === "any") return <span>any client</span>;
  return (
    <span>
      <span className="muted">{SUBJECT[rule.subjectKind]}</span>{" "}
      <span className="mono">{rule.subjectValue}</span>
    </span>
  );
}

export function RulesSection({
  rules,
  tenants,
  manage,
}: {
  rules: RuleView[];
  tenants: string[];
  manage: boolean;
}) {
  const { pending, message, run } = useActionMessage();
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  function remove(r: RuleView) {
    if (!window.confirm(`Delete the rule for ${r.tool}? Calls it allowed are refused from the next poll.`))
      return;
    run(`Deleted the rule for ${r.tool}.`, () => deleteGatewayRuleAction({ id: r.id }));
  }

  return (
    <>
      {rules.length === 0 ? (
        <p className="muted">No rules: the gateway refuses every tool call.</p>
      ) : (
        <table className="data" aria-busy={pending} aria-label="Gateway tool rules">
          <thead>
            <tr>
              <th>Tenant</th>
              <th>Who</th>
              <th>Tool</th>
              <th>Arguments</th>
              <th>Note</th>
              <th>Changed</th>
              {manage ? (
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {rules.map((r) =>
              editing === r.id ? (
                <tr key={r.id}>
                  <td colSpan={manage ? 7 : 6}>
                    <RuleForm tenants={tenants} rule={r} onDone={() => setEditing(null)} />
                  </td>
                </tr>
              ) : (
                <tr key={r.id} data-testid="gateway-rule">
                  <td>{r.tenant}</td>
                  <td>
                    <Who rule={r} />
                  </td>
                  <td className="mono">{r.tool}</td>
                  <td>
                    {r.arguments.length === 0 ? (
                      <span className="muted">any</span>
                    ) : (
                      r.arguments.map((a) => (
                        <div key={`${a.path}=${a.match}`} className="mono">
                          {a.path} ~ {a.match}
                        </div>
                      ))
                    )}
                  </td>
                  <td>{r.note || <span className="muted">—</span>}</td>
                  <td>
                    {formatTime(r.changedAt, "min")}
                    <br />
                    <span className="muted">by {r.changedBy}</span>
                  </td>
                  {manage ? (
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          disabled={pending}
                          onClick={() => setEditing(r.id)}
                          aria-label={`Edit the rule for ${r.tool}`}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="danger"
                          disabled={pending}
                          onClick={() => remove(r)}
                          aria-label={`Delete the rule for ${r.tool}`}
                        >
                          Delete
                        </button>
                      </div>
                    </td>
                  ) : null}
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
      <ActionStatus message={message} />
      {manage ? (
        adding ? (
          <RuleForm tenants={tenants} onDone={() => setAdding(false)} />
        ) : (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add a rule
          </button>
        )
      ) : null}
    </>
  );
}
