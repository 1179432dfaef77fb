import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "@/lib/audit/chain";

/**
 * Events carry `inputDigest: "hmac-sha256:<hex>"`, never the raw tool input. With the same key,
 * the console answers "was this exact input used?" by digesting a candidate and looking it up,
 * while the log alone reveals nothing about low-entropy inputs (a plain hash could be brute-forced).
 *
 * The key is derived (HKDF-SHA256) from the console key's private half, so no second secret has
 * to be kept; the derived key can be handed to agent platforms without exposing the signing key.
 * Rotating the console key changes every digest: look up with the key that was current then.
 */
export function inputDigestKey(consolePrivateKey: string): Buffer {
  const hex = /^ed25519-private\/([0-9a-f]{64})$/.exec(consolePrivateKey)?.[1];
  if (!hex) throw new Error("expected the console key's privateKey (ed25519-private/<64 hex>)");
  return Buffer.from(
    hkdfSync("sha256", Buffer.from(hex, "hex"), "capability-console", "input-digest v1", 32),
  );
}

/** Strings and bytes are digested as they are; anything else as canonical JSON (sorted keys). */
export function inputDigest(key: Uint8Array, input: unknown): string {
  const data =
    typeof input === "string" || input instanceof Uint8Array
      ? input
      : Buffer.from(canonicalJson(input), "utf8");
  return `hmac-sha256:${createHmac("sha256", key).update(data).digest("hex")}`;
}

export function inputDigestMatches(key: Uint8Array, input: unknown, digest: string): boolean {
  const a = Buffer.from(inputDigest(key, input));
  const b = Buffer.from(digest);
  return a.length === b.length && timingSafeEqual(a, b);
}
