"use client";

import { useState, useTransition } from "react";
import type { EXAMPLE_RULES } from "@/lib/alerts/rule";
import { formatTime } from "@/lib/format/time";
import { backtestAlertRuleAction, createAlertRuleAction } from "../actions";

type Example = (typeof EXAMPLE_RULES)[number];
type Kind = "each" | "count" | "distinct" | "new_value" | "sequence";
const GROUPS = ["principal", "agent", "session", "request", "tool", "resource", "capability"] as const;

interface State {
  tenant: string;
  name: string;
  severity: "low" | "medium" | "high" | "critical";
  query: string;
  kind: Kind;
  threshold: number;
  of: (typeof GROUPS)[number];
  followedBy: string;
  lookbackDays: number;
  groupBy: (typeof GROUPS)[number][];
  windowMinutes: number;
  dedupMinutes: number;
  hours: "any" | "inside" | "outside";
  minDepth: string;
  widerThanParent: boolean;
}

function fromExample(tenant: string, e: Example): State {
  const d = e.definition;
  const a = d.aggregation as {
    kind: Kind;
    threshold?: number;
    of?: State["of"];
    followedBy?: string;
    lookbackDays?: number;
  };
  return {
    tenant,
    name: e.name,
    severity: e.severity,
    query: d.query ?? "",
    kind: a.kind,
    threshold: a.threshold ?? 10,
    of: a.of ?? "tool",
    followedBy: a.followedBy ?? "",
    lookbackDays: a.lookbackDays ?? 30,
    groupBy: [...(d.groupBy ?? [])],
    windowMinutes: d.windowMinutes ?? 5,
    dedupMinutes: d.dedupMinutes ?? 60,
    hours: d.hours ?? "any",
    minDepth: d.minDepth === undefined ? "" : String(d.minDepth),
    widerThanParent: d.widerThanParent ?? false,
  };
}

function definitionOf(s: State) {
  const aggregation =
    s.kind === "count"
      ? { kind: s.kind, threshold: s.threshold }
      : s.kind === "distinct"
        ? { kind: s.kind, of: s.of, threshold: s.threshold }
        : s.kind === "new_value"
          ? { kind: s.kind, of: s.of, lookbackDays: s.lookbackDays }
          : s.kind === "sequence"
            ? { kind: s.kind, followedBy: s.followedBy }
            : { kind: s.kind };
  return {
    query: s.query,
    aggregation,
    groupBy: s.groupBy,
    windowMinutes: s.windowMinutes,
    dedupMinutes: s.dedupMinutes,
    hours: s.hours,
    ...(s.minDepth !== "" ? { minDepth: Number(s.minDepth) } : {}),
    ...(s.widerThanParent ? { widerThanParent: true } : {}),
  };
}

type Backtest = {
  total: number;
  complete: boolean;
  alerts: { title: string; triggerTs: string; triggerId: string }[];
};

export function RuleForm({ tenants, examples }: { tenants: string[]; examples: Example[] }) {
  const first = tenants[0] ?? "";
  const [s, setS] = useState<State>(() => fromExample(first, examples[0] as Example));
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [backtest, setBacktest] = useState<Backtest | null>(null);
  const set = <K extends keyof State>(k: K, v: State[K]) => {
    setS((x) => ({ ...x, [k]: v }));
    setBacktest(null);
  };
  const failure = (r: { error: string; fieldErrors?: Record<string, string[]> }) =>
    setError(
      [r.error, ...Object.entries(r.fieldErrors ?? {}).map(([k, v]) => `${k}: ${v.join(" ")}`)].join(" "),
    );

  return (
    <form
      className="card"
      aria-label="Add an alert rule"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        setSaved(null);
        start(async () => {
          const r = await createAlertRuleAction({
            tenant: s.tenant,
            name: s.name,
            severity: s.severity,
            definition: definitionOf(s),
          });
          if (r.ok) setSaved(`Saved ${s.name}: it evaluates events from now on.`);
          else failure(r);
        });
      }}
    >
      <div className="form-grid">
        <label>
          Start from an example
          <select
            onChange={(e) => {
              const ex = examples.find((x) => x.name === e.target.value);
              if (ex) setS(fromExample(s.tenant, ex));
              setBacktest(null);
            }}
            defaultValue={examples[0]?.name}
          >
            {examples.map((e) => (
              <option key={e.name} value={e.name} title={e.why}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tenant
          <select value={s.tenant} onChange={(e) => set("tenant", e.target.value)}>
            {tenants.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input value={s.name} onChange={(e) => set("name", e.target.value)} required />
        </label>
        <label>
          Severity
          <select value={s.severity} onChange={(e) => set("severity", e.target.value as State["severity"])}>
            {["low", "medium", "high", "critical"].map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label className="wide">
          Events that count (query language)
          <input
            className="mono"
            value={s.query}
            onChange={(e) => set("query", e.target.value)}
            placeholder="type:tool.call outcome:denied"
          />
        </label>
        <label>
          Fires on
          <select value={s.kind} onChange={(e) => set("kind", e.target.value as Kind)}>
            <option value="each">each matching event</option>
            <option value="count">a count within the window</option>
            <option value="distinct">distinct values within the window</option>
            <option value="new_value">a value not seen before</option>
            <option value="sequence">a match, then another within the window</option>
          </select>
        </label>
        {s.kind === "count" || s.kind === "distinct" ? (
          <label>
            At least
            <input
              type="number"
              min={2}
              value={s.threshold}
              onChange={(e) => set("threshold", Number(e.target.value))}
            />
          </label>
        ) : null}
        {s.kind === "distinct" || s.kind === "new_value" ? (
          <label>
            Of
            <select value={s.of} onChange={(e) => set("of", e.target.value as State["of"])}>
              {GROUPS.map((g) => (
                <option key={g}>{g}</option>
              ))}
            </select>
          </label>
        ) : null}
        {s.kind === "new_value" ? (
          <label>
            Not seen for (days)
            <input
              type="number"
              min={1}
              value={s.lookbackDays}
              onChange={(e) => set("lookbackDays", Number(e.target.value))}
            />
          </label>
        ) : null}
        {s.kind === "sequence" ? (
          <label className="wide">
            Then (query language)
            <input
              className="mono"
              value={s.followedBy}
              onChange={(e) => set("followedBy", e.target.value)}
              placeholder="type:escalation.requested"
            />
          </label>
        ) : null}
        <fieldset className="options">
          <legend>Per</legend>
          {GROUPS.map((g) => (
            <label key={g} className="checkbox">
              <input
                type="checkbox"
                checked={s.groupBy.includes(g)}
                onChange={(e) =>
                  set("groupBy", e.target.checked ? [...s.groupBy, g] : s.groupBy.filter((x) => x !== g))
                }
              />{" "}
              {g}
            </label>
          ))}
        </fieldset>
        <label>
          Window (minutes)
          <input
            type="number"
            min={1}
            value={s.windowMinutes}
            onChange={(e) => set("windowMinutes", Number(e.target.value))}
          />
        </label>
        <label>
          Open again after (minutes)
          <input
            type="number"
            min={1}
            value={s.dedupMinutes}
            onChange={(e) => set("dedupMinutes", Number(e.target.value))}
          />
        </label>
        <label>
          When
          <select value={s.hours} onChange={(e) => set("hours", e.target.value as State["hours"])}>
            <option value="any">any time</option>
            <option value="outside">outside business hours</option>
            <option value="inside">inside business hours</option>
          </select>
        </label>
        <label>
          Capability depth at least
          <input
            type="number"
            min={0}
            value={s.minDepth}
            onChange={(e) => set("minDepth", e.target.value)}
            placeholder="any"
          />
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={s.widerThanParent}
            onChange={(e) => set("widerThanParent", e.target.checked)}
          />{" "}
          Only capabilities wider than their parent
        </label>
        <div className="row-actions">
          <button
            type="button"
            disabled={pending}
            onClick={() => {
              setError(null);
              start(async () => {
                const r = await backtestAlertRuleAction({
                  tenant: s.tenant,
                  definition: definitionOf(s),
                  days: 7,
                });
                if (r.ok) setBacktest(r.data);
                else failure(r);
              });
            }}
          >
            {pending ? "Working…" : "Backtest last 7 days"}
          </button>
          <button type="submit" className="primary" disabled={pending}>
            Save rule
          </button>
        </div>
      </div>
      <p role="status" aria-live="polite" className={error ? "error" : "ok"}>
        {error ?? saved}
      </p>
      {backtest ? (
        <div className="notice" data-testid="backtest">
          <p>
            Over the last 7 days this rule would have opened <strong>{backtest.total}</strong> alert
            {backtest.total === 1 ? "" : "s"}
            {backtest.complete ? "" : " (stopped at the first 5,000 matching events)"}.
          </p>
          <ul>
            {backtest.alerts.slice(0, 10).map((a) => (
              <li key={a.triggerId}>
                {formatTime(a.triggerTs)}: {a.title}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </form>
  );
}
