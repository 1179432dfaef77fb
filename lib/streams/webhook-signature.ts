// Standard Webhooks (standardwebhooks.com) signatures, so receivers can use any of its
// libraries. Headers: `webhook-id` (the event id: the receiver's idempotency key),
// `webhook-timestamp` (Unix seconds) and `webhook-signature`, a space-separated list of
// `<version>,<base64 signature>` over `${id}.${timestamp}.${body}`:
// - `v1a`: Ed25519 (the default here: the receiver holds only a public key, `whpk_…`);
// - `v1`: HMAC-SHA256 with a shared secret `whsec_<base64>`.
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from "node:crypto";

export type WebhookScheme = "v1a" | "v1";

export interface WebhookKeys {
  scheme: WebhookScheme;
  /** What the console keeps (encrypted at rest): whsk_ (Ed25519 seed) or whsec_ (HMAC secret). */
  secret: string;
  /** What the receiver is shown once: whpk_ (Ed25519 public key) or the same whsec_. */
  verifyKey: string;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

function unprefix(value: string, prefix: string): Buffer {
  if (!value.startsWith(prefix)) throw new Error(`key must start with ${prefix}`);
  return Buffer.from(value.slice(prefix.length), "base64");
}

export function newWebhookKeys(scheme: WebhookScheme): WebhookKeys {
  if (scheme === "v1") {
    const secret = `whsec_${b64(randomBytes(32))}`;
    return { scheme, secret, verifyKey: secret };
  }
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  return {
    scheme,
    secret: `whsk_${Buffer.from(jwk.d as string, "base64url").toString("base64")}`,
    verifyKey: `whpk_${Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url").toString("base64")}`,
  };
}

// Parsing a key costs more than the signature it makes (createPrivateKey ~40 µs against ~30 µs
// for sign): the deliverer signs every webhook, so the last few keys are kept as KeyObjects.
const privateKeys = new Map<string, KeyObject>();

function edPrivate(secret: string): KeyObject {
  const known = privateKeys.get(secret);
  if (known) return known;
  const key = parseEdPrivate(secret);
  if (privateKeys.size >= 64) privateKeys.clear();
  privateKeys.set(secret, key);
  return key;
}

function parseEdPrivate(secret: string): KeyObject {
  const seed = unprefix(secret, "whsk_");
  if (seed.length !== 32) throw new Error("whsk_ key must hold a 32-byte Ed25519 seed");
  // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): fixed 16-byte prefix, then the seed.
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

function edPublic(verifyKey: string) {
  const raw = unprefix(verifyKey, "whpk_");
  if (raw.length !== 32) throw new Error("whpk_ key must hold a 32-byte Ed25519 public key");
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
    format: "jwk",
  });
}

const signedContent = (id: string, timestamp: number, body: string) =>
  Buffer.from(`${id}.${timestamp}.${body}`);

/** The three headers for one delivery attempt. */
export function signWebhook(args: {
  keys: Pick<WebhookKeys, "scheme" | "secret">;
  id: string;
  timestamp: number;
  body: string;
}): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  const { keys, id, timestamp, body } = args;
  if (/[\s.]/.test(id)) throw new Error("webhook id must not contain spaces or dots");
  const content = signedContent(id, timestamp, body);
  const signature =
    keys.scheme === "v1"
      ? `v1,${createHmac("sha256", unprefix(keys.secret, "whsec_")).update(content).digest("base64")}`
      : `v1a,${b64(sign(null, content, edPrivate(keys.secret)))}`;
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
}

/** The receiver's check (used by the tests and the docs' example): signature and freshness. */
export function verifyWebhook(args: {
  verifyKey: string;
  headers: Record<string, string | undefined>;
  body: string;
  nowSeconds: number;
  toleranceSeconds?: number;
}): boolean {
  const id = args.headers["webhook-id"];
  const ts = Number(args.headers["webhook-timestamp"]);
  const list = args.headers["webhook-signature"];
  if (!id || !list || !Number.isSafeInteger(ts)) return false;
  if (Math.abs(args.nowSeconds - ts) > (args.toleranceSeconds ?? 300)) return false;
  const content = signedContent(id, ts, args.body);
  return list.split(" ").some((entry) => {
    const [version, sig] = entry.split(",", 2);
    if (!sig) return false;
    const given = Buffer.from(sig, "base64");
    if (version === "v1" && args.verifyKey.startsWith("whsec_")) {
      const want = createHmac("sha256", unprefix(args.verifyKey, "whsec_")).update(content).digest();
      return given.length === want.length && timingSafeEqual(given, want);
    }
    if (version === "v1a" && args.verifyKey.startsWith("whpk_")) {
      try {
        return verify(null, content, edPublic(args.verifyKey), given);
      } catch {
        return false;
      }
    }
    return false;
  });
}
