import { describe, expect, it, vi } from "vitest";

// Next's server build copies the SDK's capability core into several chunks (route handlers, server
// actions, pages). Every copy must drive the one wasm instance of the process: two instances
// sharing one glue module wrote strings into each other's memory (mints failed with parse errors
// of NUL bytes after a route handler and a server action had both minted).

type CapabilityLib = typeof import("@capability-console/sdk/capability");
type Loader = typeof import("@capability-console/sdk/internal/capability/wasm-loader");

async function freshCopy(): Promise<{ lib: CapabilityLib; loader: Loader }> {
  vi.resetModules();
  const lib = await import("@capability-console/sdk/capability");
  const loader = await import("@capability-console/sdk/internal/capability/wasm-loader");
  return { lib, loader };
}

describe("copies of the capability library in one process", () => {
  it("share one wasm instance, its generations and its glue", async () => {
    const a = await freshCopy();
    const b = await freshCopy();
    expect(b.loader).not.toBe(a.loader); // really two module instances
    const [bwA, bwB] = await Promise.all([a.loader.loadBiscuit(), b.loader.loadBiscuit()]);
    expect(bwB).toBe(bwA);
    expect(b.loader.currentGeneration()).toBe(a.loader.currentGeneration());
  });

  it("mint and verify each other's tokens, interleaved, across generation switches", async () => {
    const a = await freshCopy();
    const b = await freshCopy();
    const clock = a.lib.createTestClock(Date.UTC(2026, 10, 26, 9));
    const key = await a.lib.generateIssuerKey("copies-2026-11");
    const verifiers = [
      await a.lib.createVerifier({ keys: [a.lib.toPublicKey(key)], clock, cacheSize: 0 }),
      await b.lib.createVerifier({ keys: [b.lib.toPublicKey(key)], clock, cacheSize: 0 }),
    ];
    const mints = [a.lib.mintCapability, b.lib.mintCapability];
    const first = a.loader.currentGeneration();
    try {
      for (let i = 0; i < 120; i++) {
        // A switch every 20 iterations (forced: with the replaced allocator memory stays flat).
        if (i % 20 === 10) {
          await a.loader.spareReady();
          (i % 40 === 10 ? a : b).loader.recycleWasmNow();
        }
        const minted = await (mints[i % 2] as CapabilityLib["mintCapability"])({
          issuer: key,
          tenant: "acme",
          principal: `user${i}@acme.example`,
          agent: "bot",
          session: `sess_${i}`,
          request: `req_${i}`,
          rights: [{ resource: "Order", actions: ["read", "write"], ids: [`o_${i}`] }],
          ttlMs: 60_000,
          clock,
        });
        const at = () => `iteration ${i}, generation ${a.loader.currentGeneration()}`;
        const verifier = verifiers[(i + 1) % 2] as Awaited<ReturnType<CapabilityLib["createVerifier"]>>;
        const verified = verifier.verify(minted.token);
        if (!verified.ok) throw new Error(`${at()}: ${verified.error.code}: ${verified.error.message}`);
        expect(verified.capability.summary().principal, at()).toBe(`user${i}@acme.example`);
        const allowed = verified.capability.authorize({ resource: "Order", action: "write", id: `o_${i}` });
        expect(allowed.allowed, `${at()}: ${allowed.allowed ? "" : allowed.reason}`).toBe(true);
        const other = verified.capability.authorize({ resource: "Order", action: "write", id: "o_other" });
        expect(other.allowed, at()).toBe(false);
      }
      expect(b.loader.currentGeneration()).toBeGreaterThan(first);
    } finally {
      a.loader.setWasmRecycleThreshold(24 * 1024 * 1024);
    }
  });
});
