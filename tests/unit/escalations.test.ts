import { describe, expect, it } from "vitest";
import { escalationPolicy, issueEscalationSchema } from "@/lib/data/escalations";

const valid = {
  tenant: "acme",
  principal: "alice@acme.example",
  session: "sess_1",
  tool: "crm.update_order",
  resourceType: "Order",
  resourceId: "o_1",
  action: "write",
  reason: "INC-1",
};

describe("escalation input and policy", () => {
  it("defaults to 60 s, single use, shown once; names each bad field", () => {
    expect(issueEscalationSchema.parse(valid)).toMatchObject({
      ttlSeconds: 60,
      singleUse: true,
      delivery: "console",
    });
    const fields = (input: Record<string, unknown>) =>
      issueEscalationSchema.safeParse(input).error?.issues.map((i) => i.path[0]) ?? [];
    expect(fields({ ...valid, reason: "" })).toEqual(["reason"]);
    expect(fields({ ...valid, resourceId: "o\u00001" })).toEqual(["resourceId"]);
    expect(fields({ ...valid, resourceId: "" })).toEqual(["resourceId"]);
    expect(fields({ ...valid, tool: "crm.update order" })).toEqual(["tool"]);
    expect(fields({ ...valid, argDigest: "sha256:abc" })).toEqual(["argDigest"]);
    expect(fields({ ...valid, ttlSeconds: "0" })).toEqual(["ttlSeconds"]);
    expect(fields({ ...valid, session: undefined })).toEqual(["session"]);
    expect(fields({ ...valid, session: undefined, agent: "bot" })).toEqual([]);
  });

  it("reads the tenant's cap and two-person rule, ignoring nonsense", () => {
    expect(escalationPolicy({})).toEqual({ maxTtlSeconds: 300, twoPerson: false });
    expect(escalationPolicy({ escalationMaxTtlSeconds: 90, twoPersonEscalations: true })).toEqual({
      maxTtlSeconds: 90,
      twoPerson: true,
    });
    expect(escalationPolicy({ escalationMaxTtlSeconds: "900", twoPersonEscalations: "yes" })).toEqual({
      maxTtlSeconds: 300,
      twoPerson: false,
    });
    expect(escalationPolicy({ escalationMaxTtlSeconds: 1e9 }).maxTtlSeconds).toBe(300);
  });
});
