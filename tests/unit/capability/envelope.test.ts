import { readFileSync } from "node:fs";
import path from "node:path";
import {
  type Capability,
  CapabilityError,
  createKeyset,
  decodeToken,
  loadBiscuit,
  parsePublicKeyBytes,
  parseToken,
  toPublicKey,
} from "@capability-console/sdk/capability";
import { readCanonicalEnvelope } from "@capability-console/sdk/internal/capability/envelope";
import type { BiscuitModule } from "@capability-console/sdk/internal/capability/wasm-loader";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./fixtures";
import { decodeNodes, encodeNodes, type Node } from "./protobuf";

/**
 * The canonical-encoding check in TypeScript (packages/sdk/src/capability/envelope.ts) must accept exactly
 * the tokens whose bytes biscuit's own serializer gives back (Biscuit.toBytes() after a
 * successful parse): that comparison is the reference, run here in wasm on every case.
 */

const samplesDir = path.resolve(import.meta.dirname, "../../fixtures/biscuit-samples");
const samples = JSON.parse(readFileSync(path.join(samplesDir, "samples.json"), "utf8")) as {
  root_public_key: string;
  testcases: Array<{ filename: string; validations: Record<string, { revocation_ids: string[] }> }>;
};

interface Base {
  name: string;
  bytes: Uint8Array;
  rootKey: Uint8Array;
}

let bw: BiscuitModule;
let f: Fixture;
let bases: Base[];
let ours: Capability[];

/** Which length-delimited envelope fields hold a message (schema.proto), by field path. */
function isMessage(fieldPath: readonly number[]): boolean {
  const key = fieldPath.join(".");
  return ["2", "3", "4", "2.2", "3.2", "2.4", "3.4", "2.4.2", "3.4.2"].includes(key);
}

/** The reference: does biscuit parse the bytes, and if so, are they its own encoding? */
function reference(bytes: Uint8Array, rootKey: Uint8Array): boolean | undefined {
  const key = bw.PublicKey.fromBytes(rootKey, bw.SignatureAlgorithm.Ed25519);
  try {
    let token: ReturnType<typeof bw.Biscuit.fromBytes>;
    try {
      token = bw.Biscuit.fromBytes(bytes, key);
    } catch {
      return undefined;
    }
    try {
      return Buffer.from(token.toBytes()).equals(Buffer.from(bytes));
    } finally {
      token.free();
    }
  } finally {
    key.free();
  }
}

beforeAll(async () => {
  bw = await loadBiscuit();
  f = await createFixture();
  const root = await f.mint();
  const narrowed = root.narrowTo({ resource: "Customer", id: "c_1" });
  ours = [root, narrowed, narrowed.narrowTo({ action: "read", ttlMs: 1000 })];
  const ourKey = parsePublicKeyBytes(f.key.publicKey);
  const sampleKey = parsePublicKeyBytes(samples.root_public_key);
  bases = [
    ...ours.map((c, i) => ({ name: `minted+${i}`, bytes: c.bytes, rootKey: ourKey })),
    ...[
      "test001_basic.bc",
      "test020_sealed.bc",
      "test024_third_party.bc",
      "test036_secp256r1.bc",
      "test037_secp256r1_third_party.bc",
    ].map((name) => ({
      name,
      bytes: new Uint8Array(readFileSync(path.join(samplesDir, name))),
      rootKey: sampleKey,
    })),
  ];
});

describe("canonical envelope", () => {
  it("accepts what biscuit writes: our tokens and every conformance sample it parses", () => {
    const sampleKey = parsePublicKeyBytes(samples.root_public_key);
    let parsed = 0;
    for (const tc of samples.testcases) {
      const bytes = new Uint8Array(readFileSync(path.join(samplesDir, tc.filename)));
      const ref = reference(bytes, sampleKey);
      if (ref === undefined) continue;
      parsed++;
      expect(ref).toBe(true);
      const envelope = readCanonicalEnvelope(bytes);
      expect(envelope, tc.filename).toBeDefined();
      // Revocation ids are the block signatures: the envelope gives them without wasm.
      const ids = Object.values(tc.validations)[0]?.revocation_ids;
      if (ids) expect(envelope?.revocationIds).toEqual(ids);
    }
    expect(parsed).toBeGreaterThan(30);
    for (const c of ours) {
      expect(readCanonicalEnvelope(c.bytes)?.revocationIds).toEqual(c.revocationIds);
    }
  });

  it("agrees with the toBytes round trip on every single edit of every field", () => {
    let parsed = 0;
    let rejected = 0;
    for (const base of bases) {
      const positions = containers(decodeNodes(base.bytes, isMessage)).flatMap((c, container) =>
        c.nodes.map((_, at) => ({ container, at })),
      );
      for (const { container, at } of positions) {
        for (const op of EDITS) {
          for (const other of [0, 1, 2]) {
            const top = decodeNodes(base.bytes, isMessage);
            mutate(top, {
              op,
              container,
              at,
              other,
              field: 3,
              value: BigInt(other),
              payload: new Uint8Array(other),
            });
            const bytes = encodeNodes(top);
            const ref = reference(bytes, base.rootKey);
            if (ref === undefined) continue;
            parsed++;
            if (!ref) rejected++;
            const got = readCanonicalEnvelope(bytes) !== undefined;
            if (got !== ref)
              expect.fail(`${base.name} ${op} at ${container}/${at}/${other}: ts ${got}, toBytes ${ref}`);
          }
        }
      }
    }
    expect(parsed).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(400);
  });

  it("agrees with the toBytes round trip on randomly mutated envelopes", () => {
    const stats = { parsed: 0, canonical: 0, rejected: 0 };
    const mutation = fc.record({
      base: fc.nat(),
      steps: fc.array(
        fc.record({
          op: fc.constantFrom(...EDITS, "none"),
          container: fc.nat(),
          at: fc.nat(),
          other: fc.nat(),
          field: fc.integer({ min: 1, max: 20 }),
          value: fc.constantFrom(0n, 1n, 2n, 3n, 127n, 128n, 2n ** 32n - 1n, 2n ** 32n + 1n, 2n ** 35n),
          payload: fc.uint8Array({ maxLength: 4 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ base: baseIndex, steps }) => {
        const base = bases[baseIndex % bases.length] as Base;
        const top = decodeNodes(base.bytes, isMessage);
        for (const step of steps) mutate(top, step);
        const bytes = encodeNodes(top);
        const ref = reference(bytes, base.rootKey);
        if (ref === undefined) return; // biscuit refuses these bytes: no canonical form to compare
        stats.parsed++;
        if (ref) stats.canonical++;
        else stats.rejected++;
        expect(
          readCanonicalEnvelope(bytes) !== undefined,
          `${base.name} ${Buffer.from(bytes).toString("hex")}`,
        ).toBe(ref);
      }),
      { numRuns: 600 },
    );
    // The property only means something if both answers came up often.
    expect(stats.canonical).toBeGreaterThan(30);
    expect(stats.rejected).toBeGreaterThan(100);
  });

  it("parseToken refuses a non-canonical token that biscuit itself parses", () => {
    const keyset = createKeyset([toPublicKey(f.key)]);
    const token = ours[1] as Capability;
    const top = decodeNodes(token.bytes, isMessage);
    top.push({ field: 9, wire: 0, value: 1n });
    const padded = encodeNodes(top);
    expect(reference(padded, parsePublicKeyBytes(f.key.publicKey))).toBe(false);
    expect(() => parseToken(padded, keyset)).toThrow(
      expect.objectContaining({ code: "malformed", message: "token is not canonically encoded" }),
    );
    const parsed = parseToken(token.bytes, keyset);
    expect(parsed.revocationIds).toEqual(token.revocationIds);
    parsed.biscuit.free();
  });
});

const EDITS = ["unknown", "duplicate", "pad", "swap", "remove", "version", "big", "split", "emptyCopy"];

type Step = {
  op: string;
  container: number;
  at: number;
  other: number;
  field: number;
  value: bigint;
  payload: Uint8Array;
};

function containers(
  nodes: Node[],
  fieldPath: number[] = [],
  out: Array<{ nodes: Node[]; path: number[] }> = [],
) {
  out.push({ nodes, path: fieldPath });
  for (const node of nodes) {
    if (node.wire === 2 && node.children) containers(node.children, [...fieldPath, node.field], out);
  }
  return out;
}

function clone(node: Node): Node {
  return node.wire === 0
    ? { ...node }
    : { ...node, bytes: node.bytes.slice(), children: node.children?.map(clone) };
}

/** One structural edit somewhere in the envelope tree (signed bytes are never touched). */
function mutate(top: Node[], step: Step): void {
  const all = containers(top);
  const { nodes, path: where } = all[step.container % all.length] as { nodes: Node[]; path: number[] };
  const at = nodes.length === 0 ? 0 : step.at % nodes.length;
  const node = nodes[at];
  switch (step.op) {
    case "unknown":
      nodes.splice(
        step.at % (nodes.length + 1),
        0,
        step.payload.length % 2 === 0
          ? { field: step.field + 5, wire: 0, value: step.value }
          : { field: step.field + 5, wire: 2, bytes: step.payload },
      );
      break;
    case "duplicate":
      if (node) nodes.splice(step.other % (nodes.length + 1), 0, clone(node));
      break;
    case "pad":
      // other 0: an overlong tag; 1, 2: an overlong length or value.
      if (node && step.other % 3 === 0) node.tagPad = 1;
      else if (node?.wire === 0) node.valuePad = step.other % 3;
      else if (node) node.lenPad = step.other % 3;
      break;
    case "swap": {
      const j = nodes.length === 0 ? 0 : step.other % nodes.length;
      if (node && nodes[j]) [nodes[at], nodes[j]] = [nodes[j] as Node, node];
      break;
    }
    case "remove":
      nodes.splice(at, 1);
      break;
    case "version": {
      // Only meaningful in a SignedBlock (paths [2] and [3]): write, rewrite or drop field 5.
      if (where.length !== 1 || (where[0] !== 2 && where[0] !== 3)) break;
      const index = nodes.findIndex((n) => n.field === 5);
      if (index >= 0 && step.other % 3 === 2) nodes.splice(index, 1);
      else if (index >= 0) nodes[index] = { field: 5, wire: 0, value: step.value };
      else nodes.push({ field: 5, wire: 0, value: step.value });
      break;
    }
    case "big":
      if (node?.wire === 0) node.value += 2n ** 32n;
      break;
    case "split":
      if (node?.wire === 2 && node.children && node.children.length >= 2) {
        const cut = 1 + (step.other % (node.children.length - 1));
        nodes.splice(
          at,
          1,
          { ...node, children: node.children.slice(0, cut) },
          { ...node, children: node.children.slice(cut) },
        );
      }
      break;
    case "emptyCopy":
      if (node?.wire === 2 && node.children)
        nodes.splice(at + 1, 0, { field: node.field, wire: 2, bytes: new Uint8Array(), children: [] });
      break;
    default:
      break;
  }
}

/** The previous decodeToken, kept as the definition the faster one must match. */
function referenceDecode(input: string): Uint8Array | "malformed" {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(input) || input.length > (64 * 1024 * 4) / 3 + 4) return "malformed";
  const bytes = Buffer.from(input, "base64url");
  if (bytes.toString("base64url") !== input.replace(/=+$/, "")) return "malformed";
  return new Uint8Array(bytes);
}

function newDecode(input: string): Uint8Array | "malformed" {
  try {
    return decodeToken(input);
  } catch (error) {
    expect(error).toBeInstanceOf(CapabilityError);
    return "malformed";
  }
}

describe("strict base64url", () => {
  const alphabet = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. "];

  it("accepts and refuses exactly what the re-encoding comparison did", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 14 }), (input) => {
        expect(newDecode(input)).toEqual(referenceDecode(input));
      }),
      { numRuns: 3000 },
    );
  });

  it("on edits of real tokens too", () => {
    const text = (ours[1] as Capability).token;
    fc.assert(
      fc.property(
        fc.nat({ max: 4 }),
        fc.constantFrom(...alphabet),
        fc.constantFrom("", "=", "=="),
        (cut, last, padding) => {
          const input = text.slice(0, text.length - cut) + last + padding;
          expect(newDecode(input)).toEqual(referenceDecode(input));
        },
      ),
      { numRuns: 800 },
    );
  });
});
