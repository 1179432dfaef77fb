import type { NewCapability } from "@/db/schema";
import type { ChainedContent } from "@/lib/audit/chain";
import { CONTENT_VERSION_ERASABLE, erasableEvent } from "@/lib/audit/subjects";
import type { IngestCapability, IngestEvent } from "./event-schema";

/** The stored columns of an event (what its content hash covers). */
export function toEventContent(e: IngestEvent): ChainedContent {
  return {
    id: e.id,
    ts: e.ts,
    tenant: e.tenant,
    type: e.type,
    principal: e.principal ?? null,
    agent: e.agent ?? null,
    session: e.session ?? null,
    request: e.request ?? null,
    traceId: e.traceId ?? null,
    spanId: e.spanId ?? null,
    tool: e.tool ?? null,
    action: e.action ?? null,
    resourceType: e.resource?.type ?? null,
    resourceId: e.resource?.id ?? null,
    fields: e.fields ?? null,
    outcome: e.outcome,
    reason: e.reason ?? null,
    capabilityId: e.capability?.id ?? null,
    capabilityHash: e.capability?.hash ?? null,
    inputDigest: e.inputDigest ?? null,
    latencyMs: e.latencyMs ?? null,
    cost: e.cost ?? null,
    meta: e.meta ?? {},
    // Erasable (issue 17): principal and meta are hashed as salted commitments.
    contentVersion: erasableEvent(e) ? CONTENT_VERSION_ERASABLE : 1,
  };
}

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
const date = (v: unknown): Date | null => {
  if (typeof v !== "string") return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** What one event tells about its capability, before ancestors are resolved against the database. */
export type CapabilityFacts = Omit<NewCapability, "ancestors" | "firstSeenAt" | "rootId" | "depth"> & {
  /** Null when neither the event nor its summary says; resolved from the parent if known. */
  rootId: string | null;
  depth: number | null;
  /** summary.chain when it is a list of ids ending with this capability: root..this. */
  chain: string[] | null;
};

const ISSUING_EVENTS = new Set(["capability.minted", "capability.attenuated", "escalation.issued"]);

export function capabilityFacts(e: IngestEvent, cap: IngestCapability): CapabilityFacts {
  const s = cap.summary ?? {};
  const rawChain = s.chain;
  const chain =
    Array.isArray(rawChain) &&
    rawChain.length > 0 &&
    rawChain.every((x) => typeof x === "string") &&
    rawChain.at(-1) === cap.id
      ? (rawChain as string[])
      : null;
  const parentId = cap.parentId ?? (chain && chain.length > 1 ? (chain.at(-2) ?? null) : null);
  const kind =
    cap.kind ??
    (typeof s.kind === "string" && ["minted", "attenuated", "escalation"].includes(s.kind)
      ? (s.kind as NewCapability["kind"])
      : parentId
        ? "attenuated"
        : "minted");
  return {
    id: cap.id,
    tenant: e.tenant,
    tokenHash: cap.hash,
    parentId,
    rootId: cap.rootId ?? chain?.[0] ?? (parentId ? null : cap.id),
    depth: cap.depth ?? (chain ? chain.length - 1 : parentId ? null : 0),
    issuerKid: cap.issuer ?? str(s.issuer),
    principal: str(s.principal) ?? e.principal ?? null,
    agent: str(s.agent) ?? e.agent ?? null,
    session: str(s.session) ?? e.session ?? null,
    request: str(s.request) ?? e.request ?? null,
    summary: s,
    kind,
    // Minting and narrowing events are the moment of issue; escalations too.
    issuedAt: cap.issuedAt ?? date(s.issuedAt) ?? (ISSUING_EVENTS.has(e.type) ? e.ts : null),
    expiresAt: cap.expiresAt ?? date(s.expiresAt),
    chain,
  };
}
