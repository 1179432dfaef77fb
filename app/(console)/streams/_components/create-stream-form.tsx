"use client";

import { useActionState, useState } from "react";
import { FieldError } from "@/components/ui/field-error";
import { TenantField } from "@/components/ui/tenant-field";
import { createStreamAction } from "../actions";

const KINDS = [
  { value: "webhook", label: "Webhook (Standard Webhooks, signed)" },
  { value: "splunk_hec", label: "Splunk HTTP Event Collector" },
  { value: "jsonl", label: "JSON Lines over HTTP" },
];
const FORMATS = [
  { value: "ocsf", label: "OCSF 1.7 (API Activity, User Access Management)" },
  { value: "ecs", label: "Elastic Common Schema" },
  { value: "event_v1", label: "Capability Console event v1" },
];

export function CreateStreamForm({ tenants }: { tenants: string[] }) {
  const [state, action, pending] = useActionState(createStreamAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const v = state && !state.ok ? state.values : undefined;
  const [kind, setKind] = useState(v?.kind ?? "webhook");
  const [copied, setCopied] = useState(false);
  const field = (name: string) => ({
    "aria-invalid": Boolean(fe?.[name]),
    "aria-describedby": `stream-${name}-error`,
  });
  return (
    <>
      <form key={JSON.stringify(v ?? null)} action={action} className="card" aria-label="Add a stream">
        <div className="form-grid">
          <TenantField tenants={tenants} value={v?.tenant} errors={fe} />
          <label>
            Name
            <input name="name" required placeholder="soc-webhook" defaultValue={v?.name} {...field("name")} />
            <FieldError name="name" id="stream-name-error" errors={fe} />
          </label>
          <label>
            Kind
            <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)} {...field("kind")}>
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
            <FieldError name="kind" id="stream-kind-error" errors={fe} />
          </label>
          <label>
            Payload format
            <select name="format" defaultValue={v?.format ?? "ocsf"} {...field("format")}>
              {FORMATS.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <label className="wide">
            Destination URL
            <input
              name="url"
              type="url"
              required
              placeholder={
                kind === "splunk_hec"
                  ? "https://splunk.example.com:8088/services/collector/event"
                  : "https://siem.example.com/hooks/capcon"
              }
              defaultValue={v?.url}
              {...field("url")}
            />
            <FieldError name="url" id="stream-url-error" errors={fe} />
          </label>
          {kind === "webhook" ? (
            <label>
              Signature
              <select name="signing" defaultValue={v?.signing ?? "v1a"}>
                <option value="v1a">Ed25519 (v1a): the receiver holds only a public key</option>
                <option value="v1">HMAC-SHA256 (v1): a shared secret</option>
              </select>
            </label>
          ) : (
            <label>
              {kind === "splunk_hec" ? "HEC token" : "Bearer token (optional)"}
              <input
                name="token"
                type="password"
                autoComplete="off"
                required={kind === "splunk_hec"}
                {...field("token")}
              />
              <FieldError name="token" id="stream-token-error" errors={fe} />
            </label>
          )}
          <label className="wide">
            Filter (query language; empty sends everything)
            <input
              name="filter"
              className="mono"
              placeholder="type:tool.call outcome:denied"
              defaultValue={v?.filter}
              {...field("filter")}
            />
            <FieldError name="filter" id="stream-filter-error" errors={fe} />
          </label>
          <label className="checkbox">
            <input type="checkbox" name="allowPrivate" defaultChecked={v?.allowPrivate} /> Allow a private or
            loopback address (an internal collector). Cloud metadata and link-local addresses are never
            allowed.
          </label>
          <div>
            <button type="submit" className="primary" disabled={pending}>
              {pending ? "Checking the destination…" : "Add stream"}
            </button>
          </div>
        </div>
        <p role="status" aria-live="polite" className={state?.ok ? "ok" : "error"}>
          {state && !state.ok ? state.error : null}
        </p>
      </form>
      {state?.ok ? (
        <div className="notice" role="alert" data-testid="new-stream">
          <p>
            Stream <strong>{state.data.name}</strong> added. It sends events from now on.
          </p>
          {state.data.verifyKey ? (
            <p>
              {state.data.signing === "v1"
                ? "The receiver's HMAC secret (shown once, copy it now):"
                : "The receiver's verification key (public; also shown in the table):"}{" "}
              <code className="mono">{state.data.verifyKey}</code>{" "}
              <button
                type="button"
                onClick={() =>
                  navigator.clipboard.writeText(state.data.verifyKey ?? "").then(() => setCopied(true))
                }
              >
                {copied ? "Copied" : "Copy"}
              </button>
            </p>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
