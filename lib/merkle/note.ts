// C2SP text formats, so anyone's tooling can check the console's log offline:
// - signed-note: text ending in "\n", a blank line, then "— <name> base64(keyID || sig)" lines;
//   Ed25519 key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]; verifier keys (vkeys)
//   are "<name>+<hex key ID>+base64(0x01 || public key)".
// - tlog-checkpoint: the note text "<origin>\n<size>\n<base64 root>\n" (extension lines may follow).
// - tlog-proof: "c2sp.org/tlog-proof@v1\nindex N\n<base64 hash per line>\n\n<signed checkpoint>".
import { createHash, createPublicKey, verify as edVerify } from "node:crypto";
import { HASH_BYTES, type Hash } from "./hash";

const ED25519 = 0x01;
const DASH = "\u2014";

export class NoteError extends Error {}

export function keyId(name: string, publicKey: Uint8Array): Uint8Array {
  return createHash("sha256")
    .update(Buffer.from(`${name}\n`))
    .update(Uint8Array.of(ED25519))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

function checkName(name: string) {
  if (!name || /[\s+]/u.test(name))
    throw new NoteError(`a key name must be non-empty, without spaces or '+': ${JSON.stringify(name)}`);
}

export function vkey(name: string, publicKey: Uint8Array): string {
  checkName(name);
  const id = Buffer.from(keyId(name, publicKey)).toString("hex");
  return `${name}+${id}+${Buffer.concat([Uint8Array.of(ED25519), publicKey]).toString("base64")}`;
}

export interface VerifierKey {
  name: string;
  id: Uint8Array;
  publicKey: Uint8Array;
}

export function parseVkey(text: string): VerifierKey {
  // The base64 part may itself contain '+': split at the first two only.
  const m = /^([^+]+)\+([0-9a-fA-F]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!m) throw new NoteError("a verifier key is <name>+<hex id>+<base64 key>");
  const [, name, hexId, b64] = m as unknown as [string, string, string, string];
  checkName(name);
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== 33 || raw[0] !== ED25519)
    throw new NoteError("only Ed25519 verifier keys are supported");
  const publicKey = Uint8Array.from(raw.subarray(1));
  const id = keyId(name, publicKey);
  if (Buffer.from(id).toString("hex") !== hexId.toLowerCase())
    throw new NoteError("the verifier key's id does not match its name and key");
  return { name, id, publicKey };
}

function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey).toString("base64url") },
      format: "jwk",
    });
    return edVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

function checkText(text: string) {
  if (!text.endsWith("\n")) throw new NoteError("note text must end with a newline");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is exactly "no control characters".
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text))
    throw new NoteError("note text must not contain control characters");
}

/** Signs `text` as a note with one Ed25519 key; `sign` returns the 64-byte signature of its input. */
export function signNote(
  text: string,
  key: { name: string; publicKey: Uint8Array; sign: (m: Uint8Array) => Uint8Array },
): string {
  checkText(text);
  checkName(key.name);
  const sig = key.sign(Buffer.from(text, "utf8"));
  const line = Buffer.concat([keyId(key.name, key.publicKey), sig]).toString("base64");
  return `${text}\n${DASH} ${key.name} ${line}\n`;
}

/**
 * Opens a signed note: the text, if at least one signature by a key in `keys` verifies and none
 * by a known key fails. Signatures by unknown keys are ignored, as the spec requires.
 */
export function openNote(note: string, keys: readonly VerifierKey[]): { text: string; signedBy: string[] } {
  if (note.length > 1_000_000) throw new NoteError("note is too large");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("note has no blank line before its signatures");
  const text = note.slice(0, split + 1);
  checkText(text);
  const sigLines = note.slice(split + 2).split("\n");
  if (sigLines.pop() !== "") throw new NoteError("note must end with a newline");
  if (sigLines.length === 0 || sigLines.length > 100)
    throw new NoteError("note must carry 1 to 100 signatures");
  const signedBy: string[] = [];
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!m) throw new NoteError(`malformed signature line: ${JSON.stringify(line.slice(0, 80))}`);
    const [, name, b64] = m as unknown as [string, string, string];
    const raw = Buffer.from(b64, "base64");
    if (raw.length < 5) throw new NoteError("signature too short");
    const key = keys.find((k) => k.name === name && Buffer.from(k.id).equals(raw.subarray(0, 4)));
    if (!key) continue;
    if (!ed25519Verify(key.publicKey, Buffer.from(text, "utf8"), raw.subarray(4)))
      throw new NoteError(`signature by ${name} does not verify`);
    signedBy.push(name);
  }
  if (signedBy.length === 0) throw new NoteError("no signature by a trusted key");
  return { text, signedBy };
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
  /** Extension lines after the root, without their newlines. */
  extensions: string[];
}

export function checkpointText(c: Checkpoint): string {
  if (!c.origin || c.origin.includes("\n"))
    throw new NoteError("checkpoint origin must be one non-empty line");
  const ext = c.extensions.map((e) => `${e}\n`).join("");
  return `${c.origin}\n${c.size}\n${Buffer.from(c.root).toString("base64")}\n${ext}`;
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split("\n");
  lines.pop();
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin || sizeText === undefined || rootText === undefined)
    throw new NoteError("checkpoint needs origin, size and root lines");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText))
    throw new NoteError("checkpoint size must be a decimal without leading zeros");
  const root = Buffer.from(rootText, "base64");
  if (root.length !== HASH_BYTES || root.toString("base64") !== rootText)
    throw new NoteError("checkpoint root must be a base64 SHA-256 hash");
  return { origin, size: Number(sizeText), root: Uint8Array.from(root), extensions };
}

const PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export function formatTlogProof(args: {
  index: number;
  proof: readonly Hash[];
  signedCheckpoint: string;
  extra?: Uint8Array;
}): string {
  const lines = [PROOF_HEADER];
  if (args.extra) lines.push(`extra ${Buffer.from(args.extra).toString("base64")}`);
  lines.push(`index ${args.index}`);
  for (const h of args.proof) lines.push(Buffer.from(h).toString("base64"));
  return `${lines.join("\n")}\n\n${args.signedCheckpoint}`;
}

export function parseTlogProof(text: string): {
  index: number;
  proof: Hash[];
  signedCheckpoint: string;
  extra?: Uint8Array;
} {
  const blank = text.indexOf("\n\n");
  if (blank < 0) throw new NoteError("tlog-proof has no blank line before its checkpoint");
  const head = text.slice(0, blank).split("\n");
  if (head.shift() !== PROOF_HEADER) throw new NoteError(`tlog-proof must start with ${PROOF_HEADER}`);
  let extra: Uint8Array | undefined;
  if (head[0]?.startsWith("extra "))
    extra = Uint8Array.from(Buffer.from((head.shift() as string).slice(6), "base64"));
  const indexLine = head.shift() ?? "";
  const m = /^index (0|[1-9][0-9]{0,15})$/.exec(indexLine);
  if (!m) throw new NoteError("tlog-proof needs an 'index N' line");
  const proof = head.map((line) => {
    const h = Buffer.from(line, "base64");
    if (h.length !== HASH_BYTES || h.toString("base64") !== line)
      throw new NoteError("tlog-proof hashes must be base64 SHA-256");
    return Uint8Array.from(h);
  });
  return { index: Number(m[1]), proof, signedCheckpoint: text.slice(blank + 2), ...(extra ? { extra } : {}) };
}
