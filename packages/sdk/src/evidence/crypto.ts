// Ed25519 through WebCrypto (globalThis.crypto.subtle): Node 20+ and current browsers
// (Chromium 137+, Firefox 129+, Safari 17+) all verify Ed25519 there, so one code path serves
// both. SHA-256 is sha256.ts's synchronous one (see there why); sha256Subtle is the cross-check.
import { concatBytes } from "./bytes.js";
import { sha256Sync } from "./sha256.js";

// Named through globalThis so the file compiles with Node's types alone (no "dom" lib).
type Subtle = typeof globalThis.crypto.subtle;
type Key = Awaited<ReturnType<Subtle["importKey"]>>;

function subtle(): Subtle {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error("WebCrypto (crypto.subtle) is not available: use Node 20+ or a browser over HTTPS");
  return s;
}

// Copy into a fresh ArrayBuffer-backed view: WebCrypto refuses SharedArrayBuffer views.
const view = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

export async function sha256Subtle(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest("SHA-256", view(data)));
}

export const sha256 = sha256Sync;

/** RFC 6962 leaf hash: SHA-256(0x00 || data). */
export const leafHash = (data: Uint8Array) => sha256Sync(concatBytes(Uint8Array.of(0), data));

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array) =>
  sha256Sync(concatBytes(Uint8Array.of(1), left, right));

const importedKeys = new Map<string, Promise<Key>>();

/** Ed25519 signature check; false for a malformed key or signature, never a throw. */
export async function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const cacheKey = Array.from(publicKey).join(",");
  let key = importedKeys.get(cacheKey);
  if (!key) {
    key = subtle().importKey("raw", view(publicKey), { name: "Ed25519" }, false, ["verify"]);
    importedKeys.set(cacheKey, key);
  }
  try {
    return await subtle().verify({ name: "Ed25519" }, await key, view(signature), view(message));
  } catch {
    importedKeys.delete(cacheKey);
    return false;
  }
}
