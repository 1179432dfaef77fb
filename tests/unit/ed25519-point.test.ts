import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadBiscuit } from "@/lib/capability/wasm-loader";
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
