// Tree checkpoints as C2SP signed notes, with the console's Ed25519 key in lib/capability's text
// format ("ed25519-private/<hex>", "ed25519/<hex>"). The key name in a note and in its vkey is
// the checkpoint's origin line, so a tenant's vkeys verify only that tenant's checkpoints.
import { createPublicKey, sign } from "node:crypto";
import { ed25519PrivateKey, SPKI_PREFIX } from "@/lib/audit/checkpoint";
import type { Hash } from "./hash";
import { checkpointText, signNote, vkey } from "./note";

/**
 * `${logOrigin}/${tenant}`. A tenant name with characters a note's key name cannot hold (space,
 * '+', control characters, non-ASCII) is percent-encoded; ordinary names are unchanged.
 */
export function treeOrigin(logOrigin: string, tenant: string): string {
  const safe = /^[A-Za-z0-9._~:@!$&'()*,;=/-]+$/.test(tenant) ? tenant : encodeURIComponent(tenant);
  return `${logOrigin}/${safe}`;
}

/** The 32 raw bytes of "ed25519/<hex>". */
export function rawPublicKey(publicKey: string): Uint8Array {
  const hex = /^ed25519\/([0-9a-f]{64})$/.exec(publicKey.trim().toLowerCase())?.[1];
  if (!hex) throw new Error("public key must be ed25519/<64 hex>");
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

function rawPublicKeyOfPrivate(privateKey: string): Uint8Array {
  const der = createPublicKey(ed25519PrivateKey(privateKey)).export({ format: "der", type: "spki" });
  return Uint8Array.from(der.subarray(SPKI_PREFIX.length));
}

/** "ed25519/<hex>" of a signer's public half. */
export function publicKeyOfSigner(signer: { privateKey: string }): string {
  return `ed25519/${Buffer.from(rawPublicKeyOfPrivate(signer.privateKey)).toString("hex")}`;
}

/** The signed checkpoint note "<origin>\n<size>\n<base64 root>\n" + signature line. */
export function signTreeCheckpoint(
  signer: { privateKey: string },
  c: { origin: string; size: number; root: Hash },
): string {
  const key = ed25519PrivateKey(signer.privateKey);
  return signNote(checkpointText({ origin: c.origin, size: c.size, root: c.root, extensions: [] }), {
    name: c.origin,
    publicKey: rawPublicKeyOfPrivate(signer.privateKey),
    sign: (m) => sign(null, m, key),
  });
}

/** One vkey per console public key ("ed25519/<hex>") for this origin; duplicates dropped. */
export function vkeysFor(origin: string, publicKeys: readonly string[]): string[] {
  return [...new Set(publicKeys.map((k) => vkey(origin, rawPublicKey(k))))];
}
