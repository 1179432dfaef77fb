import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier, toPublicKey } from "@/lib/capability";
import {
  currentGeneration,
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
    const before = wasmMemoryBytes();
    for (let i = 0; i < 400; i++) cap.authorize({ resource: "Order", action: "read" });
    expect(wasmMemoryBytes()).toBeGreaterThan(before);
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
});
