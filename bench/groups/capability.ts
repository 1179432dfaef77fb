import { generateKeyPairSync, sign, verify } from "node:crypto";
import { parsePublicKeyBytes } from "@capability-console/sdk/internal/capability/keys";
import { decodeToken, parseWithKey } from "@capability-console/sdk/internal/capability/token";
import { biscuitRuntime } from "@capability-console/sdk/internal/capability/wasm-loader";
import {
  createTestClock,
  createVerifier,
  generateIssuerKey,
  mintCapability,
  toPublicKey,
} from "../../lib/capability";
import { BENCH_NARROWING, BENCH_OPERATION, benchMintInput } from "../fixture";
import { type BenchGroup, type BenchResult, compare, result, warmUp } from "../harness";

const GROUP = "capability";

/**
 * Baseline: what the same work costs with raw Ed25519 in node:crypto (OpenSSL). A two-block
 * Biscuit carries two block signatures, so "verify + authorize" is compared with two raw
 * verifications; mint and narrow each sign once, so they are compared with one raw signature.
 */
async function run(): Promise<BenchResult[]> {
  const clock = createTestClock(Date.UTC(2026, 10, 26, 9, 0, 0));
  const key = await generateIssuerKey("bench-2026-11");
  const mintInput = benchMintInput({ issuer: key, clock, ttlMs: 3_600_000 });
  const root = await mintCapability(mintInput);
  const token = root.narrowTo(BENCH_NARROWING);
  const op = BENCH_OPERATION;
  const cold = await createVerifier({ keys: [toPublicKey(key)], clock, cacheSize: 0 });
  const cached = await createVerifier({ keys: [toPublicKey(key)], clock, cacheSize: 1000 });

  const raw = generateKeyPairSync("ed25519");
  const message = Buffer.from(token.bytes.slice(0, 200));
  const signature = sign(null, message, raw.privateKey);
  const twoRawVerifies = () => {
    verify(null, message, raw.publicKey, signature);
    verify(null, message, raw.publicKey, signature);
  };
  const oneRawSign = () => {
    sign(null, message, raw.privateKey);
  };

  // A server verifying a token per request frees the parsed token when done (release(); the
  // garbage collector would get to it thousands of calls later), and so does the bench.
  const verifyAndAuthorize = () => {
    const verified = cold.verify(token.token);
    if (!verified.ok) throw verified.error;
    if (!verified.capability.authorize(op).allowed) throw new Error("bench op denied");
    verified.capability.release();
  };
  const coldVerify = () => {
    const verified = cold.verify(token.token);
    if (!verified.ok) throw new Error("verify failed");
    verified.capability.release();
  };
  const cachedVerify = () => {
    if (!cached.verify(token.token).ok) throw new Error("verify failed");
  };
  cachedVerify();
  // Let V8 optimize the wasm code paths (signatures, datalog) before the first measurement, so
  // the order of the rows does not decide their numbers; each compare() warms up again.
  await warmUp(
    [
      { fn: verifyAndAuthorize, iterations: 20 },
      { fn: twoRawVerifies, iterations: 20 },
    ],
    3000,
  );

  const results: BenchResult[] = [];
  results.push(
    result({
      group: GROUP,
      name: "verify+authorize 2-block token vs 2 raw Ed25519 verifies",
      comparison: await compare({ subject: verifyAndAuthorize, baseline: twoRawVerifies }),
      target: { kind: "max", limit: 2.0 },
    }),
  );
  results.push(
    result({
      group: GROUP,
      name: "verify only (parse + signatures + revocation) vs 2 raw verifies",
      comparison: await compare({ subject: coldVerify, baseline: twoRawVerifies }),
    }),
  );
  // Where the cold verification goes: each block's signature is checked by Ed25519 compiled to
  // wasm inside Biscuit.fromBytes. One more block costs one more such check, so the difference
  // between a four- and a two-block parse, per block, is that check's price (see
  // docs/capabilities.md: on CPUs where OpenSSL's Ed25519 is fast it alone puts the total near 2).
  const { bw } = biscuitRuntime();
  const rootKey = parsePublicKeyBytes(toPublicKey(key).publicKey);
  const fourBlocks = token.narrowTo(BENCH_NARROWING).narrowTo(BENCH_NARROWING);
  const parseOf = (t: { token: string }) => {
    const bytes = decodeToken(t.token);
    return () => parseWithKey(bw, bytes, rootKey).free();
  };
  const oneRawVerify = () => void verify(null, message, raw.publicKey, signature);
  const two = await compare({ subject: parseOf(token), baseline: oneRawVerify });
  const four = await compare({ subject: parseOf(fourBlocks), baseline: oneRawVerify });
  results.push(
    result({
      group: GROUP,
      name: "one block's signature check in Biscuit.fromBytes (wasm) vs 1 raw Ed25519 verify",
      comparison: {
        subjectUs: (four.subjectUs - two.subjectUs) / 2,
        baselineUs: (four.baselineUs + two.baselineUs) / 2,
      },
    }),
  );
  const verified = cold.verify(token.token);
  if (!verified.ok) throw verified.error;
  const capability = verified.capability;
  results.push(
    result({
      group: GROUP,
      name: "authorize only (already verified) vs 2 raw verifies",
      comparison: await compare({ subject: () => void capability.authorize(op), baseline: twoRawVerifies }),
    }),
  );
  results.push(
    result({
      group: GROUP,
      name: "narrow (append one block) vs 1 raw Ed25519 sign",
      comparison: await compare({ subject: () => void root.narrowTo({ id: "c_381" }), baseline: oneRawSign }),
    }),
  );
  // mintCapability is async (it awaits the loaded module once); measure its sync body in batches.
  const mints: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    for (let j = 0; j < 20; j++) await mintCapability(mintInput);
    mints.push(Number(process.hrtime.bigint() - start) / 1000 / 20);
  }
  const signBaseline = await compare({ subject: oneRawSign, baseline: oneRawSign, rounds: 21 });
  results.push(
    result({
      group: GROUP,
      name: "mint root capability vs 1 raw Ed25519 sign",
      comparison: {
        subjectUs: mints.sort((a, b) => a - b)[2] as number,
        baselineUs: signBaseline.baselineUs,
      },
    }),
  );
  results.push(
    result({
      group: GROUP,
      name: "cached verify (LRU by token hash, revocation checked) speed-up over cold verify",
      comparison: await compare({ subject: cachedVerify, baseline: coldVerify }),
      target: { kind: "min", limit: 20 },
    }),
  );
  return results;
}

const group: BenchGroup = {
  name: GROUP,
  description: "Biscuit capability tokens: verify, authorize, mint, narrow, verified-token cache",
  run,
};

export default group;
