/**
 * Measurement helpers. These machines are noisy, so every figure is a ratio against a
 * baseline measured in the same run, interleaved round by round (A, B, A, B, ...), and each
 * side is summarized by its median round: a burst of noise hits both sides or neither.
 *
 * A round of each side lasts about the same time (~0.5 ms: the number of calls per round is
 * calibrated per side). With fixed call counts the slower side's rounds were longer, so on a
 * busy machine more of them contained a preemption (the scheduler's slices are a few ms) and its
 * median moved first: with two CPU-bound neighbours on this 2-core VM, verify+authorize read
 * 2.30x against two raw verifies while its parts read 2.05x and 0.26x.
 */

export interface BenchResult {
  group: string;
  name: string;
  /** Per-operation cost (or whatever `unit` says). */
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  /** Human-readable target, e.g. "<= 2.0" or ">= 20"; null when the figure is informational. */
  target: string | null;
  pass: boolean;
}

export interface BenchGroup {
  name: string;
  description: string;
  /** Runs only when named (`npm run bench -- NAME`): it takes too long for every bench run. */
  onlyWhenNamed?: boolean;
  run(): Promise<BenchResult[]>;
}

export interface Comparison {
  subjectUs: number;
  baselineUs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function timeBatch(fn: () => void, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

/**
 * Calls subject and baseline alternately for at least `ms` (and at least 3 batches each) before
 * anything is timed. V8 runs wasm in a baseline tier first and optimizes hot functions in the
 * background: a warm-up of a few calls measures the unoptimized code (up to ~2x slower for
 * biscuit-wasm), which no long-running server sees.
 */
export async function warmUp(fns: Array<{ fn: () => void; iterations: number }>, ms: number): Promise<void> {
  const until = performance.now() + ms;
  for (let batch = 0; batch < 3 || performance.now() < until; batch++) {
    for (const { fn, iterations } of fns) timeBatch(fn, iterations);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Calls per round so that a round of `fn` lasts about `targetUs` (at least one call). */
function calibrate(fn: () => void, targetUs: number): number {
  let calls = 1;
  for (;;) {
    const perCall = timeBatch(fn, calls);
    if (perCall * calls >= targetUs / 4 || calls >= 1 << 20) {
      return Math.max(1, Math.round(targetUs / Math.max(perCall, 0.001)));
    }
    calls *= 4;
  }
}

/**
 * Per-call microseconds of subject and baseline, interleaved over `rounds` rounds of ~0.5 ms
 * each after a time-based warm-up. Yields to the event loop every few rounds, as a server does
 * between requests (the wasm loader prepares its next instance in the background).
 */
export async function compare(input: {
  subject: () => void;
  baseline: () => void;
  rounds?: number;
  /** Target duration of one round of each side, in microseconds (default 500). */
  roundUs?: number;
  /** Minimum warm-up time in ms before timing starts (default 1000). */
  warmupMs?: number;
}): Promise<Comparison> {
  const rounds = input.rounds ?? 201;
  const roundUs = input.roundUs ?? 500;
  await warmUp(
    [
      { fn: input.subject, iterations: 1 },
      { fn: input.baseline, iterations: 1 },
    ],
    input.warmupMs ?? 1000,
  );
  const subjectCalls = calibrate(input.subject, roundUs);
  const baselineCalls = calibrate(input.baseline, roundUs);
  const subject: number[] = [];
  const baseline: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    // Alternate which side goes first, so neither always runs right after a yield.
    if (r % 2 === 0) {
      subject.push(timeBatch(input.subject, subjectCalls));
      baseline.push(timeBatch(input.baseline, baselineCalls));
    } else {
      baseline.push(timeBatch(input.baseline, baselineCalls));
      subject.push(timeBatch(input.subject, subjectCalls));
    }
  }
  return { subjectUs: median(subject), baselineUs: median(baseline) };
}

export function result(input: {
  group: string;
  name: string;
  comparison: Comparison;
  /** "max": ratio must be <= limit; "min": ratio (baseline/subject speed-up) must be >= limit. */
  target?: { kind: "max" | "min"; limit: number };
  /** For "min" targets the ratio is baseline / subject (a speed-up factor). */
}): BenchResult {
  const { subjectUs, baselineUs } = input.comparison;
  const speedup = input.target?.kind === "min";
  const ratio = speedup ? baselineUs / subjectUs : subjectUs / baselineUs;
  const target = input.target ? `${speedup ? ">=" : "<="} ${input.target.limit}` : null;
  const pass = input.target ? (speedup ? ratio >= input.target.limit : ratio <= input.target.limit) : true;
  return {
    group: input.group,
    name: input.name,
    value: round(subjectUs),
    unit: "us/op",
    baseline: round(baselineUs),
    ratio: round(ratio),
    target,
    pass,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The p-th percentile (nearest rank, 0–100) of per-call timings. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

/**
 * Per-call milliseconds of a subject and its baseline, interleaved call by call (the order
 * flipping every call) after a warm-up of both: a burst of machine noise hits both sides alike
 * instead of whichever happened to be running.
 */
export async function interleavedCalls(
  subject: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
  opts: { runs: number; warmup: number },
): Promise<{ subject: number[]; baseline: number[] }> {
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  for (let i = 0; i < opts.warmup; i++) {
    await subject();
    await baseline();
  }
  const out = { subject: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < opts.runs; i++) {
    if (i % 2 === 0) {
      out.subject.push(await time(subject));
      out.baseline.push(await time(baseline));
    } else {
      out.baseline.push(await time(baseline));
      out.subject.push(await time(subject));
    }
  }
  return out;
}
