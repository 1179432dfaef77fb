import { createHmac, randomUUID } from "node:crypto";
import { canonicalJson } from "../../canonical-json.js";
import type { Capability, CapabilityKind, Right } from "../../capability/index.js";

/** DESIGN.md's event as sent to POST /api/v1/events (v1: JSON names are fixed). */
export interface ToolCallEvent {
  id: string;
  ts: string;
  tenant: string;
  type: "tool.call";
  principal: string;
  agent: string;
  session: string;
  request: string;
  traceId: string;
  tool: string;
  action?: string;
  resource?: { type: string; id?: string };
  fields?: string[];
  outcome: "allowed" | "denied" | "error";
  reason?: string;
  capability: EventCapability;
  inputDigest: string;
  latencyMs: number;
  meta: Record<string, unknown>;
}

export interface EventCapability {
  id: string;
  hash: string;
  parentId?: string;
  rootId: string;
  depth: number;
  issuer: string;
  kind: CapabilityKind;
  expiresAt: string;
  summary: {
    principal: string;
    tenants: string[];
    rights: Right[];
    budget: Record<string, number>;
    session: string;
    request: string;
    chain: string[];
    issuedAt: string;
  };
}

/** Where audit events go: the in-memory sink below, a batching HTTP sender, a database. */
export interface AuditSink {
  emit(event: ToolCallEvent): void | Promise<void>;
}

export interface MemorySink extends AuditSink {
  readonly events: ToolCallEvent[];
  clear(): void;
}

export function createMemorySink(): MemorySink {
  const events: ToolCallEvent[] = [];
  return {
    events,
    emit: (event) => {
      events.push(event);
    },
    clear: () => {
      events.length = 0;
    },
  };
}

/**
 * The audit log never stores raw input: an HMAC lets an investigator confirm "was it this
 * input?" without the log revealing it. The key is passed in explicitly, never read from env.
 */
export function inputDigest(input: unknown, key: Uint8Array | string): string {
  // The console's canonical form, so its "was this input used?" lookups digest the same bytes.
  return `hmac-sha256:${createHmac("sha256", key).update(canonicalJson(input)).digest("hex")}`;
}

// One implementation of UUIDv7 for the project; tools pass the injected clock's time.
export { uuidv7 } from "../../ids.js";

/**
 * 32 hex digits (a W3C trace id): a v4 UUID's, drawn from Node's cached pool of CSPRNG bytes
 * (122 random bits; about 4 µs here against 27 µs for a fresh randomBytes(16), once per call).
 */
export function newTraceId(): string {
  return randomUUID().replaceAll("-", "");
}

export function eventCapability(capability: Capability): EventCapability {
  const s = capability.summary();
  return {
    id: capability.id,
    hash: capability.hash,
    parentId: capability.parentId,
    rootId: capability.rootId,
    depth: capability.depth,
    issuer: s.issuer,
    kind: s.kind,
    expiresAt: s.expiresAt,
    summary: {
      principal: s.principal,
      tenants: s.tenants,
      rights: s.rights,
      budget: s.budget,
      session: s.session,
      request: s.request,
      // Root..this: lets the console place the capability in its tree even when the
      // intermediate capabilities were never reported on their own.
      chain: s.chain,
      issuedAt: s.issuedAt,
    },
  };
}
