import {
  type Capability,
  CapabilityError,
  createVerifier,
  parseBearer,
  toPublicKey,
  type Verifier,
} from "@capability-console/sdk/capability";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createFixture } from "./fixtures";

const CODES = new Set(["malformed", "bad_signature", "unknown_key", "revoked"]);

let verifier: Verifier;
let token: Capability;

beforeAll(async () => {
  const f = await createFixture();
  verifier = await createVerifier({ keys: [toPublicKey(f.key)], clock: f.clock, cacheSize: 16 });
  token = (await f.mint()).narrowTo({ resource: "Customer", id: "c_381" });
});

/** Never throws, never accepts: always a typed refusal. */
function expectRefused(input: string | Uint8Array): void {
  let result: ReturnType<Verifier["verify"]> | undefined;
  expect(() => {
    result = verifier.verify(input);
  }).not.toThrow();
  expect(result?.ok).toBe(false);
  if (result && !result.ok) {
    expect(result.error).toBeInstanceOf(CapabilityError);
    expect(CODES.has(result.error.code)).toBe(true);
    // The refusal never echoes the token back.
    expect(result.error.message).not.toContain(token.token.slice(0, 40));
  }
}

describe("parser fuzzing", () => {
  it("accepts the untouched token (the fuzzing below starts from a valid one)", () => {
    expect(verifier.verify(token.token).ok).toBe(true);
    expect(verifier.verify(token.bytes).ok).toBe(true);
  });

  it("random bytes and random strings are refused", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => expectRefused(bytes)),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => expectRefused(text)),
      { numRuns: 150 },
    );
  });

  it("bit flips, truncation and junk around a valid token are refused", () => {
    const bytes = token.bytes;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({
            kind: fc.constant("flip"),
            at: fc.nat({ max: bytes.length - 1 }),
            bit: fc.nat({ max: 7 }),
          }),
          fc.record({ kind: fc.constant("truncate"), at: fc.nat({ max: bytes.length - 1 }) }),
          fc.record({
            kind: fc.constant("junk"),
            before: fc.uint8Array({ maxLength: 8 }),
            after: fc.uint8Array({ maxLength: 8 }),
          }),
        ),
        (m) => {
          let mutated: Uint8Array;
          if (m.kind === "flip") {
            mutated = Uint8Array.from(bytes);
            mutated[m.at] = (mutated[m.at] as number) ^ (1 << m.bit);
          } else if (m.kind === "truncate") mutated = bytes.slice(0, m.at);
          else {
            fc.pre(m.before.length + m.after.length > 0);
            mutated = Uint8Array.from([...m.before, ...bytes, ...m.after]);
          }
          expectRefused(mutated);
          expectRefused(Buffer.from(mutated).toString("base64url"));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("junk and edits in the base64 text are refused", () => {
    const text = token.token;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. \n";
    const junk = fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ kind: fc.constant("prefix"), s: junk }),
          fc.record({ kind: fc.constant("suffix"), s: junk }),
          fc.record({ kind: fc.constant("replace"), at: fc.nat({ max: text.length - 1 }), s: junk }),
        ),
        (m) => {
          const mutated =
            m.kind === "prefix"
              ? m.s + text
              : m.kind === "suffix"
                ? text + m.s
                : text.slice(0, m.at) + m.s + text.slice(m.at + 1);
          fc.pre(mutated !== text && mutated !== `${text}=` && mutated !== `${text}==`);
          expectRefused(mutated);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("malformed Authorization headers are a typed error", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (header) => {
        try {
          const extracted = parseBearer(header);
          expectRefused(extracted);
        } catch (error) {
          expect(error).toBeInstanceOf(CapabilityError);
        }
      }),
      { numRuns: 200 },
    );
  });
});
