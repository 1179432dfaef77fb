// Stream secrets (webhook signing keys, collector tokens) at rest: AES-256-GCM under a key
// derived from the console's NEXTAUTH_SECRET, which every instance of one console already shares.
// The stream's tenant and id are the additional data, so a ciphertext copied onto another
// stream's row does not decrypt. Rotating NEXTAUTH_SECRET makes stored secrets unreadable: the
// streams then fail with "secret unreadable" and an admin rotates each stream's secret.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";
const INFO = "capability-console/stream-secrets/v1";

export class SecretBoxError extends Error {
  override name = "SecretBoxError";
}

// One master secret per process in practice: its derived key is computed once, not per delivery.
let derived: { masterSecret: string; key: Buffer } | null = null;

function keyFrom(masterSecret: string): Buffer {
  if (!masterSecret || masterSecret.length < 16)
    throw new SecretBoxError("stream secrets need NEXTAUTH_SECRET (at least 16 characters)");
  if (derived?.masterSecret !== masterSecret)
    derived = { masterSecret, key: Buffer.from(hkdfSync("sha256", masterSecret, Buffer.alloc(0), INFO, 32)) };
  return derived.key;
}

const aad = (owner: { tenant: string; id: string }) => Buffer.from(`${owner.tenant}\n${owner.id}`);

export function sealSecret(args: {
  masterSecret: string;
  owner: { tenant: string; id: string };
  plain: string;
}) {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFrom(args.masterSecret), iv);
  cipher.setAAD(aad(args.owner));
  const body = Buffer.concat([cipher.update(args.plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}:${iv.toString("base64url")}:${body.toString("base64url")}`;
}

export function openSecret(args: {
  masterSecret: string;
  owner: { tenant: string; id: string };
  sealed: string;
}) {
  const [version, ivText, bodyText] = args.sealed.split(":");
  if (version !== VERSION || !ivText || !bodyText)
    throw new SecretBoxError("secret unreadable: unknown format");
  const iv = Buffer.from(ivText, "base64url");
  const body = Buffer.from(bodyText, "base64url");
  if (iv.length !== 12 || body.length < 16) throw new SecretBoxError("secret unreadable: truncated");
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyFrom(args.masterSecret), iv);
    decipher.setAAD(aad(args.owner));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    throw new SecretBoxError("secret unreadable: wrong key or altered (was NEXTAUTH_SECRET rotated?)");
  }
}
