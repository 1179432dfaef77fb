import { generateKeyPairSync } from "node:crypto";
import { loadBiscuit } from "@capability-console/sdk/internal/capability/wasm-loader";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isEd25519Point } from "@/lib/data/tenant-admin";

const hex = (b: Uint8Array) => `ed25519/${Buffer.from(b).toString("hex")}`;

describe("isEd25519Point (the Admin page's check of a pasted issuer key)", () => {
  it("accepts real public keys", () => {
    for (let i = 0; i < 50; i++) {
      const der = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" });
      expect(isEd25519Point(hex(der.subarray(-32)))).toBe(true);
    }
  });

  it("refuses y at or above the field prime, and bad lengths", () => {
    expect(isEd25519Point(`ed25519/${"ff".repeat(32)}`)).toBe(false);
    // p = 2^255 - 19, little-endian: ed ff … ff 7f
    expect(isEd25519Point(`ed25519/ed${"ff".repeat(30)}7f`)).toBe(false);
    expect(isEd25519Point(`ed25519/${"00".repeat(31)}`)).toBe(false);
  });

  it("refuses the points of small order (they verify no honest signature)", async () => {
    // The eight small-order points of Curve25519 in canonical encoding (libsodium's blocklist).
    const smallOrder = [
      "0100000000000000000000000000000000000000000000000000000000000000", // identity
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
      "0000000000000000000000000000000000000000000000000000000000000000", // order 4
      "0000000000000000000000000000000000000000000000000000000000000080", // order 4
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
    ];
    for (const p of smallOrder) expect(isEd25519Point(`ed25519/${p}`), p).toBe(false);
    // They are points on the curve (dalek decodes them): the order check is what refuses them.
    const bw = await loadBiscuit();
    for (const p of smallOrder.slice(4))
      bw.PublicKey.fromBytes(Buffer.from(p, "hex"), bw.SignatureAlgorithm.Ed25519).free();
  });

  it("agrees with Biscuit's own decoder (ed25519-dalek) on random 32-byte strings", async () => {
    const bw = await loadBiscuit();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        let dalek = true;
        try {
          bw.PublicKey.fromBytes(bytes, bw.SignatureAlgorithm.Ed25519).free();
        } catch {
          dalek = false;
        }
        expect(isEd25519Point(hex(bytes))).toBe(dalek);
      }),
      { numRuns: 2000 },
    );
  });
});
