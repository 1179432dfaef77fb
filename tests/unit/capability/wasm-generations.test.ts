import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier, toPublicKey } from "@/lib/capability";
import {
  biscuitRuntime,
  currentGeneration,
  recycleWasmNow,
  setWasmRecycleThreshold,
  spareReady,
  wasmMemoryBytes,
} from "@/lib/capability/wasm-loader";
import { createFixture, type Fixture } from "./fixtures";

/**
 * biscuit-wasm 0.6.0 (wee_alloc) never reuses freed memory; the loader switches to a fresh
 * instance past a threshold. Capabilities made on an old instance must keep working.
 */
let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});

afterAll(() => {
  setWasmRecycleThreshold(24 * 1024 * 1024);
});

describe("wasm generations", () => {
  it("wasm memory grows with use (the leak this works around is real)", async () => {
    const cap = await f.mint();
    // A generation without a prefaulted heap (see the prefault test below), so growth shows.
    setWasmRecycleThreshold(8 * 1024 * 1024);
    recycleWasmNow();
    try {
      cap.authorize({ resource: "Order", action: "read" });
      const before = wasmMemoryBytes();
      for (let i = 0; i < 150; i++) cap.authorize({ resource: "Order", action: "read" });
      expect(wasmMemoryBytes()).toBeGreaterThan(before);
    } finally {
      setWasmRecycleThreshold(24 * 1024 * 1024);
    }
  });

  it("switches instance past the threshold; old capabilities still verify, narrow and authorize", async () => {
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock });
    const old = (await f.mint()).narrowTo({ resource: "Customer", id: "c_1" });
    expect(verifier.verify(old.token).ok).toBe(true);
    const generation = currentGeneration();
    await spareReady();
    setWasmRecycleThreshold(0);
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
    setWasmRecycleThreshold(0);
    let next = biscuitRuntime();
    for (let i = 0; next.generation === first.generation && i < 200; i++) {
      next.bw.Biscuit.builder().free(); // grow the heap until the instance may retire
      next = biscuitRuntime();
    }
    setWasmRecycleThreshold(24 * 1024 * 1024);
    expect(next.generation).toBeGreaterThan(first.generation);
    expect(next.bw).not.toBe(first.bw);
    expect(next.bw.Biscuit).not.toBe(first.bw.Biscuit);
    expect(Object.prototype.toString.call(next.bw)).not.toBe("[object Module]");
  });

  it("a fresh instance is not retired before its memory doubled, whatever the threshold", async () => {
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, cacheSize: 0 });
    const token = (await f.mint()).narrowTo({ resource: "Customer", id: "c_1" }).token;
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
    const switches = currentGeneration() - before;
    expect(switches).toBeGreaterThan(0);
    expect(switches).toBeLessThan(30); // not one or two per call
  });
});

describe("keys after a generation switch", () => {
  it("are made and read on the current generation, not the first (retired) one", async () => {
    const { generateIssuerKey, mintCapability, publicKeyFromPrivate } = await import(
      "@/lib/capability/index"
    );
    const first = biscuitRuntime();
    setWasmRecycleThreshold(0);
    let next = biscuitRuntime();
    for (let i = 0; next.generation === first.generation && i < 200; i++) {
      next.bw.Biscuit.builder().free();
      next = biscuitRuntime();
    }
    setWasmRecycleThreshold(24 * 1024 * 1024);
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

describe("prefaulting a generation's heap", () => {
  it("serves the next calls from memory touched at start: the instance does not grow", async () => {
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, cacheSize: 0 });
    const token = (await f.mint()).narrowTo({ resource: "Customer", id: "c_1" }).token;
    const run = () => {
      const verified = verifier.verify(token);
      if (!verified.ok) throw verified.error;
      expect(verified.capability.authorize({ resource: "Customer", action: "read", id: "c_1" }).allowed).toBe(
        true,
      );
    };
    setWasmRecycleThreshold(24 * 1024 * 1024);
    const earlier = currentGeneration();
    recycleWasmNow();
    run();
    const generation = currentGeneration();
    expect(generation).toBeGreaterThan(earlier);
    const before = wasmMemoryBytes();
    expect(before).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    for (let i = 0; i < 200; i++) run(); // ~4 MB of leaked allocations
    expect(currentGeneration()).toBe(generation);
    expect(wasmMemoryBytes()).toBe(before);
  });
});
