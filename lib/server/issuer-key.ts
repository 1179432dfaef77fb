import "server-only";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
// Type only: the key format is lib/capability's, but loading it needs no Biscuit wasm.
import { ed25519PrivateKey, PKCS8_PREFIX, SPKI_PREFIX } from "@/lib/audit/checkpoint";
import type { IssuerKeyPair } from "@/lib/capability";
import { loadConfig } from "@/lib/config";

/**
 * The console's own Ed25519 key: signs audit checkpoints now, and mints escalations later.
 * Same JSON shape as lib/capability's generateIssuerKey() ({kid, publicKey: "ed25519/<hex>",
 * privateKey: "ed25519-private/<hex>", status}), so the one key can serve both. The 32 private
 * bytes are the RFC 8032 seed, which is what Biscuit's Ed25519 private key holds too.
 */
export type ConsoleKey = IssuerKeyPair;

export const CONSOLE_KEY_FILE = "console-issuer-key.json";

const PRIVATE = /^ed25519-private\/([0-9a-f]{64})$/;
const KID = /^[A-Za-z0-9_.:-]{1,128}$/;

export class ConsoleKeyError extends Error {
  override name = "ConsoleKeyError";
}

function publicKeyOf(privateKey: string): string {
  const der = createPublicKey(ed25519PrivateKey(privateKey)).export({ format: "der", type: "spki" });
  return `ed25519/${der.subarray(SPKI_PREFIX.length).toString("hex")}`;
}

/** A fresh console key; the kid says what it is and when it was made. */
export function generateConsoleKey(now = new Date()): ConsoleKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  const priv = `ed25519-private/${der.subarray(PKCS8_PREFIX.length).toString("hex")}`;
  const kid = `console-${now.toISOString().slice(0, 7)}-${randomBytes(3).toString("hex")}`;
  return { kid, publicKey: publicKeyOf(priv), privateKey: priv, status: "active" };
}

/** Checks a stored key and derives its public half (a stored publicKey must agree with it). */
export function parseConsoleKey(json: string, source: string): ConsoleKey {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConsoleKeyError(`${source} is not JSON`);
  }
  const r = raw as Partial<Record<keyof ConsoleKey, unknown>>;
  if (typeof r?.kid !== "string" || !KID.test(r.kid))
    throw new ConsoleKeyError(`${source}: kid must match [A-Za-z0-9_.:-]{1,128}`);
  if (typeof r.privateKey !== "string" || !PRIVATE.test(r.privateKey))
    throw new ConsoleKeyError(`${source}: privateKey must be ed25519-private/<64 hex>`);
  const publicKey = publicKeyOf(r.privateKey);
  if (r.publicKey !== undefined && r.publicKey !== publicKey)
    throw new ConsoleKeyError(`${source}: publicKey does not belong to privateKey`);
  const status = r.status === "retired" ? "retired" : "active";
  return { kid: r.kid, publicKey, privateKey: r.privateKey, status };
}

/**
 * The console key from env CONSOLE_ISSUER_KEY (the JSON of the key file: production, several
 * instances) or DATA_DIR/console-issuer-key.json, created with mode 0600 on first use.
 */
export function loadOrCreateConsoleKey(args: { dataDir: string; env?: NodeJS.ProcessEnv }): ConsoleKey {
  const fromEnv = args.env?.CONSOLE_ISSUER_KEY;
  if (fromEnv) return parseConsoleKey(fromEnv, "CONSOLE_ISSUER_KEY");
  const file = path.join(args.dataDir, CONSOLE_KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(args.dataDir, { recursive: true });
    const key = generateConsoleKey();
    // Written whole under a temporary name, then linked into place: two processes starting at
    // once must neither each keep their own key nor read a half-written file.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new ConsoleKeyError(`${file} must not be readable by others (chmod 600)`);
  return parseConsoleKey(fs.readFileSync(file, "utf8"), file);
}

const holder = globalThis as typeof globalThis & { __consoleKey?: ConsoleKey };

/** The server process's console key (DATA_DIR/env from the config), loaded once. */
export function getConsoleKey(): ConsoleKey {
  holder.__consoleKey ??= loadOrCreateConsoleKey({ dataDir: loadConfig().dataDir, env: process.env });
  return holder.__consoleKey;
}
