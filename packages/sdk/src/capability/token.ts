import { createHash } from "node:crypto";
import type { Biscuit, PublicKey } from "@biscuit-auth/biscuit-wasm";
import { readBlockContext } from "./block-context.js";
import type { CapContext } from "./block-reader.js";
import { readCanonicalEnvelope } from "./envelope.js";
import { CapabilityError, fromBiscuitError } from "./errors.js";
import type { Keyset, KeysetEntry } from "./keyset.js";
import type { RunLimits } from "./types.js";
import { type BiscuitModule, biscuitRuntime, biscuitSync } from "./wasm-loader.js";

// RunLimits (and why the limits are explicit) lives in types.ts, which imports nothing back
// from here: no import cycle.
export type { RunLimits } from "./types.js";

export const DEFAULT_RUN_LIMITS: RunLimits = { maxFacts: 1000, maxIterations: 100, maxTimeMicros: 100_000 };

export const MAX_TOKEN_BYTES = 64 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Value of each base64url character (index: char code), -1 for anything else. */
const BASE64URL_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"].entries()) {
  BASE64URL_VALUE[c.charCodeAt(0)] = i;
}
const PAD = 0x3d; // "="

/**
 * Strict base64url: Buffer.from() alone silently skips junk, and several strings can decode
 * to the same bytes (unused low bits of the last character); only the canonical one passes.
 * Canonical means: re-encoding the bytes gives the input back (minus "=" padding). With only
 * alphabet characters that holds exactly when the length is not 1 mod 4 and the bits of the
 * last character that fall past the last byte are zero, which is checked here instead of
 * re-encoding (tests/unit/capability/envelope.test.ts compares both definitions).
 */
export function decodeToken(input: string | Uint8Array): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== "string" || !BASE64URL.test(input) || input.length > (MAX_TOKEN_BYTES * 4) / 3 + 4) {
    throw new CapabilityError("malformed", "token is not base64url");
  }
  let end = input.length;
  while (input.charCodeAt(end - 1) === PAD) end--;
  const tail = end % 4;
  const last = BASE64URL_VALUE[input.charCodeAt(end - 1)] as number;
  if (tail === 1 || (tail === 2 && (last & 0x0f) !== 0) || (tail === 3 && (last & 0x03) !== 0)) {
    throw new CapabilityError("malformed", "token is not canonical base64url");
  }
  // A plain copy (Uint8Array.from would walk the Buffer through its iterator, ~10 us per token).
  return new Uint8Array(Buffer.from(input, "base64url"));
}

export function encodeToken(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** "sha256:<hex>" of the token bytes: the identity of one exact token in the audit log. */
export function tokenHash(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Reads the root key id from the outer protobuf envelope before handing bytes to wasm, so an
 * unknown kid is refused in TypeScript: a key provider that throws inside wasm would panic it.
 */
export function readRootKeyId(bytes: Uint8Array): number | undefined {
  if (bytes.length === 0 || bytes.length > MAX_TOKEN_BYTES)
    throw new CapabilityError("malformed", "bad token size");
  let pos = 0;
  let rootKeyId: number | undefined;
  // Varints read inline (no tuple per field): this runs on every verification.
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; pos < bytes.length && shift < 35; shift += 7) {
      const byte = bytes[pos++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new CapabilityError("malformed", "token envelope is truncated");
  };
  while (pos < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const value = varint();
      if (field === 1) rootKeyId = value;
    } else if (wire === 2) {
      const length = varint();
      pos += length;
      if (pos > bytes.length) throw new CapabilityError("malformed", "token envelope is truncated");
    } else {
      throw new CapabilityError("malformed", "token envelope has an unexpected field");
    }
  }
  return rootKeyId;
}

export interface ParsedToken {
  biscuit: Biscuit;
  bytes: Uint8Array;
  key: KeysetEntry;
  /** The wasm generation the biscuit object belongs to (see wasm-loader). */
  generation: number;
  /** Revocation ids, authority first: the hex of each block signature in the envelope. */
  revocationIds: string[];
  /** Block 0's context read from its bytes; undefined when only getBlockSource can tell. */
  context: CapContext | null | undefined;
}

/** Parses and checks every block signature against the keyset; throws CapabilityError only. */
export function parseToken(input: string | Uint8Array, keyset: Keyset): ParsedToken {
  const bytes = decodeToken(input);
  const rootKeyId = readRootKeyId(bytes);
  const key = rootKeyId === undefined ? keyset.fallback : keyset.byRootKeyId(rootKeyId);
  if (!key)
    throw new CapabilityError("unknown_key", "token was signed by a key this verifier does not trust");
  const { bw, generation } = biscuitRuntime();
  const biscuit = parseWithKey(bw, bytes, key.publicKey);
  // Only the canonical encoding is accepted (see envelope.ts): the same answer as comparing
  // biscuit.toBytes() with the input, without the round trip through wasm.
  const envelope = readCanonicalEnvelope(bytes);
  if (!envelope) {
    biscuit.free();
    throw new CapabilityError("malformed", "token is not canonically encoded");
  }
  return {
    biscuit,
    bytes,
    key,
    generation,
    revocationIds: envelope.revocationIds,
    context: readBlockContext(envelope.authority),
  };
}

/**
 * Root public keys as wasm objects, per generation. Building one decompresses the Ed25519 point,
 * a noticeable part of a verification; Biscuit.fromBytes only borrows it, so one object per key
 * serves every parse on that generation.
 */
let rootKeys: { bw: BiscuitModule; byHex: Map<string, PublicKey> } | undefined;
const MAX_CACHED_ROOT_KEYS = 64;

function rootKeyObject(bw: BiscuitModule, rootKey: Uint8Array): PublicKey {
  if (rootKeys?.bw !== bw) rootKeys = { bw, byHex: new Map() };
  const hex = Buffer.from(rootKey).toString("hex");
  let key = rootKeys.byHex.get(hex);
  if (!key) {
    if (rootKeys.byHex.size >= MAX_CACHED_ROOT_KEYS) {
      for (const old of rootKeys.byHex.values()) old.free();
      rootKeys.byHex.clear();
    }
    key = bw.PublicKey.fromBytes(rootKey, bw.SignatureAlgorithm.Ed25519);
    rootKeys.byHex.set(hex, key);
  }
  return key;
}

/**
 * Signature check with a known root key (also used to re-parse on a new wasm generation). The
 * key was chosen in TypeScript from the token's root key id (readRootKeyId), so the wasm side
 * gets exactly that key: a key provider callback would only add a JS round trip and a fresh key
 * object per parse (the glue consumes what a provider returns).
 */
export function parseWithKey(bw: BiscuitModule, bytes: Uint8Array, rootKey: Uint8Array): Biscuit {
  try {
    return bw.Biscuit.fromBytes(bytes, rootKeyObject(bw, rootKey));
  } catch (raw) {
    throw fromBiscuitError(raw);
  }
}

export function wasmLimits(limits: RunLimits) {
  return {
    max_facts: limits.maxFacts,
    max_iterations: limits.maxIterations,
    max_time_micro: limits.maxTimeMicros,
  };
}

export interface AuthorizerInput {
  biscuit: Biscuit;
  code: string;
  params?: Record<string, unknown>;
  limits?: RunLimits;
}

/** Runs authorizer code against a parsed token; returns the index of the matching allow policy. */
export function runAuthorizer(input: AuthorizerInput): number {
  const bw = biscuitSync();
  const builder = new bw.AuthorizerBuilder();
  let authorizer: ReturnType<typeof builder.buildAuthenticated> | undefined;
  try {
    if (input.params) builder.addCodeWithParameters(input.code, input.params, {});
    else builder.addCode(input.code);
    authorizer = builder.buildAuthenticated(input.biscuit);
    return authorizer.authorizeWithLimits(wasmLimits(input.limits ?? DEFAULT_RUN_LIMITS));
  } catch (raw) {
    throw fromBiscuitError(raw);
  } finally {
    // buildAuthenticated consumed the builder; free whichever object still owns wasm memory.
    if (authorizer) authorizer.free();
    else if ((builder as unknown as { __wbg_ptr: number }).__wbg_ptr) builder.free();
  }
}

export function revocationIdsOf(biscuit: Biscuit): string[] {
  return (biscuit.getRevocationIdentifiers() as string[]).map(String);
}
