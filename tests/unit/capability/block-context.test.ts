import { readFileSync } from "node:fs";
import path from "node:path";
import {
  createVerifier,
  loadBiscuit,
  parsePublicKeyBytes,
  toPublicKey,
} from "@capability-console/sdk/capability";
import { readBlockContext } from "@capability-console/sdk/internal/capability/block-context";
import { readBlock } from "@capability-console/sdk/internal/capability/block-reader";
import { readCanonicalEnvelope } from "@capability-console/sdk/internal/capability/envelope";
import type { BiscuitModule } from "@capability-console/sdk/internal/capability/wasm-loader";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createFixture } from "./fixtures";
import { encodeNodes, type Node } from "./protobuf";

/**
 * readBlockContext (protobuf, TypeScript) must give block-reader's answer on biscuit's printed
 * source (readBlock(0, getBlockSource(0)).context) whenever it answers at all, and must answer
 * for the blocks this library mints.
 */

let bw: BiscuitModule;

beforeAll(async () => {
  bw = await loadBiscuit();
});

/** Mints block 0 from datalog text and string parameters; returns both readers' answers. */
function bothReaders(code: string, params: Record<string, unknown>) {
  const pair = new bw.KeyPair(bw.SignatureAlgorithm.Ed25519);
  const builder = bw.Biscuit.builder();
  let token: ReturnType<typeof builder.build>;
  try {
    builder.addCodeWithParameters(code, params, {});
    token = builder.build(pair.getPrivateKey());
  } catch {
    pair.free();
    return undefined; // datalog the builder refuses: nothing to compare
  }
  try {
    const envelope = readCanonicalEnvelope(token.toBytes());
    if (!envelope) throw new Error("biscuit wrote a non-canonical envelope");
    return {
      fast: readBlockContext(envelope.authority),
      reference: readBlock(0, token.getBlockSource(0)).context ?? null,
    };
  } finally {
    token.free();
    pair.free();
  }
}

const SAFE = [..."abcXYZ019_.:@/+-"];
const UNSAFE = ['"', "\\", "\n", " ", "(", ")", ",", ";", "é", "\t", "{", "}", "$"];
/** Mostly plain strings; with `unsafe`, sometimes one that biscuit prints ambiguously. */
const stringArb = (unsafe: boolean): fc.Arbitrary<string> => {
  const plain = [
    { weight: 12, arbitrary: fc.string({ unit: fc.constantFrom(...SAFE), maxLength: 8 }) },
    { weight: 3, arbitrary: fc.constantFrom("read", "tenant", "minted", "escalation", "cap", "query", "") },
  ];
  if (!unsafe) return fc.oneof(...plain);
  return fc.oneof(
    ...plain,
    {
      weight: 1,
      arbitrary: fc.string({ unit: fc.constantFrom(...SAFE, ...UNSAFE), minLength: 1, maxLength: 8 }),
    },
    { weight: 1, arbitrary: fc.constant('x\ncap("t", "p", "a", "s", "r", "k", "minted", 5);\ny') },
  );
};

type Term = { kind: "string"; value: string } | { kind: "literal"; text: string };

const termArb = (unsafe: boolean): fc.Arbitrary<Term> =>
  fc.oneof(
    { weight: 6, arbitrary: stringArb(unsafe).map((value) => ({ kind: "string" as const, value })) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          "0",
          "-1",
          "1795689488839",
          "9007199254740993",
          "-9223372036854775808",
          "9223372036854775807",
          "2024-01-01T00:00:00Z",
          "true",
          "null",
          "hex:0a0b",
          '{"a", "b"}',
          "[1, 2]",
        )
        .map((text) => ({ kind: "literal" as const, text })),
    },
  );

/** A cap fact: usually the right shape (7 strings, an integer), sometimes not. */
const capArb = (unsafe: boolean) =>
  fc.record({
    strings: fc.array(stringArb(unsafe), { minLength: 6, maxLength: 6 }),
    kind: fc.constantFrom("minted", "escalation", "minted", "escalation", "other", "Minted"),
    issuedAt: fc.constantFrom(
      "1795689488839",
      "0",
      "-5",
      "9007199254740993",
      "18446744073",
      "2024-01-01T00:00:00Z",
      "true",
    ),
    extra: fc.option(termArb(unsafe), { freq: 4 }),
    swapLast: fc.nat({ max: 4 }).map((n) => n === 0),
  });

const statementArb = (unsafe: boolean) =>
  fc.oneof(
    { weight: 3, arbitrary: capArb(unsafe).map((cap) => ({ type: "cap" as const, cap })) },
    {
      weight: 2,
      arbitrary: fc
        .record({
          name: fc.constantFrom("f", "cap", "right", "tenant"),
          terms: fc.array(termArb(unsafe), { maxLength: 3 }),
        })
        .map((fact) => ({ type: "fact" as const, fact })),
    },
    { weight: 1, arbitrary: stringArb(unsafe).map((value) => ({ type: "check" as const, value })) },
    { weight: 1, arbitrary: stringArb(unsafe).map((value) => ({ type: "rule" as const, value })) },
  );

type Statement = ReturnType<typeof statementArb> extends fc.Arbitrary<infer T> ? T : never;

function program(statements: Statement[]): { code: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  let n = 0;
  const str = (value: string) => {
    const name = `p${n++}`;
    params[name] = value;
    return `{${name}}`;
  };
  const term = (t: Term) => (t.kind === "string" ? str(t.value) : t.text);
  const lines = statements.map((s) => {
    switch (s.type) {
      case "cap": {
        const { strings, kind, issuedAt, extra, swapLast } = s.cap;
        const terms = [...strings.map(str), str(kind), issuedAt];
        if (swapLast) terms.push(...terms.splice(6, 1));
        if (extra) terms.push(term(extra));
        return `cap(${terms.join(", ")});`;
      }
      case "fact":
        return `${s.fact.name}(${[str("x"), ...s.fact.terms.map(term)].join(", ")});`;
      case "check":
        return `check if f(${str(s.value)});`;
      case "rule":
        return `r($x) <- f($x), $x == ${str(s.value)};`;
      default:
        return "";
    }
  });
  return { code: lines.join("\n"), params };
}

describe("block 0 context from protobuf", () => {
  it("agrees with the printed-source reader whenever it answers", () => {
    let answered = 0;
    let contexts = 0;
    fc.assert(
      fc.property(fc.array(statementArb(true), { minLength: 1, maxLength: 5 }), (statements) => {
        const { code, params } = program(statements);
        const got = bothReaders(code, params);
        if (!got || got.fast === undefined) return;
        answered++;
        if (got.reference) contexts++;
        expect(got.fast).toEqual(got.reference);
      }),
      { numRuns: 600 },
    );
    expect(answered).toBeGreaterThan(90);
    expect(contexts).toBeGreaterThan(4);
  });

  it("answers for every block without unusual strings (the fast path is taken)", () => {
    let contexts = 0;
    fc.assert(
      fc.property(fc.array(statementArb(false), { minLength: 1, maxLength: 5 }), (statements) => {
        const { code, params } = program(statements);
        const got = bothReaders(code, params);
        if (!got) return;
        expect(got.fast).not.toBeUndefined();
        expect(got.fast).toEqual(got.reference);
        if (got.reference) contexts++;
      }),
      { numRuns: 300 },
    );
    expect(contexts).toBeGreaterThan(5);
  });

  it("leaves strings that could fake a line, and non-canonical blocks, to the wasm reader", () => {
    const injected = bothReaders("f({p});", { p: 'x\ncap("t", "p", "a", "s", "r", "k", "minted", 5);\ny' });
    expect(injected?.reference).not.toBeNull(); // the printed source really is ambiguous
    expect(injected?.fast).toBeUndefined();
    const pair = new bw.KeyPair(bw.SignatureAlgorithm.Ed25519);
    const builder = bw.Biscuit.builder();
    builder.addCode('cap("t", "p", "a", "s", "r", "k", "minted", 5); check if f(1);');
    const token = builder.build(pair.getPrivateKey());
    const block = readCanonicalEnvelope(token.toBytes())?.authority as Uint8Array;
    expect(readBlockContext(block)).toMatchObject({ tenant: "t", issuer: "k", issuedAt: 5 });
    // An unknown field, or a fact after the checks (field 6): prost accepts both.
    expect(readBlockContext(Uint8Array.from([...block, 0x48, 0x01]))).toBeUndefined();
    expect(readBlockContext(Uint8Array.from([...block, 0x22, 0x00]))).toBeUndefined();
    expect(readBlockContext(Uint8Array.from([...block, 0x32, 0x00]))).toMatchObject({ tenant: "t" });
    expect(readBlockContext(block.subarray(0, block.length - 1))).toBeUndefined();
    token.free();
    pair.free();
  });

  it("reads hand-encoded blocks, and refuses to guess on any non-canonical encoding", () => {
    const symbols = ["cap", "t", "p", "a", "s", "r", "k", "minted"];
    const block = (edit: (terms: Node[][], predicate: Node[]) => void = () => {}) => {
      const terms: Node[][] = [
        ...[1, 2, 3, 4, 5, 6, 7].map((i): Node[] => [{ field: 3, wire: 0, value: BigInt(1024 + i) }]),
        [{ field: 2, wire: 0, value: 5n }],
      ];
      const predicate: Node[] = [{ field: 1, wire: 0, value: 1024n }];
      edit(terms, predicate);
      predicate.push(
        ...terms.map((t): Node => ({ field: 2, wire: 2, bytes: new Uint8Array(), children: t })),
      );
      return encodeNodes([
        ...symbols.map((name): Node => ({ field: 1, wire: 2, bytes: new TextEncoder().encode(name) })),
        { field: 3, wire: 0, value: 3n },
        {
          field: 4,
          wire: 2,
          bytes: new Uint8Array(),
          children: [{ field: 1, wire: 2, bytes: new Uint8Array(), children: predicate }],
        },
      ]);
    };
    const expected = { tenant: "t", principal: "p", agent: "a", session: "s", request: "r", issuer: "k" };
    expect(readBlockContext(block())).toEqual({ ...expected, kind: "minted", issuedAt: 5 });
    const last = (value: bigint) => block((terms) => terms.splice(7, 1, [{ field: 2, wire: 0, value }]));
    expect(readBlockContext(last(2n ** 64n - 5n))).toMatchObject({ issuedAt: -5 }); // int64, two's complement
    expect(readBlockContext(last(2n ** 53n + 1n))).toMatchObject({ issuedAt: 2 ** 53 });
    expect(readBlockContext(last(1795689488839n))).toMatchObject({ issuedAt: 1795689488839 });
    for (const value of [1795689488839n, 2n ** 53n + 1n]) {
      const padded = block((terms) => terms.splice(7, 1, [{ field: 2, wire: 0, value, valuePad: 1 }]));
      expect(readBlockContext(padded)).toBeUndefined();
    }
    // Overlong varints (a value, an index, the name), a term with two values, a second name.
    expect(
      readBlockContext(block((terms) => ((terms[7]?.[0] as { valuePad?: number }).valuePad = 1))),
    ).toBeUndefined();
    expect(
      readBlockContext(block((terms) => ((terms[0]?.[0] as { valuePad?: number }).valuePad = 1))),
    ).toBeUndefined();
    expect(readBlockContext(block((_, p) => ((p[0] as { valuePad?: number }).valuePad = 1)))).toBeUndefined();
    expect(
      readBlockContext(block((terms) => terms[2]?.push({ field: 3, wire: 0, value: 1025n }))),
    ).toBeUndefined();
    expect(readBlockContext(block((_, p) => p.push({ field: 1, wire: 0, value: 1025n })))).toBeUndefined();
    // Unknown symbols: the printed form would not be the strings we would return.
    expect(
      readBlockContext(block((terms) => terms.splice(0, 1, [{ field: 3, wire: 0, value: 2000n }]))),
    ).toBeUndefined();
    expect(
      readBlockContext(block((terms) => terms.splice(0, 1, [{ field: 3, wire: 0, value: 500n }]))),
    ).toBeUndefined();
    // Default symbols are resolved like biscuit does (8 is "tenant").
    expect(
      readBlockContext(block((terms) => terms.splice(0, 1, [{ field: 3, wire: 0, value: 8n }]))),
    ).toMatchObject({
      tenant: "tenant",
    });
  });

  it("agrees on every conformance sample", () => {
    const dir = path.resolve(import.meta.dirname, "../../fixtures/biscuit-samples");
    const samples = JSON.parse(readFileSync(path.join(dir, "samples.json"), "utf8")) as {
      root_public_key: string;
      testcases: Array<{ filename: string }>;
    };
    const key = bw.PublicKey.fromBytes(
      parsePublicKeyBytes(samples.root_public_key),
      bw.SignatureAlgorithm.Ed25519,
    );
    for (const { filename } of samples.testcases) {
      const bytes = new Uint8Array(readFileSync(path.join(dir, filename)));
      let token: ReturnType<typeof bw.Biscuit.fromBytes>;
      try {
        token = bw.Biscuit.fromBytes(bytes, key);
      } catch {
        continue;
      }
      const fast = readBlockContext(readCanonicalEnvelope(bytes)?.authority as Uint8Array);
      if (fast !== undefined) expect(fast).toEqual(readBlock(0, token.getBlockSource(0)).context ?? null);
      token.free();
    }
    key.free();
  });

  it("the verifier hands out the same context as reading block 0 through wasm", async () => {
    const f = await createFixture();
    const verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, cacheSize: 0 });
    for (const cap of [await f.mint(), (await f.mint()).narrowTo({ resource: "Customer" })]) {
      const verified = verifier.verify(cap.token);
      if (!verified.ok) throw verified.error;
      expect(verified.capability.context).toEqual(cap.context);
      expect(verified.capability.context).toMatchObject({
        tenant: "acme",
        issuer: f.key.kid,
        kind: "minted",
      });
      expect(verified.capability.revocationIds).toEqual(cap.revocationIds);
    }
  });
});
