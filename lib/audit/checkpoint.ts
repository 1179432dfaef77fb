import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import type { Checkpoint } from "@/db/schema";

/** What signs checkpoints: the console key's kid and private half ("ed25519-private/<hex>"). */
export interface CheckpointSigner {
  kid: string;
  privateKey: string;
}

/** What verifies them: kid -> "ed25519/<hex>". */
export type CheckpointKeys = ReadonlyMap<string, string> | readonly { kid: string; publicKey: string }[];

export const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
export const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const keyCache = new Map<string, KeyObject>();

/** node:crypto's key for "ed25519-private/<hex>" (lib/capability's format), cached. */
export function ed25519PrivateKey(value: string): KeyObject {
  let key = keyCache.get(value);
  if (!key) {
    const hex = /^ed25519-private\/([0-9a-f]{64})$/.exec(value)?.[1];
    if (!hex) throw new Error("checkpoint signer: privateKey must be ed25519-private/<64 hex>");
    const der = Buffer.concat([PKCS8_PREFIX, Buffer.from(hex, "hex")]);
    key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    keyCache.set(value, key);
  }
  return key;
}

/** node:crypto's key for "ed25519/<hex>", or null when the value is not one. */
export function ed25519PublicKey(value: string): KeyObject | null {
  const hex = /^ed25519\/([0-9a-f]{64})$/.exec(value.trim().toLowerCase())?.[1];
  if (!hex) return null;
  return createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, Buffer.from(hex, "hex")]),
    format: "der",
    type: "spki",
  });
}

/** The exact bytes signed: versioned, one field per line, nothing a tenant name could forge. */
export function checkpointPayload(c: {
  tenant: string;
  seq: number;
  hash: string;
  signedAt: Date;
  kid: string;
}) {
  return Buffer.from(
    `capability-console checkpoint v1\n${c.tenant}\n${c.seq}\n${c.hash}\n${c.signedAt.toISOString()}\n${c.kid}`,
  );
}

export function signCheckpoint(
  signer: CheckpointSigner,
  head: { tenant: string; seq: number; hash: string },
  signedAt = new Date(),
): Omit<Checkpoint, "id"> {
  // Milliseconds only: the database returns what JavaScript can hold, and must verify the same.
  const at = new Date(signedAt.getTime());
  const payload = checkpointPayload({ ...head, signedAt: at, kid: signer.kid });
  const signature = sign(null, payload, ed25519PrivateKey(signer.privateKey)).toString("base64url");
  return { ...head, signedAt: at, kid: signer.kid, signature };
}

function keyMap(keys: CheckpointKeys): Map<string, KeyObject | null> {
  const entries: [string, string][] =
    keys instanceof Map
      ? [...keys.entries()]
      : (keys as { kid: string; publicKey: string }[]).map((k) => [k.kid, k.publicKey]);
  return new Map(entries.map(([kid, pub]) => [kid, ed25519PublicKey(pub)]));
}

/** A reusable verifier over a fixed set of public keys. */
export function checkpointVerifier(keys: CheckpointKeys) {
  const map = keyMap(keys);
  return (c: Omit<Checkpoint, "id">): "ok" | "unknown_kid" | "bad_signature" => {
    const key = map.get(c.kid);
    if (!key) return "unknown_kid";
    let sig: Buffer;
    try {
      sig = Buffer.from(c.signature, "base64url");
    } catch {
      return "bad_signature";
    }
    return verify(null, checkpointPayload(c), key, sig) ? "ok" : "bad_signature";
  };
}
