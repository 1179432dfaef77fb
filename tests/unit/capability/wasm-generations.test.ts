import { createVerifier, toPublicKey } from "@capability-console/sdk/capability";
import {
  biscuitRuntime,
  currentGeneration,
  growWasmMemory,
  recycleWasmNow,
  setWasmRecycleThreshold,
  spareReady,
  wasmMemoryBytes,
} from "@capability-console/sdk/internal/capability/wasm-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./fixtures";

/**
 * The loader replaces biscuit-wasm 0.6.0's leaking allocator (wasm-allocator.ts), and still runs
 * the module as generations: past a memory threshold it switches to a fresh instance.
 * Capabilities made on an old instance must keep working.
 */
let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});

afterAll(() => {
  setWasmRecycleThreshold(24 * 1024 * 1024);
});

describe("wasm generations", () => {
  it("wasm memory stays flat with use: freed memory is reused (wee_alloc lost ~20 KB a call)", async () => {
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, cacheSize: 0 });
    const token = (await f.mint()).narrowTo({ resource: "Customer", id: "c_1" }).token;
    recycleWasmNow();
    const verified = verifier.verify(token);
    if (!verified.ok) throw verified.error;
    const op = { resource: "Customer", action: "read", id: "c_1" };
    expect(verified.capability.authorize(op).allowed).toBe(true);
    const generation = currentGeneration();
    const before = wasmMemoryBytes();
    // Each authorization builds and frees an authorizer: ~9 MB of lost blocks with wee_alloc.
    // (Verifications are left out: a parsed token stays in memory until its Capability is
    // garbage collected, which is the JS engine's decision, not the allocator's.)
    for (let i = 0; i < 400; i++) expect(verified.capability.authorize(op).allowed).toBe(true);
    expect(currentGeneration()).toBe(generation);
    expect(wasmMemoryBytes()).toBe(before);
    expect(before).toBeLessThan(8 * 1024 * 1024);
  });

  it("release() frees a parsed token now; the capability stays usable and parses again", async () => {
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, cacheSize: 0 });
    const token = (await f.mint()).narrowTo({ resource: "Customer", id: "c_1" }).token;
    const op = { resource: "Customer", action: "read", id: "c_1" };
    const once = () => {
      const verified = verifier.verify(token);
      if (!verified.ok) throw verified.error;
      expect(verified.capability.authorize(op).allowed).toBe(true);
      verified.capability.release();
    };
    recycleWasmNow();
    once();
    const before = wasmMemoryBytes();
    // Without release() each parsed token (~7 KB) waits for a garbage collection.
    for (let i = 0; i < 400; i++) once();
    expect(wasmMemoryBytes()).toBe(before);

    const verified = verifier.verify(token);
    if (!verified.ok) throw verified.error;
    const cap = verified.capability;
    cap.release();
    cap.release(); // twice is harmless
    expect(cap.authorize(op).allowed).toBe(true);
    expect(cap.authorize({ ...op, id: "c_2" })).toMatchObject({ allowed: false });
    expect(cap.blocks()).toHaveLength(2);
    cap.release();
    const child = cap.narrowTo({ action: "read" });
    expect(child.parentId).toBe(cap.id);
    expect(child.authorize(op).allowed).toBe(true);
  });

  it("the verified-token cache releases what it evicts; an evicted capability still works", async () => {
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, cacheSize: 8 });
    const root = await f.mint();
    const tokens = Array.from({ length: 60 }, (_, i) =>
      root.narrowTo({ resource: "Customer", id: `c_${i}` }),
    );
    const verifyAll = () =>
      tokens.map((t, i) => {
        const verified = verifier.verify(t.token);
        if (!verified.ok) throw verified.error;
        expect(
          verified.capability.authorize({ resource: "Customer", action: "read", id: `c_${i}` }).allowed,
        ).toBe(true);
        return verified.capability;
      });
    recycleWasmNow();
    const first = verifyAll();
    const before = wasmMemoryBytes();
    for (let round = 0; round < 6; round++) verifyAll();
    expect(wasmMemoryBytes()).toBe(before);
    // The first capability was evicted (and released) long ago; it re-parses on use.
    expect(first[0]?.authorize({ resource: "Customer", action: "read", id: "c_0" }).allowed).toBe(true);
  });

  it("switches instance when memory passed the threshold; old capabilities still verify, narrow and authorize", async () => {
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock });
    const old = (await f.mint()).narrowTo({ resource: "Customer", id: "c_1" });
    expect(verifier.verify(old.token).ok).toBe(true);
    const generation = currentGeneration();
    await spareReady();
    // Memory this instance did not grow itself: the allocator must start past it, and the
    // instance is due (over the threshold, more than twice its start size).
    growWasmMemory(2 * wasmMemoryBytes());
    expect(old.authorize({ resource: "Customer", action: "read", id: "c_1" }).allowed).toBe(true);
    expect(currentGeneration()).toBe(generation);
    setWasmRecycleThreshold(wasmMemoryBytes() - 1);
    const child = old.narrowTo({ action: "read" });
    setWasmRecycleThreshold(24 * 1024 * 1024);
    expect(currentGeneration()).toBe(generation + 1);
    expect(child.parentId).toBe(old.id);
    expect(child.authorize({ resource: "Customer", action: "read", id: "c_1" }).allowed).toBe(true);
    expect(old.authorize({ resource: "Customer", action: "write", id: "c_1" }).allowed).toBe(true);
    expect(old.authorize({ resource: "Order", action: "read" })).toMatchObject({
      allowed: false,
      reason: "resource Order is not Customer#c_1 (check in block 1)",
    });
    // Cached verification from the old generation, and a fresh one, both still work.
    expect(verifier.verify(old.token).ok).toBe(true);
    expect(verifier.verify(child.token).ok).toBe(true);
    expect((await f.mint()).authorize({ resource: "Order", action: "read" }).allowed).toBe(true);
  });

  it("each generation gets a fresh glue copy that is not an ES module (Node never frees those)", () => {
    const first = biscuitRuntime();
    recycleWasmNow();
    const next = biscuitRuntime();
    expect(next.generation).toBeGreaterThan(first.generation);
    expect(next.bw).not.toBe(first.bw);
    expect(next.bw.Biscuit).not.toBe(first.bw.Biscuit);
    expect(Object.prototype.toString.call(next.bw)).not.toBe("[object Module]");
  });

  it("an instance is not retired before its memory doubled, whatever the threshold", async () => {
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, cacheSize: 0 });
    const token = (await f.mint()).narrowTo({ resource: "Customer", id: "c_1" }).token;
    recycleWasmNow();
    biscuitRuntime();
    const before = currentGeneration();
    setWasmRecycleThreshold(0);
    try {
      for (let i = 0; i < 60; i++) {
        const verified = verifier.verify(token);
        if (!verified.ok) throw verified.error;
        expect(
          verified.capability.authorize({ resource: "Customer", action: "read", id: "c_1" }).allowed,
        ).toBe(true);
      }
    } finally {
      setWasmRecycleThreshold(24 * 1024 * 1024);
    }
    // Memory does not grow, so it never doubles: not one switch per call.
    expect(currentGeneration()).toBe(before);
  });
});

describe("keys after a generation switch", () => {
  it("are made and read on the current generation, not the first (retired) one", async () => {
    const { generateIssuerKey, mintCapability, publicKeyFromPrivate } = await import(
      "@capability-console/sdk/capability"
    );
    const first = biscuitRuntime();
    recycleWasmNow();
    const next = biscuitRuntime();
    expect(next.generation).toBeGreaterThan(first.generation);
    // The first generation is retired (its glue points at an inert stand-in): keys made with it
    // were garbage, so tokens minted with them failed verification ("signature is invalid").
    const key = await generateIssuerKey("after-switch-2026-11");
    expect(await publicKeyFromPrivate(key.privateKey)).toBe(key.publicKey);
    const verifier = await createVerifier({ keys: [toPublicKey(key)], clock: f.clock, cacheSize: 0 });
    const cap = await mintCapability({
      issuer: key,
      tenant: "acme",
      principal: "alice@acme.example",
      agent: "bot",
      session: "s",
      request: "r",
      rights: [{ resource: "Order", actions: ["read"] }],
      ttlMs: 60_000,
      clock: f.clock,
    });
    const verified = verifier.verify(cap.narrowTo({ id: "o_1" }).token);
    if (!verified.ok) throw verified.error;
    expect(verified.capability.authorize({ resource: "Order", action: "read", id: "o_1" }).allowed).toBe(
      true,
    );
  });
});
