// C2SP text formats, read strictly (https://c2sp.org/signed-note, /tlog-checkpoint, /tlog-proof):
// - signed-note: text ending in "\n", a blank line, then "— <name> base64(keyID || sig)" lines;
//   Ed25519 key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]; verifier keys (vkeys) are
//   "<name>+<hex key ID>+base64(0x01 || public key)".
// - tlog-checkpoint: the note text "<origin>\n<size>\n<base64 root>\n" (extension lines may follow).
// - tlog-proof: "c2sp.org/tlog-proof@v1\n[extra …\n]index N\n<base64 hash per line>\n\n<signed checkpoint>".
import { concatBytes, decodeUtf8, encodeUtf8, fromBase64, toHex } from "./bytes.js";
import { ed25519Verify, sha256 } from "./crypto.js";
import { HASH_BYTES } from "./merkle.js";

const ED25519 = 0x01;

export class FormatError extends Error {
  override name = "FormatError";
}

export interface VerifierKey {
  /** The vkey text as given. */
  vkey: string;
  name: string;
  /** The 4-byte key ID, hex. */
  id: string;
  publicKey: Uint8Array;
}

export function keyId(name: string, publicKey: Uint8Array): Uint8Array {
  const digest = sha256(concatBytes(encodeUtf8(`${name}\n`), Uint8Array.of(ED25519), publicKey));
  return digest.subarray(0, 4);
}

const NAME = /^[^\s+]+$/u;

/** Parses a vkey, checking that its key ID belongs to its name and key. Throws FormatError. */
export async function parseVkey(text: string): Promise<VerifierKey> {
  const m = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text);
  if (!m) throw new FormatError("a verifier key is <name>+<8 lowercase hex key ID>+<base64 key>");
  const [, name, hexId, b64] = m as unknown as [string, string, string, string];
  if (!NAME.test(name)) throw new FormatError("a verifier key's name has no spaces or '+'");
  const raw = fromBase64(b64);
  if (raw?.length !== 33 || raw[0] !== ED25519)
    throw new FormatError("only Ed25519 verifier keys (base64 of 0x01 || 32-byte key) are supported");
  const publicKey = raw.slice(1);
  if (toHex(keyId(name, publicKey)) !== hexId)
    throw new FormatError("the verifier key's ID does not match its name and key");
  return { vkey: text, name, id: hexId, publicKey };
}

function checkText(text: string) {
  if (!text.endsWith("\n")) throw new FormatError("note text must end with a newline");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is exactly "no control characters".
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text))
    throw new FormatError("note text must not contain control characters");
}

export interface OpenedNote {
  text: string;
  /** The trusted keys whose signatures verified. */
  signedBy: VerifierKey[];
  /** Signature lines by keys not in the trusted set (ignored, as the spec requires). */
  unknownSigners: string[];
}

/**
 * Opens a signed note: its text, if at least one signature by a key in `keys` verifies and none
 * by a known key fails. Throws FormatError naming what is wrong.
 */
export async function openNote(note: string, keys: readonly VerifierKey[]): Promise<OpenedNote> {
  if (note.length > 1_000_000) throw new FormatError("note is too large");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new FormatError("note has no blank line before its signatures");
  const text = note.slice(0, split + 1);
  checkText(text);
  const sigLines = note.slice(split + 2).split("\n");
  if (sigLines.pop() !== "") throw new FormatError("note must end with a newline");
  if (sigLines.length === 0 || sigLines.length > 100)
    throw new FormatError("note must carry 1 to 100 signature lines");
  const signedBy: VerifierKey[] = [];
  const unknownSigners: string[] = [];
  const message = encodeUtf8(text);
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!m) throw new FormatError(`malformed signature line: ${JSON.stringify(line.slice(0, 80))}`);
    const [, name, b64] = m as unknown as [string, string, string];
    const raw = fromBase64(b64);
    if (!raw || raw.length < 5)
      throw new FormatError(`signature line of ${name} is not base64 of key ID and signature`);
    const id = toHex(raw.subarray(0, 4));
    const key = keys.find((k) => k.name === name && k.id === id);
    if (!key) {
      unknownSigners.push(`${name}+${id}`);
      continue;
    }
    if (raw.length !== 68 || !(await ed25519Verify(key.publicKey, message, raw.subarray(4))))
      throw new FormatError(`the signature by ${name}+${id} does not verify`);
    signedBy.push(key);
  }
  if (signedBy.length === 0)
    throw new FormatError(
      `no signature by a trusted key (signed by ${unknownSigners.join(", ") || "nobody"})`,
    );
  return { text, signedBy, unknownSigners };
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  extensions: string[];
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split("\n");
  lines.pop();
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin || sizeText === undefined || rootText === undefined)
    throw new FormatError("checkpoint needs origin, size and root lines");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText))
    throw new FormatError("checkpoint size must be a decimal without leading zeros");
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new FormatError("checkpoint size is too large");
  const root = fromBase64(rootText);
  if (!root || root.length !== HASH_BYTES)
    throw new FormatError("checkpoint root must be a base64 SHA-256 hash");
  if (extensions.some((e) => e === "")) throw new FormatError("checkpoint has an empty extension line");
  return { origin, size, root, extensions };
}

export const PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export interface TlogProof {
  index: number;
  proof: Uint8Array[];
  signedCheckpoint: string;
  extra?: Uint8Array;
}

export function parseTlogProof(text: string): TlogProof {
  const blank = text.indexOf("\n\n");
  if (blank < 0) throw new FormatError("tlog-proof has no blank line before its checkpoint");
  const head = text.slice(0, blank).split("\n");
  if (head.shift() !== PROOF_HEADER) throw new FormatError(`tlog-proof must start with ${PROOF_HEADER}`);
  let extra: Uint8Array | undefined;
  if (head[0]?.startsWith("extra ")) {
    const decoded = fromBase64((head.shift() as string).slice(6));
    if (!decoded) throw new FormatError("tlog-proof extra data must be base64");
    extra = decoded;
  }
  const m = /^index (0|[1-9][0-9]{0,15})$/.exec(head.shift() ?? "");
  if (!m) throw new FormatError("tlog-proof needs an 'index N' line");
  const index = Number(m[1]);
  if (!Number.isSafeInteger(index)) throw new FormatError("tlog-proof index is too large");
  if (head.length > 64) throw new FormatError("tlog-proof has too many hashes");
  const proof = head.map((line, i) => {
    const h = fromBase64(line);
    if (!h || h.length !== HASH_BYTES)
      throw new FormatError(`tlog-proof hash ${i + 1} is not base64 SHA-256`);
    return h;
  });
  return { index, proof, signedCheckpoint: text.slice(blank + 2), ...(extra ? { extra } : {}) };
}

/** A consistency proof file: one base64 hash per line (or a JSON array / {"proof": [...]}). */
export function parseConsistencyProof(bytes: Uint8Array): Uint8Array[] {
  const text = decodeUtf8(bytes).trim();
  let lines: unknown[];
  if (text.startsWith("[") || text.startsWith("{")) {
    const json = JSON.parse(text) as unknown;
    const list = Array.isArray(json) ? json : (json as { proof?: unknown }).proof;
    if (!Array.isArray(list))
      throw new FormatError('consistency proof JSON must be an array of base64 hashes or {"proof": [...]}');
    lines = list;
  } else lines = text === "" ? [] : text.split(/\r?\n/);
  if (lines.length > 128) throw new FormatError("consistency proof has too many hashes");
  return lines.map((line, i) => {
    const h = typeof line === "string" ? fromBase64(line.trim()) : null;
    if (!h || h.length !== HASH_BYTES)
      throw new FormatError(`consistency proof hash ${i + 1} is not base64 SHA-256`);
    return h;
  });
}
