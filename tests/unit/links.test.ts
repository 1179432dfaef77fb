import { describe, expect, it } from "vitest";
import { escalateHref, readEscalationPrefill, revokeHref } from "@/lib/links";

const params = (href: string) =>
  Object.fromEntries(new URL(href, "http://x").searchParams.entries()) as Record<string, string>;

describe("act-from-where-you-look links", () => {
  it("revoke links carry the target and open the preview", () => {
    const h = revokeHref({ kind: "capability", tenant: "acme", capabilityId: "c/1 & 2" });
    expect(h.startsWith("/revocations?")).toBe(true);
    expect(h.endsWith("#revoke")).toBe(true);
    expect(params(h)).toEqual({ kind: "capability", tenant: "acme", capability: "c/1 & 2" });
    expect(params(revokeHref({ kind: "session", tenant: "acme", session: "s1" }))).toEqual({
      kind: "session",
      tenant: "acme",
      session: "s1",
    });
  });
  it("escalation links round-trip through the reader and drop empty fields", () => {
    const h = escalateHref({
      tenant: "acme",
      principal: "alice@acme.example",
      session: "sess_1",
      agent: null,
      tool: "crm.update_order",
      resourceType: "Order",
      resourceId: "o_381",
      action: "write",
      argDigest: "hmac-sha256:ab",
    });
    const back = readEscalationPrefill(params(h));
    expect(back).toEqual({
      tenant: "acme",
      principal: "alice@acme.example",
      session: "sess_1",
      tool: "crm.update_order",
      resourceType: "Order",
      resourceId: "o_381",
      action: "write",
      argDigest: "hmac-sha256:ab",
    });
    expect(readEscalationPrefill({ evil: "x", tool: ["a", "b"], principal: "p".repeat(600) })).toEqual({
      tool: "a",
      principal: "p".repeat(512),
    });
  });
});
