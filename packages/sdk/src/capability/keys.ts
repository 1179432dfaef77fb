import { createHash } from "node:crypto";
import { CapabilityError } from "./errors.js";
import { type BiscuitModule, biscuitRuntime, loadBiscuit } from "./wasm-loader.js";

/** A public key as published at /api/v1/keys: the private half never leaves the issuer. */
export interface IssuerPublicKey {
  kid: string;
  /** "ed25519/<64 hex>" */
  publicKey: string;
  status?: "active" | "retired";
}

export interface IssuerKeyPair extends IssuerPublicKey {
  /** "ed25519-private/<64 hex>": store it in a 0600 file, never log it. */
  privateKey: string;
}

const HEX_KEY = /^[0-9a-f]{64}$/;
/** What a kid may be: it is written into tokens and hashed into their root key id. */
export const KID = /^[A-Za-z0-9_.:-]{1,128}$/;

function parseHexKey(value: string, prefix: string): Uint8Array {
  const hex = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  if (!HEX_KEY.test(hex)) throw new CapabilityError("invalid_argument", `key is not ${prefix}<64 hex chars>`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Accepts "ed25519/<hex>" or bare hex (the Biscuit samples publish bare hex). */
export function parsePublicKeyBytes(value: string): Uint8Array {
  return parseHexKey(value.trim().toLowerCase(), "ed25519/");
}

export function parsePrivateKeyBytes(value: string): Uint8Array {
  return parseHexKey(value.trim().toLowerCase(), "ed25519-private/");
}

export function formatPublicKey(bytes: Uint8Array): string {
  return `ed25519/${Buffer.from(bytes).toString("hex")}`;
}

export function formatPrivateKey(bytes: Uint8Array): string {
  return `ed25519-private/${Buffer.from(bytes).toString("hex")}`;
}

export function assertKid(kid: string): void {
  if (!KID.test(kid)) throw new CapabilityError("invalid_argument", "kid must match [A-Za-z0-9_.:-]{1,128}");
}

/**
 * Biscuit's root key id is a u32, our kids are strings ("acme-2026-11"): the token carries the
 * first 32 bits of sha256(kid). Keysets reject two kids that collide, and the verifier also
 * compares the kid written in block 0 with the key that verified it.
 */
export function rootKeyIdOf(kid: string): number {
  return createHash("sha256").update(kid).digest().readUInt32BE(0);
}

export async function generateIssuerKey(kid: string): Promise<IssuerKeyPair> {
  assertKid(kid);
  await loadBiscuit();
  // The current generation: loadBiscuit() resolves to the first one, retired after a switch.
  const { bw } = biscuitRuntime();
  const pair = new bw.KeyPair(bw.SignatureAlgorithm.Ed25519);
  const pub = new Uint8Array(32);
  const priv = new Uint8Array(32);
  pair.getPublicKey().toBytes(pub);
  pair.getPrivateKey().toBytes(priv);
  pair.free();
  return { kid, publicKey: formatPublicKey(pub), privateKey: formatPrivateKey(priv), status: "active" };
}

/** Derives the public key from a stored private key (e.g. after reading the 0600 file). */
export async function publicKeyFromPrivate(privateKey: string): Promise<string> {
  await loadBiscuit();
  const { bw } = biscuitRuntime();
  const pair = bw.KeyPair.fromPrivateKey(privateKeyObject(bw, privateKey));
  const pub = new Uint8Array(32);
  pair.getPublicKey().toBytes(pub);
  pair.free();
  return formatPublicKey(pub);
}

export function privateKeyObject(bw: BiscuitModule, privateKey: string) {
  return bw.PrivateKey.fromBytes(parsePrivateKeyBytes(privateKey), bw.SignatureAlgorithm.Ed25519);
}

/** The public half of an issuer key, safe to publish. */
export function toPublicKey(key: IssuerKeyPair): IssuerPublicKey {
  return { kid: key.kid, publicKey: key.publicKey, status: key.status ?? "active" };
}
