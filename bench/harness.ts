/**
 * Measurement helpers. These machines are noisy, so every figure is a ratio against a
 * baseline measured in the same run, interleaved round by round (A, B, A, B, ...), and each
 * side is summarized by its median round: a burst of noise hits both sides or neither.
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

/**
 * Per-call microseconds of subject and baseline, interleaved over `rounds` batches after a
 * time-based warm-up. Yields to the event loop between rounds, as a server does between
 * requests (the wasm loader prepares its next instance in the background).
 */
export async function compare(input: {
  subject: () => void;
  baseline: () => void;
  iterations?: number;
  baselineIterations?: number;
  rounds?: number;
  /** Minimum warm-up time in ms before timing starts (default 1000). */
  warmupMs?: number;
}): Promise<Comparison> {
  const iterations = input.iterations ?? 50;
  const baselineIterations = input.baselineIterations ?? iterations;
  const rounds = input.rounds ?? 31;
  await warmUp(
    [
      { fn: input.subject, iterations },
      { fn: input.baseline, iterations: baselineIterations },
    ],
    input.warmupMs ?? 1000,
  );
  const subject: number[] = [];
  const baseline: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await new Promise((resolve) => setImmediate(resolve));
    subject.push(timeBatch(input.subject, iterations));
    baseline.push(timeBatch(input.baseline, baselineIterations));
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
