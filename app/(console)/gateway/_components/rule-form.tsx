"use client";

import { useId, useState, useTransition } from "react";
import { FieldError } from "@/components/ui/field-error";
import type { ActionResult } from "@/lib/actions/result";
import { addGatewayRuleAction, updateGatewayRuleAction } from "../actions";

export interface RuleView {
  id: string;
  tenant: string;
  subjectKind: "any" | "agent" | "group" | "principal";
  subjectValue: string;
  tool: string;
  arguments: { path: string; match: string }[];
  note: string;
  changedBy: string;
  changedAt: string;
}

interface Row {
  key: number;
  path: string;
  match: string;
}

const PLACEHOLDER: Record<RuleView["subjectKind"], string> = {
  any: "",
  agent: "support-bot",
  group: "readers",
  principal: "alice@acme.example",
};

/** Adds a rule (no `rule`) or changes one in place. Argument rules are rows, added and removed here. */
export function RuleForm({
  tenants,
  rule,
  onDone,
}: {
  tenants: string[];
  rule?: RuleView;
  onDone: () => void;
}) {
  const id = useId();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<ActionResult<unknown> | null>(null);
  const [tenant, setTenant] = useState(rule?.tenant ?? tenants[0] ?? "");
  const [kind, setKind] = useState<RuleView["subjectKind"]>(rule?.subjectKind ?? "agent");
  const [value, setValue] = useState(rule?.subjectValue ?? "");
  const [tool, setTool] = useState(rule?.tool ?? "");
  const [note, setNote] = useState(rule?.note ?? "");
  const [nextKey, setNextKey] = useState(rule?.arguments.length ?? 0);
  const [rows, setRows] = useState<Row[]>((rule?.arguments ?? []).map((a, i) => ({ key: i, ...a })));
  const fe = result && !result.ok ? result.fieldErrors : undefined;

  const setRow = (key: number, patch: Partial<Row>) =>
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const addRow = () => {
    setRows((rs) => [...rs, { key: nextKey, path: "", match: "" }]);
    setNextKey((k) => k + 1);
  };

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const values = {
      subjectKind: kind,
      subjectValue: kind === "any" ? "" : value,
      tool,
      arguments: rows.map(({ path, match }) => ({ path, match })),
      note,
    };
    start(async () => {
      const r = rule
        ? await updateGatewayRuleAction({ ...values, id: rule.id })
        : await addGatewayRuleAction({ ...values, tenant });
      setResult(r);
      if (r.ok) onDone();
    });
  }

  return (
    <form
      className="card"
      onSubmit={submit}
      aria-label={rule ? `Edit the rule for ${rule.tool}` : "Add a rule"}
    >
      <div className="form-grid">
        {rule ? null : (
          <label>
            Tenant
            <select value={tenant} onChange={(e) => setTenant(e.target.value)}>
              {tenants.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            <FieldError name="tenant" id={`${id}-tenant-error`} errors={fe} />
          </label>
        )}
        <label>
          Who
          <select value={kind} onChange={(e) => setKind(e.target.value as RuleView["subjectKind"])}>
            <option value="any">any client</option>
            <option value="agent">agent</option>
            <option value="group">group</option>
            <option value="principal">principal</option>
          </select>
        </label>
        <label>
          {kind === "any" ? "Name (not needed)" : `The ${kind}`}
          <input
            value={kind === "any" ? "" : value}
            disabled={kind === "any"}
            placeholder={PLACEHOLDER[kind]}
            onChange={(e) => setValue(e.target.value)}
            aria-invalid={Boolean(fe?.subjectValue)}
            aria-describedby={`${id}-subjectValue-error`}
          />
          <FieldError name="subjectValue" id={`${id}-subjectValue-error`} errors={fe} />
        </label>
        <label>
          Tool
          <input
            value={tool}
            placeholder="fs.read_file or fs.*"
            onChange={(e) => setTool(e.target.value)}
            aria-invalid={Boolean(fe?.tool)}
            aria-describedby={`${id}-tool-error`}
          />
          <FieldError name="tool" id={`${id}-tool-error`} errors={fe} />
        </label>
        <label className="span-2">
          Note
          <input
            value={note}
            placeholder="why this is allowed"
            onChange={(e) => setNote(e.target.value)}
            aria-invalid={Boolean(fe?.note)}
            aria-describedby={`${id}-note-error`}
          />
          <FieldError name="note" id={`${id}-note-error`} errors={fe} />
        </label>
      </div>
      <fieldset style={{ marginTop: 12, padding: "8px 12px" }}>
        <legend>Argument rules (all must match)</legend>
        {rows.length === 0 ? <p className="muted">None: any arguments.</p> : null}
        {rows.map((r, i) => (
          <div key={r.key} className="row-actions" style={{ alignItems: "end", marginBottom: 8 }}>
            <label>
              Argument {i + 1} path
              <input
                value={r.path}
                placeholder="path"
                onChange={(e) => setRow(r.key, { path: e.target.value })}
              />
            </label>
            <label style={{ flex: 1 }}>
              Argument {i + 1} pattern
              <input
                value={r.match}
                placeholder="/srv/share/**"
                onChange={(e) => setRow(r.key, { match: e.target.value })}
              />
            </label>
            <button
              type="button"
              onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}
              aria-label={`Remove argument rule ${i + 1}`}
            >
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={addRow} disabled={rows.length >= 10}>
          Add an argument rule
        </button>
        <FieldError name="arguments" id={`${id}-arguments-error`} errors={fe} />
      </fieldset>
      <div className="row-actions" style={{ marginTop: 12, alignItems: "center" }}>
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Saving…" : rule ? "Save rule" : "Add rule"}
        </button>
        <button type="button" onClick={onDone} disabled={pending}>
          Cancel
        </button>
        <span role="status" aria-live="polite" className="error">
          {result && !result.ok ? result.error : null}
        </span>
      </div>
    </form>
  );
}
