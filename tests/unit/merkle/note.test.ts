import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { leafHash, rootOf } from "@/lib/merkle/hash";
import {
  checkpointText,
  formatTlogProof,
  NoteError,
  openNote,
  parseCheckpointText,
  parseTlogProof,
  parseVkey,
  signNote,
  vkey,
} from "@/lib/merkle/note";
import { inclusionProof } from "@/lib/merkle/proof";
import { verifyInclusion } from "@/lib/merkle/verify";

function newKey(name: string) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = Uint8Array.from(Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url"));
  return { name, publicKey: raw, sign: (m: Uint8Array) => Uint8Array.from(sign(null, m, privateKey)) };
}

describe("C2SP signed notes", () => {
  it("verifies the specification's own example with its verifier key", () => {
    const key = parseVkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
    const note =
      "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    expect(openNote(note, [key])).toEqual({
      text: "This is an example message.\n",
      signedBy: ["example.com/foo"],
    });
    expect(() => openNote(note.replace("example message", "exemple message"), [key])).toThrow(
      /does not verify/,
    );
  });

  it("round-trips, ignores unknown keys, and refuses a note no trusted key signed", () => {
    const console = newKey("console.example/acme");
    const stranger = newKey("console.example/acme");
    const vk = parseVkey(vkey(console.name, console.publicKey));
    const note = signNote("acme\n3\nAAAA\n", console);
    expect(openNote(note, [vk]).signedBy).toEqual([console.name]);
    // Another key under the same name: a different key id, so its signature is ignored...
    const forged = signNote("acme\n3\nAAAA\n", stranger);
    expect(() => openNote(forged, [vk])).toThrow(NoteError);
    // ...and added beside a good one, it changes nothing.
    const both = `${note}${forged.split("\n\n")[1]}`;
    expect(openNote(both, [vk]).signedBy).toEqual([console.name]);
    expect(() => parseVkey(vkey(console.name, console.publicKey).replace("+", "+0"))).toThrow(NoteError);
    expect(() => signNote("no newline", console)).toThrow(NoteError);
    expect(() => signNote("bell\u0007\n", console)).toThrow(NoteError);
  });
});

describe("checkpoints and tlog-proof files", () => {
  it("an event's inclusion is checked offline from the proof file and the console's verifier key alone", () => {
    const key = newKey("capability-console.example/acme");
    const leaves = Array.from({ length: 13 }, (_, i) => leafHash(Buffer.from(`event ${i}`)));
    const root = rootOf(leaves);
    const signed = signNote(checkpointText({ origin: key.name, size: 13, root, extensions: [] }), key);
    const get = ({ level, index }: { level: number; index: number }) =>
      rootOf(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
    const file = formatTlogProof({ index: 6, proof: inclusionProof(6, 13, get), signedCheckpoint: signed });
    expect(file.startsWith("c2sp.org/tlog-proof@v1\nindex 6\n")).toBe(true);

    // The verifier's side: nothing but the file, the leaf and the vkey.
    const parsed = parseTlogProof(file);
    const { text } = openNote(parsed.signedCheckpoint, [parseVkey(vkey(key.name, key.publicKey))]);
    const cp = parseCheckpointText(text);
    expect(cp.origin).toBe(key.name);
    expect(
      verifyInclusion({
        index: parsed.index,
        size: cp.size,
        leaf: leaves[6] as Uint8Array,
        proof: parsed.proof,
        root: cp.root,
      }),
    ).toBe(true);
    expect(
      verifyInclusion({
        index: parsed.index,
        size: cp.size,
        leaf: leafHash(Buffer.from("forged")),
        proof: parsed.proof,
        root: cp.root,
      }),
    ).toBe(false);
  });

  it("refuses malformed checkpoints and proofs", () => {
    expect(() => parseCheckpointText("o\n01\nAAAA\n")).toThrow(/leading zeros/);
    expect(() => parseCheckpointText(`o\n1\n${"A".repeat(10)}\n`)).toThrow(/base64/);
    expect(() => parseTlogProof("c2sp.org/tlog-proof@v1\nindex x\n\ncp")).toThrow(/index/);
    expect(() => parseTlogProof("other\nindex 1\n\ncp")).toThrow(/must start/);
    expect(parseCheckpointText(`o\n1\n${Buffer.alloc(32).toString("base64")}\next one\n`).extensions).toEqual(
      ["ext one"],
    );
  });
});
