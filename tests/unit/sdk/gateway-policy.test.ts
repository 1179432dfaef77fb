import {
  createRevocationList,
  createTestClock,
  generateIssuerKey,
  mintCapability,
} from "@capability-console/sdk/capability";
import {
  argumentAt,
  argumentDigest,
  capabilityOperation,
  capabilityResourceId,
  evaluatePolicy,
  globMatch,
  Narrowings,
  operationFor,
  rightsFor,
  rulesForTool,
  toolPatternMatches,
} from "@capability-console/sdk/gateway";
import type { GatewayClient, GatewayRule } from "@capability-console/sdk/schema";
import { inputDigest } from "@capability-console/sdk/tools";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const client: GatewayClient = {
  id: "0193a3c8-6f4e-7b7e-9d5e-2a9c1f0b4e21",
  name: "support bot",
  principal: "alice@acme.example",
  agent: "support-bot",
  groups: ["support"],
  credentialSha256: "a".repeat(64),
  revoked: false,
};
const rule = (r: Partial<GatewayRule>): GatewayRule => ({
  id: "0193a3c8-6f4e-7b7e-9d5e-2a9c1f0b4e22",
  subject: { kind: "any" },
  tool: "fs.read_file",
  arguments: [],
  note: "",
  ...r,
});
const decl = { resourceType: "File", resourceArgument: "path", action: "read" };

describe("gateway glob", () => {
  it("* stops at /, ** crosses it, the rest is literal", () => {
    expect(globMatch("/srv/*.txt", "/srv/a.txt")).toBe(true);
    expect(globMatch("/srv/*.txt", "/srv/x/a.txt")).toBe(false);
    expect(globMatch("/srv/**", "/srv/x/y/a.txt")).toBe(true);
    expect(globMatch("/srv/**.md", "/srv/x/y.md")).toBe(true);
    expect(globMatch("/srv/a.txt", "/srv/a.txt")).toBe(true);
    expect(globMatch("/srv/a.txt", "/srv/aXtxt")).toBe(false); // "." is literal
    expect(globMatch("(x)+[y]", "(x)+[y]")).toBe(true);
    expect(globMatch("/srv/*", "/srv/")).toBe(true);
    expect(globMatch("/srv/**", "/srvX")).toBe(false);
  });

  it("a wildcard never lets a . or .. segment through", () => {
    expect(globMatch("/srv/pub/**", "/srv/pub/../secret")).toBe(false);
    expect(globMatch("/srv/pub/*", "/srv/pub/..")).toBe(false);
    expect(globMatch("/srv/pub/**", "/srv/pub/./a")).toBe(false);
    expect(globMatch("/srv/pub/**", "/srv/pub/a..b")).toBe(true);
    expect(globMatch("/srv/pub/../x", "/srv/pub/../x")).toBe(true); // literal: as written
  });
});

describe("gateway policy", () => {
  it("tool patterns are exact or a prefix ending in *", () => {
    expect(toolPatternMatches("fs.read_file", "fs.read_file")).toBe(true);
    expect(toolPatternMatches("fs.read_file", "fs.read_file2")).toBe(false);
    expect(toolPatternMatches("fs.read_*", "fs.read_text_file")).toBe(true);
    expect(toolPatternMatches("fs.*", "git.status")).toBe(false);
  });

  it("subjects: any, agent, principal, group", () => {
    const rules = [
      rule({ subject: { kind: "agent", value: "other" } }),
      rule({ subject: { kind: "principal", value: "bob@acme.example" } }),
      rule({ subject: { kind: "group", value: "ops" } }),
    ];
    expect(rulesForTool(rules, client, "fs.read_file")).toHaveLength(0);
    for (const subject of [
      { kind: "any" as const },
      { kind: "agent" as const, value: "support-bot" },
      { kind: "principal" as const, value: "alice@acme.example" },
      { kind: "group" as const, value: "support" },
    ])
      expect(rulesForTool([rule({ subject })], client, "fs.read_file")).toHaveLength(1);
  });

  it("deny by default, naming the tool, resource and agent", () => {
    const operation = operationFor({
      tool: "fs.write_file",
      declaration: { ...decl, action: "write" },
      arguments: { path: "/tmp/x/a.txt" },
      digestKey: "k".repeat(16),
    });
    const d = evaluatePolicy({ rules: [rule({})], client, operation, arguments: { path: "/tmp/x/a.txt" } });
    expect(d).toEqual({
      allowed: false,
      check: "no-rule",
      missing:
        "no rule allows fs.write_file (write on File /tmp/x/a.txt) for agent support-bot (principal alice@acme.example)",
    });
  });

  it("argument rules must all match in one rule; the failure names the argument", () => {
    const rules = [rule({ arguments: [{ path: "path", match: "/srv/pub/**" }] })];
    const ok = { path: "/srv/pub/a/b.txt" };
    const bad = { path: "/srv/secret.txt" };
    const op = (args: unknown) =>
      operationFor({ tool: "fs.read_file", declaration: decl, arguments: args, digestKey: "k".repeat(16) });
    expect(evaluatePolicy({ rules, client, operation: op(ok), arguments: ok }).allowed).toBe(true);
    const d = evaluatePolicy({ rules, client, operation: op(bad), arguments: bad });
    expect(d.allowed).toBe(false);
    if (!d.allowed) {
      expect(d.check).toBe("argument-rule");
      expect(d.missing).toContain('argument path must match /srv/pub/** (got "/srv/secret.txt")');
    }
    // A number where a string is expected fails the rule instead of being coerced.
    expect(
      evaluatePolicy({ rules, client, operation: op({ path: 3 }), arguments: { path: 3 } }).allowed,
    ).toBe(false);
    // Another rule without argument conditions allows it.
    expect(
      evaluatePolicy({ rules: [...rules, rule({})], client, operation: op(bad), arguments: bad }).allowed,
    ).toBe(true);
  });

  it("dotted argument paths read own properties only", () => {
    expect(argumentAt({ options: { mode: "r" } }, "options.mode")).toBe("r");
    expect(argumentAt({ options: {} }, "options.toString")).toBeUndefined();
    expect(argumentAt({ a: ["x"] }, "a.0")).toBeUndefined();
  });
});

describe("gateway operation and digest", () => {
  it("the digest is the tool wrapper's inputDigest of the arguments; key order does not matter", () => {
    const key = "digest-key-0123456789";
    expect(argumentDigest({ b: 1, a: "x" }, key)).toBe(inputDigest({ a: "x", b: 1 }, key));
    expect(argumentDigest({ a: "x" }, key)).not.toBe(argumentDigest({ a: "y" }, key));
    expect(argumentDigest(undefined, key)).toBe(inputDigest({}, key));
  });

  it("names the declared resource, or the tool when none is declared or the argument is not a string", () => {
    const key = "digest-key-0123456789";
    expect(
      operationFor({ tool: "fs.read_file", declaration: decl, arguments: { path: "/a b" }, digestKey: key }),
    ).toMatchObject({
      resourceType: "File",
      resourceId: "/a b",
      action: "read",
    });
    expect(
      operationFor({ tool: "x.ping", declaration: undefined, arguments: {}, digestKey: key }),
    ).toMatchObject({
      resourceType: "Tool",
      resourceId: "x.ping",
      action: "call",
    });
    expect(
      operationFor({ tool: "fs.read_file", declaration: decl, arguments: { path: 1 }, digestKey: key })
        .resourceId,
    ).toBe("fs.read_file");
  });

  it("capability ids: names as they are, anything else by sha256", () => {
    expect(capabilityResourceId("/tmp/x/a.txt")).toBe("/tmp/x/a.txt");
    expect(capabilityResourceId("/tmp/my notes.txt")).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(capabilityResourceId("a".repeat(201))).toMatch(/^sha256:/);
  });
});

describe("gateway narrowing", () => {
  it("root rights follow the rules; a per-call narrowing allows exactly one resource and action", async () => {
    const clock = createTestClock(Date.parse("2026-12-02T04:00:00Z"));
    const tools = new Map([
      ["fs.read_file", decl],
      ["fs.write_file", { ...decl, action: "write" }],
      ["fs.list_allowed_directories", undefined],
    ]);
    const rights = rightsFor({
      rules: [rule({ tool: "fs.read_*" }), rule({ tool: "fs.list_*" })],
      client,
      tools,
    });
    expect(rights).toEqual([
      { resource: "Gateway", actions: ["list"] },
      { resource: "File", actions: ["read"] },
      { resource: "Tool", actions: ["call"], ids: ["fs.list_allowed_directories"] },
    ]);
    const issuer = await generateIssuerKey("gw-test");
    const root = await mintCapability({
      issuer,
      tenant: "acme",
      principal: client.principal,
      agent: client.agent,
      session: "sess_gw_1",
      request: "req_gw_1",
      rights,
      ttlMs: 3600_000,
      clock,
    });
    const id = capabilityResourceId("/tmp/my notes.txt");
    const call = root.narrowTo({ resource: "File", id, action: "read", ttlMs: 30_000 });
    expect(call.authorize({ resource: "File", action: "read", id }).allowed).toBe(true);
    expect(call.authorize({ resource: "File", action: "read", id: "/etc/passwd" }).allowed).toBe(false);
    expect(call.authorize({ resource: "File", action: "write", id }).allowed).toBe(false);
    expect(root.authorize({ resource: "File", action: "write", id }).allowed).toBe(false);
    expect(call.parentId).toBe(root.id);
    clock.advance(31_000);
    expect(call.authorize({ resource: "File", action: "read", id }).allowed).toBe(false);
    expect(root.authorize({ resource: "File", action: "read", id }).allowed).toBe(true);
  });
});

describe("gateway narrowings", () => {
  const key = "k".repeat(16);
  const mintRoot = async (clock: ReturnType<typeof createTestClock>, revocations = createRevocationList()) =>
    mintCapability({
      issuer: await generateIssuerKey("gw-narrow"),
      tenant: "acme",
      principal: client.principal,
      agent: client.agent,
      session: "sess_gw_2",
      request: "req_gw_2",
      rights: [{ resource: "File", actions: ["read"] }],
      ttlMs: 3600_000,
      clock,
      revocations,
    });
  const read = (args: Record<string, unknown>, tool = "fs.read_file") =>
    operationFor({ tool, declaration: decl, arguments: args, digestKey: key });

  it("reuse a narrowed capability only for the exact same call within half its TTL; a revocation still refuses", async () => {
    const clock = createTestClock(Date.parse("2026-12-02T04:00:00Z"));
    const revocations = createRevocationList();
    const root = await mintRoot(clock, revocations);
    const narrowings = new Narrowings(clock, 30_000);
    const op = read({ path: "/w/a.txt" });
    const first = narrowings.narrow(root, op);
    expect(first.fresh).toBe(true);
    expect(narrowings.authorize(first.entry, op).allowed).toBe(true);
    const same = narrowings.narrow(root, read({ path: "/w/a.txt" }));
    expect(same.fresh).toBe(false);
    expect(same.entry.capability.id).toBe(first.entry.capability.id);
    // Same resource and action, other arguments: another digest, so a capability of its own.
    const moreArgs = read({ path: "/w/a.txt", x: 1 });
    const again = narrowings.narrow(root, moreArgs);
    expect(again.fresh).toBe(true);
    expect(again.entry.capability.id).not.toBe(first.entry.capability.id);
    expect(again.entry.capability.parentId).toBe(root.id);
    expect(narrowings.authorize(again.entry, moreArgs).allowed).toBe(true);
    // Same resource, action and arguments through another tool: narrowed afresh too.
    const viaOther = read({ path: "/w/a.txt" }, "fs.read_text_file");
    expect(narrowings.narrow(root, viaOther).fresh).toBe(true);
    const other = narrowings.narrow(root, read({ path: "/w/b.txt" }));
    expect(other.fresh).toBe(true);
    expect(narrowings.authorize(other.entry, read({ path: "/w/b.txt" })).allowed).toBe(true);
    clock.advance(16_000);
    expect(narrowings.narrow(root, op).fresh).toBe(true);
    revocations.revokeCapability(root.id);
    const d = narrowings.authorize(other.entry, read({ path: "/w/b.txt" }));
    expect(d).toMatchObject({ allowed: false, code: "revoked" });
    const write = narrowings.narrow(root, { ...op, action: "write" });
    expect(narrowings.authorize(write.entry, { ...op, action: "write" }).allowed).toBe(false);
  });

  it("a call's capability names its tool and argument digest, and refuses any other call", async () => {
    const clock = createTestClock(Date.parse("2026-12-02T04:00:00Z"));
    const root = await mintRoot(clock);
    const narrowings = new Narrowings(clock, 30_000);
    const op = read({ path: "/w/my notes.txt" });
    const { entry } = narrowings.narrow(root, op);
    // The narrowed block, read back from the token's own Datalog.
    const block = entry.capability.blocks()[1];
    expect(block?.checks).toEqual([
      {
        kind: "scope",
        scopes: [{ resources: ["File"], actions: ["read"], ids: [capabilityResourceId("/w/my notes.txt")] }],
      },
      { kind: "tool", tool: "fs.read_file" },
      { kind: "argDigest", digest: op.argDigest },
      { kind: "expiry", expiresAt: clock.now() + 30_000 },
    ]);
    expect(capabilityOperation(op)).toEqual({
      resource: "File",
      action: "read",
      id: capabilityResourceId("/w/my notes.txt"),
      tool: "fs.read_file",
      argDigest: argumentDigest({ path: "/w/my notes.txt" }, key),
    });
    expect(narrowings.authorize(entry, op).allowed).toBe(true);
    // Run on every call: an authorized entry still refuses a call it was not narrowed to.
    const otherTool = narrowings.authorize(entry, { ...op, tool: "fs.write_file" });
    expect(otherTool).toMatchObject({ allowed: false, code: "denied" });
    if (!otherTool.allowed) expect(otherTool.reason).toContain("tool fs.write_file is not fs.read_file");
    const otherDigest = narrowings.authorize(entry, {
      ...op,
      argDigest: argumentDigest({ path: "/w/x" }, key),
    });
    expect(otherDigest).toMatchObject({ allowed: false, code: "denied" });
    if (!otherDigest.allowed) expect(otherDigest.reason).toContain("argument digest");
    expect(narrowings.authorize(entry, op).allowed).toBe(true);
    // An operation without the tool and digest facts fails the block's checks.
    const { tool: _t, argDigest: _d, ...bare } = capabilityOperation(op);
    expect(entry.capability.authorize(bare)).toMatchObject({ allowed: false, code: "denied" });
    expect(root.authorize(bare).allowed).toBe(true);
    clock.advance(30_000);
    expect(narrowings.authorize(entry, op)).toMatchObject({ allowed: false, code: "denied" });
  });

  // The gateway decides a call before the upstream sees it with Narrowings.gate (the root and
  // the call's facts) and signs the narrowing while the upstream works: that is only sound if the
  // two answer alike for every call, whatever the rights.
  it("the gate allows a call exactly when its narrowing does, and refuses once that is revoked (property)", async () => {
    const clock = createTestClock(Date.parse("2026-12-03T04:00:00Z"));
    const issuer = await generateIssuerKey("gw-gate");
    const types = ["File", "Order", "Customer"];
    const actions = ["read", "write", "delete"];
    const paths = ["/w/a.txt", "/w/my notes.txt", ""];
    const rightArb = fc.record(
      {
        resource: fc.constantFrom(...types),
        actions: fc.subarray(actions, { minLength: 1 }),
        ids: fc.subarray(paths.filter(Boolean).map(capabilityResourceId), { minLength: 1 }),
      },
      { requiredKeys: ["resource", "actions"] },
    );
    const callArb = fc.record({
      tool: fc.constantFrom("fs.read_file", "fs.write_file", "orders.update status"),
      resourceType: fc.constantFrom(...types),
      action: fc.constantFrom(...actions),
      path: fc.oneof(fc.constantFrom(...paths), fc.string({ maxLength: 12 })),
      extra: fc.option(fc.integer(), { nil: undefined }),
      // Time before the call: held narrowings pass half their TTL, short-lived roots expire.
      advance: fc.integer({ min: 0, max: 40_000 }),
    });
    const seen = { allowed: 0, denied: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(rightArb, { minLength: 1, maxLength: 3 }),
        fc.array(callArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 10_000, max: 120_000 }),
        async (rights, calls, rootTtlMs) => {
          const revocations = createRevocationList();
          const root = await mintCapability({
            issuer,
            tenant: "acme",
            principal: client.principal,
            agent: client.agent,
            session: "sess_gw_gate",
            request: "req_gw_gate",
            rights,
            ttlMs: rootTtlMs,
            clock,
            revocations,
          });
          const narrowings = new Narrowings(clock, 30_000);
          const opOf = (c: (typeof calls)[number], path = c.path) =>
            operationFor({
              tool: c.tool,
              declaration: { resourceType: c.resourceType, resourceArgument: "path", action: c.action },
              arguments: c.extra === undefined ? { path } : { path, extra: c.extra },
              digestKey: key,
            });
          for (const c of calls) {
            clock.advance(c.advance);
            const op = opOf(c);
            const gate = narrowings.gate(root, op);
            seen[gate.decision.allowed ? "allowed" : "denied"]++;
            const { entry } = narrowings.narrow(root, op);
            expect(gate.decision.allowed).toBe(narrowings.authorize(entry, op).allowed);
            // Held: the same answer, until the narrowing is revoked by its own id.
            const again = narrowings.gate(root, op);
            expect(again.held).toBe(entry);
            expect(again.decision.allowed).toBe(gate.decision.allowed);
          }
          const first = opOf(calls[0] as (typeof calls)[number]);
          const { entry: held } = narrowings.narrow(root, first);
          expect(narrowings.gate(root, first).held).toBe(held);
          revocations.revokeCapability(held.capability.id);
          expect(narrowings.gate(root, first).decision).toMatchObject({ allowed: false, code: "revoked" });
          expect(narrowings.authorize(held, first).allowed).toBe(false);
          // Revoking the root refuses every call, held or not.
          revocations.revokeCapability(root.id);
          const fresh = opOf(calls[0] as (typeof calls)[number], "/w/never-called");
          expect(narrowings.gate(root, fresh).decision).toMatchObject({ allowed: false, code: "revoked" });
        },
      ),
      { numRuns: 60 },
    );
    // Both answers were exercised, not only one of them.
    expect(seen.allowed).toBeGreaterThan(0);
    expect(seen.denied).toBeGreaterThan(0);
  });
});
