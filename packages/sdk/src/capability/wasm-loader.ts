import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

// Type-only import: erased at compile time, so the package's own entry (which imports the
// .wasm file as an ES module and needs --experimental-wasm-modules on Node 20) never runs.
import type * as BiscuitWasm from "@biscuit-auth/biscuit-wasm";
import { patchBiscuitAllocator } from "./wasm-allocator.js";

export type BiscuitModule = typeof BiscuitWasm;

const PACKAGE = "@biscuit-auth/biscuit-wasm";
/** The token layer is tested against exactly this release (run limits, error shapes, leak). */
export const BISCUIT_WASM_VERSION = "0.6.0";

/**
 * biscuit-wasm 0.6.0 is built with wee_alloc 0.4.5, which loses freed blocks
 * (rustwasm/wee_alloc#106): ~20-25 KB of wasm memory per verify+authorize, gone for good. The
 * loader replaces that allocator in the module's bytes before compiling it (wasm-allocator.ts),
 * after which the instance's memory stays flat (measured: 0 bytes of growth over 2,000
 * verify+authorize calls, against ~46 MB before).
 *
 * The module still runs as a series of "generations", as a safety net for memory that only grows
 * (wasm memory never shrinks, and wasm32 stops at 4 GiB): when memory passes this threshold, the
 * next call starts a fresh instance (with its own copy of the JS glue, see glueFactory()).
 * Capabilities re-parse their bytes on the new generation the first time they are used after a
 * switch. A retired instance is garbage collected once nothing references it (see retire()), so
 * process memory plateaus.
 */
const DEFAULT_RECYCLE_THRESHOLD_BYTES = 24 * 1024 * 1024;

interface Generation {
  id: number;
  glue: BiscuitModule;
  memory: WebAssembly.Memory;
  /** Memory size when the instance started. */
  startBytes: number;
}

interface Loaded {
  wasmModule: WebAssembly.Module;
  moduleDir: string;
  snippets: Record<string, Record<string, unknown>>;
  current: Generation;
  /** Makes a fresh copy of the glue synchronously (see glueFactory). */
  makeGlue?: () => Glue;
  /** Otherwise a copy imported ahead of time under a distinct URL. */
  spare?: Record<string, unknown>;
  spareLoading?: Promise<void>;
}

/**
 * One loader per process, whatever the bundler does. Next's server build copies this module
 * into several chunks (route handlers, server actions, pages), and each copy would otherwise
 * start its own wasm instance and count glue ids from 0, so two copies imported the same glue
 * module ("biscuit_bg.js?generation=0") and pointed it at their own instances in turn: strings
 * written by one copy landed in the other's memory (mints failed with datalog parse errors of
 * NUL bytes, found by the two-person e2e flow). Keeping the state on globalThis under a
 * registered symbol gives every copy the same instance, generations and glue ids.
 */
interface LoaderState {
  loading?: Promise<BiscuitModule>;
  state?: Loaded;
  nextGlueId: number;
  recycleThresholdBytes: number;
  /** The next operation starts a new generation whatever its size (recycleWasmNow). */
  switchNext?: boolean;
}
const LOADER_KEY = Symbol.for("capability-console.biscuit-wasm-loader");
const registry = globalThis as unknown as Record<symbol, LoaderState | undefined>;
registry[LOADER_KEY] ??= { nextGlueId: 0, recycleThresholdBytes: DEFAULT_RECYCLE_THRESHOLD_BYTES };
const shared = registry[LOADER_KEY];

/**
 * Finds the package folder without require.resolve on the package itself: its "exports" only
 * has an "import" condition, so CommonJS resolution refuses it. We walk the node_modules
 * lookup paths Node would use, from this file and from the working directory (in Next's server
 * bundle this file's URL may point into .next/, so the cwd fallback matters there).
 */
export function findBiscuitPackageDir(): string {
  const bases = [import.meta.url, pathToFileURL(path.join(process.cwd(), "noop.js")).href];
  for (const base of bases) {
    let lookup: string[] | null = null;
    try {
      lookup = createRequire(base).resolve.paths(PACKAGE);
    } catch {
      lookup = null;
    }
    for (const dir of lookup ?? []) {
      const candidate = path.join(dir, PACKAGE);
      if (existsSync(path.join(candidate, "module", "biscuit_bg.wasm"))) return candidate;
    }
  }
  throw new Error(`${PACKAGE} not found in node_modules`);
}

async function importFile(file: string, query = ""): Promise<Record<string, unknown>> {
  // Ignore comments keep bundlers from trying to resolve a path only known at run time.
  return import(/* webpackIgnore: true */ /* turbopackIgnore: true */ pathToFileURL(file).href + query);
}

function importGlue(moduleDir: string): Promise<Record<string, unknown>> {
  // A distinct query string gives a distinct module record, hence a distinct `wasm` binding.
  return importFile(path.join(moduleDir, "biscuit_bg.js"), `?generation=${shared.nextGlueId++}`);
}

type Glue = Record<string, unknown>;

/**
 * Every generation needs its own copy of the glue (biscuit_bg.js keeps the instance, its memory
 * views and its object table in module variables). Importing the file again under a distinct
 * URL works, but Node never unloads an ES module: each copy stayed in the JS heap for good
 * (~250 KB of compiled code and state per generation, measured with --expose-gc; over a million
 * verifications that is hundreds of MB), was compiled from scratch and needed event-loop turns,
 * and the heap it left behind made V8 run full GCs back to back in the verify+authorize loop.
 * The glue has no imports and only top-level `export function|class|const` declarations, so
 * its source also works as a function body that returns those bindings: compiled once, each
 * call makes a fresh copy that is collected with its instance and shares compiled code with
 * the others (~2 KB retained per generation; the first call on a new generation takes ~1.4 ms
 * instead of ~3.3). If the file ever has another shape this returns undefined and the loader
 * falls back to importing.
 */
function glueFactory(moduleDir: string): (() => Glue) | undefined {
  const source = readFileSync(path.join(moduleDir, "biscuit_bg.js"), "utf8");
  const names: string[] = [];
  const body = source.replace(/^export (function|class|const) ([A-Za-z_$][\w$]*)/gm, (_, kind, name) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  if (names.length === 0 || /\bexport\b|\bimport\b/.test(body)) return undefined;
  // The package's own code, as trusted as importing it; strict, like the module it was.
  return new Function(`"use strict";\n${body}\nreturn { ${names.join(", ")} };`) as () => Glue;
}

function startGeneration(
  loaded: Omit<Loaded, "current">,
  glue: Record<string, unknown>,
  id: number,
): Generation {
  const imports = { ...loaded.snippets, "./biscuit_bg.js": glue } as WebAssembly.Imports;
  const instance = new WebAssembly.Instance(loaded.wasmModule, imports);
  (glue.__wbg_set_wasm as (exports: unknown) => void)(instance.exports);
  // The module's start function logs "biscuit-wasm loading" on every start; keep it quiet.
  const log = console.log;
  console.log = () => {};
  try {
    (instance.exports.__wbindgen_start as () => void)();
  } finally {
    console.log = log;
  }
  const memory = instance.exports.memory as WebAssembly.Memory;
  const startBytes = memory.buffer.byteLength;
  return { id, glue: glue as unknown as BiscuitModule, memory, startBytes };
}

async function instantiate(packageDir: string): Promise<BiscuitModule> {
  const pkg = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  if (pkg.version !== BISCUIT_WASM_VERSION) {
    throw new Error(`${PACKAGE} ${pkg.version} found, ${BISCUIT_WASM_VERSION} required`);
  }
  const moduleDir = path.join(packageDir, "module");
  const wasmModule = new WebAssembly.Module(
    patchBiscuitAllocator(readFileSync(path.join(moduleDir, "biscuit_bg.wasm"))),
  );
  const names = [...new Set(WebAssembly.Module.imports(wasmModule).map((entry) => entry.module))];
  const snippets: Record<string, Record<string, unknown>> = {};
  for (const name of names) {
    if (name !== "./biscuit_bg.js") snippets[name] = await importFile(path.join(moduleDir, name));
  }
  if (!names.includes("./biscuit_bg.js")) throw new Error(`${PACKAGE}: biscuit_bg.js is not a wasm import`);
  const makeGlue = glueFactory(moduleDir);
  const base = { wasmModule, moduleDir, snippets, makeGlue };
  const current = startGeneration(base, makeGlue ? makeGlue() : await importGlue(moduleDir), 0);
  warmUp(current.glue);
  shared.state = { ...base, current };
  prepareSpare(shared.state);
  return current.glue;
}

/**
 * V8 compiles wasm functions lazily, on first call: the first authorization in a process can
 * take tens of milliseconds and trip the run limit. One throwaway mint, parse and authorize at
 * load time moves that cost out of the first real request. Compiled code is shared by every
 * instance of the module, so later generations start warm.
 */
function warmUp(bw: BiscuitModule): void {
  const pair = new bw.KeyPair(bw.SignatureAlgorithm.Ed25519);
  const builder = bw.Biscuit.builder();
  builder.addCode(
    'right("r", {"a"}, {"*"}, {"*"}); check if now($t), $t < 10; reject if use("k", $n), $n > 1;',
  );
  const token = builder.build(pair.getPrivateKey());
  const block = new bw.BlockBuilder();
  block.addCode('check if op($r, $a, $id, $f), {"r"}.contains($r);');
  const child = token.appendBlock(block);
  const parsed = bw.Biscuit.fromBytes(child.toBytes(), pair.getPublicKey());
  const authorizer = new bw.AuthorizerBuilder();
  authorizer.addCode(
    'op("r", "a", "", {"f"}); now(1); allow if op($r, $a, $id, $f), right($r, $as, $ids, $fs), $as.contains($a), $ids.contains("*") || $ids.contains($id), $fs.contains("*") || $fs.contains($f);',
  );
  const built = authorizer.buildAuthenticated(parsed);
  built.authorizeWithLimits({ max_facts: 1000, max_iterations: 100, max_time_micro: 10_000_000 });
  parsed.getBlockSource(0);
  parsed.getRevocationIdentifiers();
  for (const obj of [built, parsed, child, block, token, pair]) obj.free();
}

function prepareSpare(loaded: Loaded): void {
  if (loaded.makeGlue || loaded.spare || loaded.spareLoading) return;
  loaded.spareLoading = importGlue(loaded.moduleDir).then(
    (glue) => {
      loaded.spare = glue;
      loaded.spareLoading = undefined;
    },
    () => {
      loaded.spareLoading = undefined;
    },
  );
}

/**
 * Points the old glue at an inert stand-in so late finalizers cannot touch freed memory, and
 * makes the glue drop its cached views of the old memory. Those views (a Uint8Array and a
 * DataView, kept in variables of the glue, which outlives its instance while old objects or a
 * cached ES module still reach it) are what kept every retired instance's memory alive:
 * growing by zero pages was not enough for V8 to release it.
 * Calling two harmless glue functions makes the glue re-create both caches on the inert memory;
 * with that, a retired generation is collected like any other garbage (measured with
 * --expose-gc in bench/rss.ts: RSS plateaus instead of growing ~24 MiB per generation).
 */
function retire(old: Generation): void {
  const inert = new Proxy(
    { memory: new WebAssembly.Memory({ initial: 1 }) } as Record<string | symbol, unknown>,
    {
      get: (target, prop) => (prop in target ? target[prop] : () => 0),
    },
  );
  const glue = old.glue as unknown as Record<string, (...args: number[]) => unknown>;
  (glue.__wbg_set_wasm as (v: unknown) => void)(inert);
  old.memory.grow(0);
  const exportNamed = (prefix: string) =>
    Object.keys(glue).find((name) => name.startsWith(prefix) && typeof glue[name] === "function");
  const makeError = exportNamed("__wbg_Error_"); // reads a string: refreshes the Uint8Array view
  const stringOf = exportNamed("__wbg_String_"); // writes a string: refreshes the DataView
  const drop = exportNamed("__wbindgen_object_drop_ref");
  try {
    if (makeError) {
      const handle = glue[makeError]?.(0, 0) as number;
      if (drop) glue[drop]?.(handle);
    }
    // Heap slot 128 is the glue's preallocated `undefined`; the string lands in inert memory.
    if (stringOf) glue[stringOf]?.(0, 128);
  } catch {
    // Best effort: a glue without these helpers only keeps its old memory longer.
  }
}

/** Loads and starts the wasm module once per process; later calls share it. */
export function loadBiscuit(): Promise<BiscuitModule> {
  shared.loading ??= instantiate(findBiscuitPackageDir());
  return shared.loading;
}

/**
 * The current generation, switching to a fresh one first if memory passed the threshold.
 * Call once at the start of a public operation and use only that module for its duration.
 */
export function biscuitRuntime(): { bw: BiscuitModule; generation: number } {
  const { state } = shared;
  if (!state) throw new Error("biscuit-wasm is not loaded: await loadBiscuit() first");
  const { current } = state;
  // Glue copies are made on the spot, so nothing else paces the switches: an instance is not
  // retired before its memory at least doubled, or a threshold below the size of a fresh
  // instance (tests use 0) would start a new one on every call.
  const bytes = current.memory.buffer.byteLength;
  const due = (bytes > shared.recycleThresholdBytes && bytes >= 2 * current.startBytes) || shared.switchNext;
  const glue = due ? (state.makeGlue?.() ?? state.spare) : undefined;
  if (glue) {
    shared.switchNext = false;
    state.spare = undefined;
    state.current = startGeneration(state, glue, current.id + 1);
    retire(current);
    prepareSpare(state);
  }
  return { bw: state.current.glue, generation: state.current.id };
}

/** The current module without switching generations (for code inside one operation). */
export function biscuitSync(): BiscuitModule {
  if (!shared.state) throw new Error("biscuit-wasm is not loaded: await loadBiscuit() first");
  return shared.state.current.glue;
}

export function currentGeneration(): number {
  return shared.state?.current.id ?? -1;
}

/** Size of the current generation's linear memory (it only grows within a generation). */
export function wasmMemoryBytes(): number {
  return shared.state?.current.memory.buffer.byteLength ?? 0;
}

/** The next operation starts a new generation (tests: a generation born under known settings). */
export function recycleWasmNow(): void {
  shared.switchNext = true;
}

/**
 * Grows the current instance's memory by at least `bytes` from outside the module (tests: memory
 * the allocator did not ask for, and an instance that is due for retirement).
 */
export function growWasmMemory(bytes: number): void {
  const memory = shared.state?.current.memory;
  if (!memory) throw new Error("biscuit-wasm is not loaded: await loadBiscuit() first");
  memory.grow(Math.ceil(bytes / 65536));
}

export function setWasmRecycleThreshold(bytes: number): void {
  shared.recycleThresholdBytes = bytes;
}

/** Resolves once a spare glue module is ready (tests use it to force a switch promptly). */
export async function spareReady(): Promise<void> {
  const { state } = shared;
  if (state) {
    prepareSpare(state);
    await state.spareLoading;
  }
}
