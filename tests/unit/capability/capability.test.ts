import {
  CapabilityError,
  createVerifier,
  formatBearer,
  formatPublicKey,
  generateIssuerKey,
  mintEscalation,
  parseBearer,
  parsePublicKeyBytes,
  publicKeyFromPrivate,
  toPublicKey,
} from "@capability-console/sdk/capability";
import { beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture, T0 } from "./fixtures";

let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});

describe("mint, narrow, verify, authorize", () => {
  it("mints a root capability whose ids, hash and summary match DESIGN.md", async () => {
    const root = await f.mint();
    expect(root.depth).toBe(0);
    expect(root.id).toBe(root.rootId);
    expect(root.parentId).toBeUndefined();
    expect(root.id).toMatch(/^[0-9a-f]{128}$/);
    expect(root.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(root.kind).toBe("minted");
    expect(root.summary()).toMatchObject({
      principal: "alice@acme.example",
      tenants: ["acme"],
      rights: [
        { resource: "Customer", actions: ["read", "write"], fields: ["email", "name", "phone"] },
        { resource: "Order", actions: ["read"] },
      ],
      budget: { rows: 100 },
      session: "sess_7Hq2",
      request: "req_91ab",
      agent: "alice-assistant/research",
      issuer: "acme-2026-11",
      issuedAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 60_000).toISOString(),
      chain: [root.id],
      opaqueChecks: 0,
    });
  });

  it("narrows offline; the child names its parent and the failed check in words", async () => {
    const root = await f.mint();
    const child = root.narrowTo({ resource: "Customer", id: "c_381", fields: ["name", "email"] });
    const grandchild = child.narrowTo({ action: "read", budget: { rows: 5 } });
    expect(child.parentId).toBe(root.id);
    expect(grandchild.parentId).toBe(child.id);
    expect(grandchild.rootId).toBe(root.id);
    expect(grandchild.summary().chain).toEqual([root.id, child.id, grandchild.id]);
    expect(grandchild.summary().rights).toEqual([
      { resource: "Customer", actions: ["read"], ids: ["c_381"], fields: ["email", "name"] },
    ]);
    expect(grandchild.summary().budget).toEqual({ rows: 5 });
    expect(
      grandchild.authorize({ resource: "Customer", action: "read", id: "c_381", fields: ["name"] }),
    ).toEqual({
      allowed: true,
    });
    expect(grandchild.authorize({ resource: "Order", action: "read" })).toEqual({
      allowed: false,
      code: "denied",
      reason: "resource Order is not Customer#c_381 (check in block 1)",
    });
    const write = grandchild.authorize({ resource: "Customer", action: "write", id: "c_381" });
    expect(write).toMatchObject({ allowed: false, reason: "action write is not read (check in block 2)" });
    const rows = grandchild.authorize({
      resource: "Customer",
      action: "read",
      id: "c_381",
      use: { rows: 6 },
    });
    expect(rows).toMatchObject({ allowed: false, reason: "rows 6 exceeds budget 5 (check in block 2)" });
    const noRight = root.authorize({ resource: "Invoice", action: "read" });
    expect(noRight).toMatchObject({ allowed: false, reason: "no right grants read on Invoice" });
  });

  it("verifies a bearer token by kid across a key rotation, and rejects unknown keys", async () => {
    const next = await generateIssuerKey("acme-2026-12");
    const verifier = await createVerifier({ keys: [toPublicKey(f.key), toPublicKey(next)], clock: f.clock });
    const oldToken = (await f.mint()).narrowTo({ resource: "Order" });
    const newToken = await f.mint({ issuer: next });
    for (const cap of [oldToken, newToken]) {
      const header = formatBearer(cap.token);
      const result = verifier.verify(parseBearer(header));
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.capability.id).toBe(cap.id);
    }
    const stranger = await f.mint({ issuer: f.otherKey });
    const refused = verifier.verify(stranger.token);
    expect(refused).toMatchObject({ ok: false, error: { code: "unknown_key" } });
  });

  it("refuses a token whose block 0 names another kid than the key that signed it", async () => {
    // Same key material published under another kid: the numeric root key id will not match.
    const alias = { ...toPublicKey(f.key), kid: "alias" };
    const verifier = await createVerifier({ keys: [alias], clock: f.clock });
    const result = verifier.verify((await f.mint()).token);
    expect(result).toMatchObject({ ok: false, error: { code: "unknown_key" } });
  });

  it("expires exactly at expiresAt with millisecond precision", async () => {
    const root = await f.mint({ ttlMs: 1_500 });
    const child = root.narrowTo({ ttlMs: 700 });
    const op = { resource: "Order", action: "read" };
    f.clock.set(T0 + 699);
    expect(child.authorize(op).allowed).toBe(true);
    f.clock.set(T0 + 700);
    expect(child.authorize(op)).toMatchObject({ allowed: false, code: "denied" });
    expect(root.authorize(op).allowed).toBe(true);
    f.clock.set(T0 + 1_499);
    expect(root.authorize(op).allowed).toBe(true);
    f.clock.set(T0 + 1_500);
    const denied = root.authorize(op);
    expect(denied).toMatchObject({ allowed: false });
    if (!denied.allowed) expect(denied.reason).toContain("capability expired at 2026-11-26T09:00:01.500Z");
    f.clock.set(T0);
  });

  it("a later expiry in a narrowing never extends the parent's", async () => {
    const root = await f.mint({ ttlMs: 1_000 });
    const child = root.narrowTo({ ttlMs: 10_000 });
    expect(child.expiresAt).toBe(T0 + 1_000);
    f.clock.set(T0 + 1_000);
    expect(child.authorize({ resource: "Order", action: "read" }).allowed).toBe(false);
    f.clock.set(T0);
  });

  it("mints escalations for one operation with a capped ttl", async () => {
    const esc = await mintEscalation({
      issuer: f.key,
      tenant: "acme",
      principal: "alice@acme.example",
      agent: "alice-assistant/research",
      session: "sess_7Hq2",
      request: "req_esc",
      operation: { resource: "Order", action: "write", id: "o_1" },
      ttlMs: 60_000,
      clock: f.clock,
    });
    expect(esc.kind).toBe("escalation");
    expect(esc.authorize({ resource: "Order", action: "write", id: "o_1" }).allowed).toBe(true);
    expect(esc.authorize({ resource: "Order", action: "write", id: "o_2" }).allowed).toBe(false);
    await expect(
      mintEscalation({
        issuer: f.key,
        tenant: "acme",
        principal: "p",
        agent: "a",
        session: "s",
        request: "r",
        operation: { resource: "Order", action: "write" },
        ttlMs: 60_001,
        clock: f.clock,
      }),
    ).rejects.toThrow(CapabilityError);
  });

  it("narrows to one tool and one argument digest: the token carries both checks, offline", async () => {
    const digest = `hmac-sha256:${"ab".repeat(32)}`;
    const other = `hmac-sha256:${"cd".repeat(32)}`;
    const root = await f.mint();
    const call = root.narrowTo({
      resource: "Order",
      id: "o_1",
      action: "read",
      tool: "shop.get_order",
      argDigest: digest,
    });
    const op = { resource: "Order", action: "read", id: "o_1", tool: "shop.get_order", argDigest: digest };
    expect(call.authorize(op)).toEqual({ allowed: true });
    expect(call.authorize({ ...op, tool: "shop.delete_order" })).toEqual({
      allowed: false,
      code: "denied",
      reason: "tool shop.delete_order is not shop.get_order (check in block 1)",
    });
    expect(call.authorize({ ...op, argDigest: other })).toEqual({
      allowed: false,
      code: "denied",
      reason: `argument digest ${other} is not ${digest} (check in block 1)`,
    });
    // Deny by default: an operation without the facts fails the checks.
    const { tool: _tool, argDigest: _digest, ...bare } = op;
    expect(call.authorize(bare)).toMatchObject({ allowed: false, code: "denied" });
    expect(call.authorize({ ...op, tool: undefined })).toMatchObject({
      allowed: false,
      reason: "only tool shop.get_order (the operation names no tool) (check in block 1)",
    });
    expect(call.authorize({ ...op, argDigest: undefined })).toMatchObject({ allowed: false, code: "denied" });
    // The root has no such checks: the extra facts change nothing for it.
    expect(root.authorize({ ...op, tool: "anything" }).allowed).toBe(true);

    // From the token bytes alone, with the issuer's public key only: the block reads back as
    // Datalog checks on tool and arg_digest, and the capability decides the same.
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock });
    const verified = verifier.verify(call.token);
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    const block = verified.capability.blocks()[1];
    expect(block?.checks).toEqual(
      expect.arrayContaining([
        { kind: "tool", tool: "shop.get_order" },
        { kind: "argDigest", digest },
      ]),
    );
    expect(verified.capability.summary().opaqueChecks).toBe(0);
    expect(verified.capability.parentId).toBe(root.id);
    expect(verified.capability.authorize(op).allowed).toBe(true);
    expect(verified.capability.authorize({ ...op, argDigest: other }).allowed).toBe(false);

    // Offline attenuation of the narrowed token still verifies and keeps both checks.
    const narrower = verified.capability.narrowTo({ ttlMs: 5_000 });
    const again = verifier.verify(narrower.token);
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    expect(again.capability.summary().chain).toEqual([root.id, call.id, narrower.id]);
    expect(again.capability.authorize(op).allowed).toBe(true);
    expect(again.capability.authorize({ ...op, tool: "shop.delete_order" }).allowed).toBe(false);
    expect(() => root.narrowTo({ tool: 'x"); check if true; ("' })).toThrow(CapabilityError);
    expect(() => call.authorize({ ...op, argDigest: "a b" })).toThrow(CapabilityError);
  });

  it("rejects names that could smuggle datalog", async () => {
    await expect(f.mint({ tenant: 'acme"); right("x' })).rejects.toMatchObject({ code: "invalid_argument" });
    const root = await f.mint();
    expect(() => root.narrowTo({ resource: "*" })).toThrow(CapabilityError);
    expect(() => root.authorize({ resource: "Order", action: "read", id: "*" })).toThrow(CapabilityError);
  });
});

describe("keys and bearer format", () => {
  it("round-trips keys as ed25519/<hex> and derives the public key from the private one", async () => {
    const key = await generateIssuerKey("k1");
    expect(key.publicKey).toMatch(/^ed25519\/[0-9a-f]{64}$/);
    expect(key.privateKey).toMatch(/^ed25519-private\/[0-9a-f]{64}$/);
    expect(await publicKeyFromPrivate(key.privateKey)).toBe(key.publicKey);
    expect(formatPublicKey(parsePublicKeyBytes(key.publicKey))).toBe(key.publicKey);
    expect(JSON.stringify(toPublicKey(key))).not.toContain("private");
  });

  it("parses only well-formed bearer headers", () => {
    expect(parseBearer("Bearer abc_-123")).toBe("abc_-123");
    expect(parseBearer("bearer abc=")).toBe("abc=");
    for (const bad of [undefined, "", "Basic abc", "Bearer", "Bearer a b", "Bearer a.b", "Bearerabc"]) {
      expect(() => parseBearer(bad)).toThrow(CapabilityError);
    }
  });

  it("never serializes the token itself", async () => {
    const cap = await f.mint();
    expect(JSON.stringify({ cap })).not.toContain(cap.token);
    expect(String(cap)).not.toContain(cap.token);
  });
});
