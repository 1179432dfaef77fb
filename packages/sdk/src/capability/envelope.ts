/**
 * The outer protobuf envelope of a Biscuit token, read strictly in TypeScript.
 *
 * Protobuf ignores unknown fields and accepts several encodings of one message (fields repeated
 * or out of order, overlong varints), and none of that is covered by the signatures: junk
 * appended to a valid token would still verify. We accept only the canonical encoding, so one
 * capability has exactly one byte string (and one hash). The reference definition of
 * "canonical" is biscuit's own serializer: `Biscuit.toBytes()` of the parsed token must give
 * back the input. That costs a wasm call, a re-encoding and a copy per verification; this
 * module answers the same question on the bytes themselves, by accepting exactly what prost
 * (biscuit-auth's protobuf library) writes for biscuit's `SerializedBiscuit::to_proto`:
 *
 *   Biscuit           = [1: uint32 rootKeyId] 2: SignedBlock authority, 3: SignedBlock blocks*,
 *                       4: Proof
 *   SignedBlock       = 1: bytes block, 2: PublicKey nextKey, 3: bytes signature,
 *                       [4: ExternalSignature], [5: uint32 version, only when > 0]
 *   ExternalSignature = 1: bytes signature, 2: PublicKey publicKey
 *   PublicKey         = 1: enum algorithm (0 Ed25519, 1 P-256; required, so always written),
 *                       2: bytes key (P-256: SEC1 compressed, 33 bytes, as biscuit writes it)
 *   Proof             = 1: bytes nextSecret (32 bytes) | 2: bytes finalSignature
 *
 * fields in that order, each once, every varint minimal, nothing else. Everything else that
 * biscuit re-encodes (signatures, Ed25519 keys, block bytes) is copied through unchanged, so
 * for a token that biscuit parses, this check and the toBytes comparison agree
 * (tests/unit/capability/envelope.test.ts checks it on mutated tokens and the conformance
 * samples). It is meant to run after Biscuit.fromBytes accepted the token: for bytes biscuit
 * refuses, its answer carries no meaning.
 */

export interface CanonicalEnvelope {
  /** Block 0's serialized datalog (signed: trust it only after the signature check). */
  authority: Uint8Array;
  /**
   * Each block's signature as lower-case hex, authority first: biscuit's revocation ids are
   * exactly these (Biscuit.getRevocationIdentifiers hex-encodes the signatures it re-encodes,
   * which for a canonical token are these bytes).
   */
  revocationIds: string[];
}

const TAG_ROOT_KEY_ID = 0x08;
const TAG_AUTHORITY = 0x12;
const TAG_BLOCKS = 0x1a;
const TAG_PROOF = 0x22;

const TAG_BLOCK = 0x0a;
const TAG_NEXT_KEY = 0x12;
const TAG_SIGNATURE = 0x1a;
const TAG_EXTERNAL_SIGNATURE = 0x22;
const TAG_VERSION = 0x28;

const TAG_EXTERNAL_SIG = 0x0a;
const TAG_EXTERNAL_KEY = 0x12;

const TAG_ALGORITHM = 0x08;
const TAG_KEY = 0x12;
const ALGORITHM_P256 = 1;
const P256_COMPRESSED_BYTES = 33;

const TAG_NEXT_SECRET = 0x0a;
const TAG_FINAL_SIGNATURE = 0x12;
const SECRET_BYTES = 32;

/**
 * One cursor over the whole token; `end` is the end of the message being read. Every reader
 * returns false on anything non-canonical (no exceptions, no allocation besides the results).
 */
class Strict {
  pos = 0;
  end: number;
  /** Where block 0's bytes are, once read. */
  authorityStart = -1;
  authorityEnd = -1;
  /** Where each signature is: start, end, start, end, ... */
  readonly signatures: number[] = [];
  constructor(readonly bytes: Uint8Array) {
    this.end = bytes.length;
  }

  /** Whether `tag` is the next byte inside this message. */
  next(tag: number): boolean {
    return this.pos < this.end && this.bytes[this.pos] === tag;
  }

  /** Consumes `tag` if it is the next byte (all our tags are single-byte varints). */
  take(tag: number): boolean {
    if (!this.next(tag)) return false;
    this.pos++;
    return true;
  }

  /** A minimally encoded varint below 2^32 (uint32, and every length prost writes), or -1. */
  u32(): number {
    if (this.pos < this.end && (this.bytes[this.pos] as number) < 0x80)
      return this.bytes[this.pos++] as number;
    let value = 0;
    for (let i = 0; i < 5 && this.pos < this.end; i++) {
      const byte = this.bytes[this.pos++] as number;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return (byte === 0 && i > 0) || value > 0xffffffff ? -1 : value;
    }
    return -1;
  }

  /** Skips a length-delimited payload; returns its start (its end is the new pos), or -1. */
  payload(): number {
    const length = this.u32();
    if (length < 0 || length > this.end - this.pos) return -1;
    const start = this.pos;
    this.pos += length;
    return start;
  }

  /** Reads field `tag` as a nested message with `read`, which must consume it exactly. */
  message(tag: number, read: (r: Strict) => boolean): boolean {
    if (!this.take(tag)) return false;
    const start = this.payload();
    if (start < 0) return false;
    const outerEnd = this.end;
    const end = this.pos;
    this.pos = start;
    this.end = end;
    const ok = read(this) && this.pos === end;
    this.end = outerEnd;
    return ok;
  }
}

function publicKey(r: Strict): boolean {
  if (!r.take(TAG_ALGORITHM) || r.pos >= r.end) return false;
  const algorithm = r.bytes[r.pos++] as number;
  if (algorithm > ALGORITHM_P256 || !r.take(TAG_KEY)) return false;
  const start = r.payload();
  if (start < 0) return false;
  if (algorithm !== ALGORITHM_P256) return true;
  const prefix = r.bytes[start];
  return r.pos - start === P256_COMPRESSED_BYTES && (prefix === 2 || prefix === 3);
}

function externalSignature(r: Strict): boolean {
  return r.take(TAG_EXTERNAL_SIG) && r.payload() >= 0 && r.message(TAG_EXTERNAL_KEY, publicKey);
}

/** One SignedBlock; collects its block bytes and signature. */
function signedBlock(r: Strict): boolean {
  if (!r.take(TAG_BLOCK)) return false;
  const block = r.payload();
  if (block < 0) return false;
  if (r.authorityStart < 0) {
    r.authorityStart = block;
    r.authorityEnd = r.pos;
  }
  if (!r.message(TAG_NEXT_KEY, publicKey) || !r.take(TAG_SIGNATURE)) return false;
  const signature = r.payload();
  if (signature < 0) return false;
  r.signatures.push(signature, r.pos);
  if (r.next(TAG_EXTERNAL_SIGNATURE) && !r.message(TAG_EXTERNAL_SIGNATURE, externalSignature)) return false;
  // biscuit writes the version only when it is not 0.
  return !r.take(TAG_VERSION) || r.u32() > 0;
}

function proof(r: Strict): boolean {
  if (r.take(TAG_NEXT_SECRET)) {
    const start = r.payload();
    return start >= 0 && r.pos - start === SECRET_BYTES;
  }
  return r.take(TAG_FINAL_SIGNATURE) && r.payload() >= 0;
}

/**
 * The envelope's parts when `bytes` is the canonical encoding of a token, otherwise undefined.
 * Never throws.
 */
export function readCanonicalEnvelope(bytes: Uint8Array): CanonicalEnvelope | undefined {
  const r = new Strict(bytes);
  if (r.take(TAG_ROOT_KEY_ID) && r.u32() < 0) return undefined;
  if (!r.message(TAG_AUTHORITY, signedBlock)) return undefined;
  while (r.next(TAG_BLOCKS)) {
    if (!r.message(TAG_BLOCKS, signedBlock)) return undefined;
  }
  if (!r.message(TAG_PROOF, proof) || r.pos !== r.end) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const revocationIds: string[] = [];
  for (let i = 0; i < r.signatures.length; i += 2) {
    revocationIds.push(text.toString("hex", r.signatures[i], r.signatures[i + 1]));
  }
  return { authority: bytes.subarray(r.authorityStart, r.authorityEnd), revocationIds };
}
