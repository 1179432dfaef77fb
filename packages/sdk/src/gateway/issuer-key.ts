// The gateway's own Ed25519 issuer key: generated on first start into the file the config names
// (0600), so the root capabilities it mints verify against a key an admin registers in the
// console (Admin → Issuer keys). The private key never leaves that file.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { generateIssuerKey, type IssuerKeyPair, publicKeyFromPrivate } from "../capability/index.js";
import { KID } from "../capability/keys.js";

const keyFileSchema = z.object({
  kid: z.string().regex(KID),
  publicKey: z.string().regex(/^ed25519\/[0-9a-f]{64}$/),
  privateKey: z.string().regex(/^ed25519-private\/[0-9a-f]{64}$/),
});

export interface LoadedIssuerKey {
  key: IssuerKeyPair;
  /** True when this start generated the key (print it so an admin can register it). */
  created: boolean;
}

export async function loadOrCreateIssuerKey(path: string, now: Date = new Date()): Promise<LoadedIssuerKey> {
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text !== undefined) {
    const parsed = keyFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`${path}: not a gateway issuer key file (${parsed.error.issues[0]?.path.join(".")})`);
    if ((await publicKeyFromPrivate(parsed.data.privateKey)) !== parsed.data.publicKey)
      throw new Error(`${path}: publicKey does not belong to privateKey`);
    return { key: { ...parsed.data, status: "active" }, created: false };
  }
  const kid = `gateway-${now.toISOString().slice(0, 10)}-${randomBytes(3).toString("hex")}`;
  const key = await generateIssuerKey(kid);
  await mkdir(dirname(path), { recursive: true });
  const body = JSON.stringify(
    { kid: key.kid, publicKey: key.publicKey, privateKey: key.privateKey },
    null,
    2,
  );
  // "wx": two gateways starting at once never overwrite each other's key.
  await writeFile(path, `${body}\n`, { mode: 0o600, flag: "wx" });
  return { key, created: true };
}
