import { CONTENT_VERSION_ERASABLE, ERASED_PRINCIPAL, erasableEvent } from "@/lib/audit/subjects";
// An observed event (lib/otlp/dialects.ts) as a stored, hash-chained events row of tier
// "observed". Its strings came from someone's spans, so they pass the same text rules as the
// attested ingest (no ANSI, no bidi controls, no raw tokens); a span that breaks one is rejected
// on its own and named in partialSuccess, never stored half-cleaned.

import { LIMITS, textProblem } from "@capability-console/sdk/schema";
import type { ChainedContent } from "@/lib/audit/chain";
import { futureTsProblem } from "@/lib/ingest/validate";
import type { ObservedEvent } from "./dialects";

const INT_MAX = 2_147_483_647;

/**
 * The event id of a span: deterministic, so the same span always names the same row (the
 * (tenant, trace id, span id) unique index is what refuses a second copy; the id keeps the
 * primary key from ever meeting an attested event's UUIDv7/ULID).
 */
export function observedEventId(traceId: string, spanId: string): string {
  return `otlp-${traceId}-${spanId}`;
}

export type Checked = { ok: true; content: ChainedContent } | { ok: false; reason: string };

export function toObservedContent(e: ObservedEvent, tenant: string, now: Date): Checked {
  const ahead = futureTsProblem(e.ts, now);
  if (ahead) return { ok: false, reason: `start time ${ahead}` };
  const identifiers: [string, string | null][] = [
    ["principal", e.principal],
    ["agent", e.agent],
    ["session", e.session],
    ["tool", e.tool],
    ["capcon.capability.id", e.capability?.id ?? null],
    ["capcon.capability.parent_id", e.capability?.parentId ?? null],
    ["capcon.capability.hash", e.capability?.hash ?? null],
    ["tool call id", e.toolCallId],
  ];
  if (e.principal === ERASED_PRINCIPAL) return { ok: false, reason: "principal [erased] is reserved" };
  for (const [name, value] of identifiers) {
    const problem = value === null ? null : textProblem(value, "identifier");
    if (problem) return { ok: false, reason: `${name} ${problem}` };
  }
  const texts: [string, string | null][] = [
    ["reason", e.reason],
    ...Object.entries(e.meta).map(([k, v]): [string, string] => [k, v]),
  ];
  for (const [name, value] of texts) {
    const problem = value === null ? null : textProblem(value, "text");
    if (problem) return { ok: false, reason: `${name} ${problem}` };
  }
  const meta: Record<string, string> = { ...e.meta, dialect: e.dialect };
  if (e.toolCallId) meta.toolCallId = e.toolCallId;
  if (e.parentSpanId) meta.parentSpanId = e.parentSpanId;
  if (e.capability?.parentId) meta.capabilityParentId = e.capability.parentId;
  return {
    ok: true,
    content: {
      id: observedEventId(e.traceId, e.spanId),
      ts: e.ts,
      tenant,
      type: e.type,
      principal: e.principal,
      agent: e.agent,
      session: e.session,
      request: e.request,
      traceId: e.traceId,
      spanId: e.spanId,
      tool: e.tool,
      action: null,
      resourceType: null,
      resourceId: null,
      fields: null,
      outcome: e.outcome,
      reason: e.reason ? e.reason.slice(0, LIMITS.maxReasonLength) : null,
      capabilityId: e.capability?.id ?? null,
      capabilityHash: e.capability?.hash ?? null,
      inputDigest: null,
      // A span longer than the column holds (24 days) keeps its event without a latency.
      latencyMs: e.latencyMs <= INT_MAX ? e.latencyMs : null,
      cost: null,
      meta,
      tier: "observed",
      // Erasable like attested events (lib/audit/subjects.ts): a person named by spans can go too.
      contentVersion: erasableEvent({ type: e.type, principal: e.principal }) ? CONTENT_VERSION_ERASABLE : 1,
    },
  };
}
