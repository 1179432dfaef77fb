import { describe, expect, it } from "vitest";
import { type ChainedContent, canonicalContent, contentHash } from "@/lib/audit/chain";

// Issue 13: the tier is covered by the content hash only when it is "observed", so every attested
// event keeps the hash it had before the column existed, and neither tier passes for the other.
const base: ChainedContent = {
  id: "otlp-4bf92f3577b34da6a3ce929d0e0e4736-a000000000000001",
  ts: new Date("2026-11-26T09:14:03.512Z"),
  tenant: "acme",
  type: "tool.call",
  principal: "alice@acme.example",
  agent: "support-bot",
  session: null,
  request: "4bf92f3577b34da6a3ce929d0e0e4736",
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "a000000000000001",
  tool: "crm.export",
  action: null,
  resourceType: null,
  resourceId: null,
  fields: null,
  outcome: "allowed",
  reason: null,
  capabilityId: null,
  capabilityHash: null,
  inputDigest: null,
  latencyMs: 40,
  cost: null,
  meta: { dialect: "genai" },
};

describe("the tier in the content hash", () => {
  it("leaves an attested event's canonical text and hash exactly as before the tier existed", () => {
    const { tier: _none, ...before } = { ...base, tier: undefined };
    expect(canonicalContent({ ...base, tier: "attested" })).toBe(canonicalContent(before));
    expect(canonicalContent(before)).not.toContain("tier");
    expect(contentHash({ ...base, tier: "attested" })).toBe(contentHash(before));
  });

  it("covers an observed event's tier, so relabelling it changes its hash", () => {
    const observed = { ...base, tier: "observed" as const };
    expect(canonicalContent(observed)).toContain('"tier":"observed"');
    expect(contentHash(observed)).not.toBe(contentHash({ ...base, tier: "attested" }));
  });
});
