// What a stream sends per event, in the receiver's schema:
// - event_v1: the console's own event as the ingest API takes it (docs/ingest.md), plus seq;
// - ocsf: OCSF 1.7.0 (schema.ocsf.io): tool calls as API Activity (6003) with a `delegation`
//   object carrying the capability lineage (ocsf-schema PR #1665: uid, parent_uid, issuer_uid,
//   created_time; scopes and expiration_time as proposed in PR #1705); escalations and
//   revocations as User Access Management (3005: assign / revoke privileges); everything else as
//   API Activity "Other". Fields OCSF has no place for go under `unmapped`.
// - ecs: Elastic Common Schema 8.x field names, the lineage under `capcon.*` (a custom field set).
import type { Capability, Event } from "@/db/schema";

export type StreamFormat = "ocsf" | "ecs" | "event_v1";

export const OCSF_VERSION = "1.7.0";
const PRODUCT = { name: "Capability Console", vendor_name: "Capability Console" };

/** An event row with the capability row that authorized it, when the console knows it. */
export interface StreamEvent {
  event: Pick<
    Event,
    | "id"
    | "ts"
    | "receivedAt"
    | "tenant"
    | "type"
    | "principal"
    | "agent"
    | "session"
    | "request"
    | "traceId"
    | "spanId"
    | "tool"
    | "action"
    | "resourceType"
    | "resourceId"
    | "fields"
    | "outcome"
    | "reason"
    | "capabilityId"
    | "capabilityHash"
    | "inputDigest"
    | "latencyMs"
    | "cost"
    | "meta"
    | "seq"
    | "tier"
  >;
  capability: Pick<
    Capability,
    "id" | "parentId" | "rootId" | "depth" | "issuerKid" | "issuedAt" | "expiresAt" | "summary"
  > | null;
}

/**
 * What a SIEM shows as the event's detail: its reason, or for an alert the full title, which the
 * event keeps in meta (lib/alerts/runner.ts: the reason leaves out a name an erasure must reach).
 */
function statusDetail(e: StreamEvent["event"]): string | null {
  const title = e.type === "console.alert.opened" ? e.meta?.title : undefined;
  return typeof title === "string" && title ? title : e.reason;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * The capability's rights as scope strings, `<action>:<resource>[/<ids>][#<fields>]`, e.g.
 * "read:Order", "update:Order/o-1,o-2#status", from its summary (lib/capability's Right).
 */
export function capabilityScopes(summary: Record<string, unknown> | undefined): string[] {
  const rights = summary?.rights;
  if (!Array.isArray(rights)) return [];
  const out: string[] = [];
  for (const r of rights) {
    if (!r || typeof r !== "object") continue;
    const { resource, actions, ids, fields } = r as Record<string, unknown>;
    if (typeof resource !== "string" || !Array.isArray(actions)) continue;
    const idPart = Array.isArray(ids) && ids.length ? `/${ids.join(",")}` : "";
    const fieldPart = Array.isArray(fields) && fields.length ? `#${fields.join(",")}` : "";
    for (const a of actions) if (typeof a === "string") out.push(`${a}:${resource}${idPart}${fieldPart}`);
  }
  return out;
}

export function toEventV1({ event: e, capability: c }: StreamEvent): Record<string, unknown> {
  return {
    id: e.id,
    seq: e.seq,
    ts: iso(e.ts),
    receivedAt: iso(e.receivedAt),
    tenant: e.tenant,
    type: e.type,
    principal: e.principal,
    agent: e.agent,
    session: e.session,
    request: e.request,
    traceId: e.traceId,
    spanId: e.spanId,
    tool: e.tool,
    action: e.action,
    resource: e.resourceType ? { type: e.resourceType, id: e.resourceId } : null,
    fields: e.fields,
    outcome: e.outcome,
    reason: e.reason,
    capability: e.capabilityId
      ? {
          id: e.capabilityId,
          hash: e.capabilityHash,
          parentId: c?.parentId ?? null,
          rootId: c?.rootId ?? null,
          depth: c?.depth ?? null,
          expiresAt: iso(c?.expiresAt),
        }
      : null,
    inputDigest: e.inputDigest,
    latencyMs: e.latencyMs,
    cost: e.cost,
    meta: e.meta,
    // "observed": seen in an agent's traces, not signed off by a capability-enforcing platform.
    tier: e.tier,
  };
}

// API Activity's activity ids (Create 1, Read 2, Update 3, Delete 4, Other 99) from our actions.
function apiActivity(action: string | null): { id: number; name: string } {
  const a = (action ?? "").toLowerCase();
  if (/^(create|insert|add|post|new)/.test(a)) return { id: 1, name: "Create" };
  if (/^(read|get|list|lookup|search|query|view|fetch)/.test(a)) return { id: 2, name: "Read" };
  if (/^(write|update|set|patch|put|change|modify)/.test(a)) return { id: 3, name: "Update" };
  if (/^(delete|remove|drop|destroy)/.test(a)) return { id: 4, name: "Delete" };
  return { id: 99, name: "Other" };
}

const OCSF_SEVERITY = { informational: 1, low: 2, medium: 3 } as const;

function ocsfDelegation(s: StreamEvent): Record<string, unknown> | undefined {
  const { event: e, capability: c } = s;
  if (!e.capabilityId) return undefined;
  const scopes = capabilityScopes(c?.summary);
  return {
    uid: e.capabilityId,
    ...(c?.parentId ? { parent_uid: c.parentId } : {}),
    ...(c?.issuerKid ? { issuer_uid: c.issuerKid } : {}),
    ...(c?.issuedAt ? { created_time: c.issuedAt.getTime() } : {}),
    ...(c?.expiresAt ? { expiration_time: c.expiresAt.getTime() } : {}),
    ...(scopes.length ? { scopes } : {}),
  };
}

export function toOcsf(s: StreamEvent): Record<string, unknown> {
  const { event: e } = s;
  const denied = e.outcome === "denied" || e.outcome === "error";
  const metadata = {
    version: OCSF_VERSION,
    uid: e.id,
    product: PRODUCT,
    log_name: `capability-console/${e.tenant}`,
    tenant_uid: e.tenant,
    // Observed events (from OpenTelemetry traces) never pass for attested ones downstream either.
    labels: [e.tier, ...(e.tier === "observed" && !e.capabilityId ? ["uncovered"] : [])],
    sequence: e.seq,
    ...(e.request ? { correlation_uid: e.request } : {}),
    logged_time: e.receivedAt.getTime(),
  };
  const actor = {
    user: { uid: e.principal ?? "unknown", type_id: 0 },
    ...(e.session ? { session: { uid: e.session } } : {}),
    ...(e.agent ? { app_name: e.agent } : {}),
  };
  const status = denied ? { status_id: 2, status: "Failure" } : { status_id: 1, status: "Success" };
  const common = {
    time: e.ts.getTime(),
    metadata,
    actor,
    ...status,
    ...(statusDetail(e) ? { status_detail: statusDetail(e) } : {}),
    message: `${e.type}${e.tool ? ` ${e.tool}` : ""} by ${e.principal ?? "unknown"}: ${e.outcome}`,
    unmapped: {
      tenant: e.tenant,
      tier: e.tier,
      type: e.type,
      outcome: e.outcome,
      ...(e.capabilityHash ? { capability_hash: e.capabilityHash } : {}),
      ...(e.inputDigest ? { input_digest: e.inputDigest } : {}),
      ...(e.fields?.length ? { fields: e.fields } : {}),
      ...(e.meta && Object.keys(e.meta).length ? { meta: e.meta } : {}),
    },
  };
  const delegation = ocsfDelegation(s);
  const grant = e.type === "escalation.issued" || e.type === "escalation.approved";
  const revoke =
    e.type === "session.revoked" ||
    e.type === "principal.revoked" ||
    e.type === "escalation.revoked" ||
    e.type === "escalation.expired";
  if (grant || revoke) {
    const scopes = capabilityScopes(s.capability?.summary);
    const activity = grant ? { id: 1, name: "Assign Privileges" } : { id: 2, name: "Revoke Privileges" };
    return {
      ...common,
      category_uid: 3,
      category_name: "Identity & Access Management",
      class_uid: 3005,
      class_name: "User Access Management",
      activity_id: activity.id,
      activity_name: activity.name,
      type_uid: 3005 * 100 + activity.id,
      type_name: `User Access Management: ${activity.name}`,
      severity_id: OCSF_SEVERITY.low,
      severity: "Low",
      user: { uid: e.principal ?? "unknown", type_id: 0 },
      privileges: scopes.length ? scopes : [e.tool ? `${e.action ?? "use"}:${e.tool}` : e.type],
      ...(e.resourceType
        ? { resources: [{ type: e.resourceType, ...(e.resourceId ? { uid: e.resourceId } : {}) }] }
        : {}),
      ...(delegation ? { delegation } : {}),
    };
  }
  const activity = e.type === "tool.call" ? apiActivity(e.action) : { id: 99, name: "Other" };
  return {
    ...common,
    category_uid: 6,
    category_name: "Application Activity",
    class_uid: 6003,
    class_name: "API Activity",
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: 6003 * 100 + activity.id,
    type_name: `API Activity: ${activity.name}`,
    severity_id: denied ? OCSF_SEVERITY.medium : OCSF_SEVERITY.informational,
    severity: denied ? "Medium" : "Informational",
    api: {
      operation: e.tool ?? e.type,
      ...(e.agent ? { service: { name: e.agent } } : {}),
    },
    src_endpoint: { name: e.agent ?? "unknown" },
    ...(e.resourceType
      ? { resources: [{ type: e.resourceType, ...(e.resourceId ? { uid: e.resourceId } : {}) }] }
      : {}),
    ...(e.latencyMs !== null ? { duration: e.latencyMs } : {}),
    ...(e.traceId
      ? {
          trace: {
            uid: e.traceId,
            // OCSF's span needs its times: the call's start (ts) and its end (ts + latency).
            ...(e.spanId
              ? {
                  span: {
                    uid: e.spanId,
                    start_time: e.ts.getTime(),
                    end_time: e.ts.getTime() + (e.latencyMs ?? 0),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(delegation ? { delegation } : {}),
  };
}

export function toEcs(s: StreamEvent): Record<string, unknown> {
  const { event: e, capability: c } = s;
  const failure = e.outcome === "denied" || e.outcome === "error";
  return {
    "@timestamp": e.ts.toISOString(),
    ecs: { version: "8.11.0" },
    event: {
      id: e.id,
      kind: "event",
      category: e.type.startsWith("escalation.") || e.type.endsWith(".revoked") ? ["iam"] : ["api"],
      type: [
        e.type.endsWith(".revoked") ? "deletion" : e.type === "escalation.issued" ? "creation" : "access",
      ],
      action: e.type === "tool.call" ? `${e.tool ?? "tool"}.${e.action ?? "call"}` : e.type,
      outcome: failure ? "failure" : "success",
      ...(statusDetail(e) ? { reason: statusDetail(e) } : {}),
      ...(e.latencyMs !== null ? { duration: e.latencyMs * 1_000_000 } : {}),
      ingested: e.receivedAt.toISOString(),
      sequence: e.seq,
      dataset: "capability_console.audit",
      provider: "capability-console",
    },
    ...(e.principal ? { user: { id: e.principal } } : {}),
    ...(e.agent ? { service: { name: e.agent } } : {}),
    ...(e.traceId ? { trace: { id: e.traceId } } : {}),
    ...(e.spanId ? { span: { id: e.spanId } } : {}),
    ...(e.request ? { transaction: { id: e.request } } : {}),
    labels: { tenant: e.tenant, tier: e.tier, ...(e.session ? { session: e.session } : {}) },
    capcon: {
      tenant: e.tenant,
      tier: e.tier,
      uncovered: e.type === "tool.call" && !e.capabilityId,
      type: e.type,
      outcome: e.outcome,
      ...(e.tool ? { tool: e.tool } : {}),
      ...(e.action ? { action: e.action } : {}),
      ...(e.resourceType ? { resource: { type: e.resourceType, id: e.resourceId } } : {}),
      ...(e.fields?.length ? { fields: e.fields } : {}),
      ...(e.inputDigest ? { input_digest: e.inputDigest } : {}),
      ...(e.capabilityId
        ? {
            capability: {
              id: e.capabilityId,
              hash: e.capabilityHash,
              parent_id: c?.parentId ?? null,
              root_id: c?.rootId ?? null,
              depth: c?.depth ?? null,
              scopes: capabilityScopes(c?.summary),
              expires_at: iso(c?.expiresAt),
            },
          }
        : {}),
    },
  };
}

export function formatEvent(format: StreamFormat, s: StreamEvent): Record<string, unknown> {
  return format === "ocsf" ? toOcsf(s) : format === "ecs" ? toEcs(s) : toEventV1(s);
}
