/**
 * Process memory under sustained traffic (not part of `npm run bench` or the tests):
 *
 *   node --expose-gc --import tsx bench/rss.ts [operations=200000] [--no-release]
 *
 * Runs cold verify + authorize of a two-block token (verified-token cache off, so every call
 * parses and checks signatures in wasm) and prints RSS, the wasm generation and the current
 * instance's memory every 10k operations. With --expose-gc it also forces a full GC before each
 * line, which tells "not collected yet" apart from "never collectable".
 */

import { currentGeneration, wasmMemoryBytes } from "@capability-console/sdk/internal/capability/wasm-loader";
import {
  createTestClock,
  createVerifier,
  generateIssuerKey,
  mintCapability,
  toPublicKey,
} from "../lib/capability";
import { BENCH_NARROWING, BENCH_OPERATION, benchMintInput } from "./fixture";

const args = process.argv.slice(2);
const total = Number(args.find((a) => !a.startsWith("-")) ?? 200_000);
/** --no-release: leave parsed tokens to the garbage collector, as a caller that forgets would. */
const release = !args.includes("--no-release");
const gc = (globalThis as { gc?: () => void }).gc;
const clock = createTestClock(Date.UTC(2026, 10, 26, 9, 0, 0));
const key = await generateIssuerKey("rss-2026-11");
const root = await mintCapability(benchMintInput({ issuer: key, clock, ttlMs: 24 * 3_600_000 }));
const token = root.narrowTo(BENCH_NARROWING).token;
const op = BENCH_OPERATION;
const verifier = await createVerifier({ keys: [toPublicKey(key)], clock, cacheSize: 0 });
const mib = (n: number) => (n / 1048576).toFixed(1);
const started = performance.now();
console.log(
  `ops      rss MiB  heap MiB  generation  wasm MiB  us/op   (gc: ${gc ? "forced" : "natural"}, ${release ? "release()" : "no release()"})`,
);
let last = performance.now();
for (let i = 1; i <= total; i++) {
  const verified = verifier.verify(token);
  if (!verified.ok) throw verified.error;
  const decision = verified.capability.authorize(op);
  if (!decision.allowed) throw new Error(`operation denied at ${i}: ${JSON.stringify(decision)}`);
  if (release) verified.capability.release();
  // A server yields between requests; the loader prepares its next instance meanwhile.
  if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
  if (i % 10_000 === 0) {
    gc?.();
    const now = performance.now();
    const usage = process.memoryUsage();
    console.log(
      `${String(i).padEnd(8)} ${mib(usage.rss).padStart(7)}  ${mib(usage.heapUsed).padStart(8)}  ${String(currentGeneration()).padStart(10)}  ${mib(wasmMemoryBytes()).padStart(8)}  ${(((now - last) * 1000) / 10_000).toFixed(0).padStart(5)}`,
    );
    last = now;
  }
}
console.log(`done: ${total} operations in ${((performance.now() - started) / 1000).toFixed(0)} s`);
