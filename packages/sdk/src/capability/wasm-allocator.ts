import { createHash } from "node:crypto";

/**
 * A replacement for the memory allocator compiled into biscuit-wasm 0.6.0.
 *
 * The package is built with wee_alloc 0.4.5, which loses freed blocks (rustwasm/wee_alloc#106):
 * every authorizer built from a token leaked ~20-25 KB of wasm memory for good, so each call
 * wrote to memory no call had touched before (cold cache lines, page faults), and the module had
 * to be restarted every ~1,000 calls. Rust hands the allocator the size and alignment on every
 * free, so a segregated free-list allocator needs no block headers and fits in two small
 * functions. This module writes them in wasm and puts them in place of wee_alloc's `alloc` and
 * `dealloc` in the module's bytes, before it is compiled; every allocation in the module (Rust's
 * `__rust_alloc`, `__rust_realloc` and the JS glue's malloc/free exports) goes through those two.
 *
 * The allocator:
 * - sizes up to 2048 bytes in 128 classes of 16 bytes; larger sizes in power-of-two classes up to
 *   1 GiB; anything larger fails (Rust then aborts with an allocation error, as it would on OOM);
 * - one LIFO free list per class (the next pointer lives in the freed block), so a block freed
 *   by one call is the first one the next call gets, still in cache;
 * - new blocks bumped from memory grown at least 1 MiB at a time; every block 16-byte aligned;
 *   a stricter alignment over-allocates and keeps the raw block's address just before the
 *   aligned pointer;
 * - its state (149 list heads, the bump pointer and the end of grown memory) lives in wee_alloc's
 *   own static area, which nothing else in the module reads or writes.
 *
 * The patch is written for exactly one file: it refuses any other (sha256 check) instead of
 * guessing function indices in a different build.
 */

/** sha256 of module/biscuit_bg.wasm in @biscuit-auth/biscuit-wasm 0.6.0. */
export const BISCUIT_WASM_SHA256 = "8d24c8782cd752f08690f5e56256eb2f3665244db5f2085cb134f6bee4b7e4c6";

export interface AllocatorLayout {
  /** Function index (imports first) of `alloc(align, size) -> ptr`. */
  allocIndex: number;
  /** Function index of `dealloc(ptr, align, size)`. */
  deallocIndex: number;
  /** Start of STATE_BYTES of zero-initialized memory reserved for the allocator. */
  stateBase: number;
}

/** wee_alloc in biscuit-wasm 0.6.0: alloc is function 907, dealloc 867; its statics at 1564424. */
export const BISCUIT_0_6_0_LAYOUT: AllocatorLayout = {
  allocIndex: 907,
  deallocIndex: 867,
  stateBase: 1_564_424,
};

/** wee_alloc's static area in 0.6.0: 256 size-class heads and one list head (1564424..1565452). */
export const STATE_BYTES = 1028;
const BUMP_OFFSET = 1016;
const END_OFFSET = 1020;
const MAX_SMALL = 2048;
const MAX_SIZE = 1 << 30;
const MIN_GROW_PAGES = 16;

// ---- a few wasm instructions, enough for the two functions --------------------------------

/** Unsigned LEB128, as the wasm binary format writes counts, sizes and indices. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (v: number) => [0x41, ...sleb(v)];
const call = (f: number) => [0x10, ...uleb(f)];
const LOAD = [0x28, 0x02, 0x00]; // i32.load align=4 offset=0
const STORE = [0x36, 0x02, 0x00];
const IF = [0x04, 0x40];
const IF_I32 = [0x04, 0x7f];
const ELSE = [0x05];
const END = [0x0b];
const RETURN = [0x0f];
const SELECT = [0x1b];
const GROW = [0x40, 0x00];
const EQZ = [0x45];
const EQ = [0x46];
const NE = [0x47];
const LT_U = [0x49];
const GT_U = [0x4b];
const LE_U = [0x4d];
const CLZ = [0x67];
const ADD = [0x6a];
const SUB = [0x6b];
const AND = [0x71];
const OR = [0x72];
const SHL = [0x74];
const SHR_U = [0x76];

/** A function body: local declarations (count of i32 locals), code, final `end`. */
function body(i32Locals: number, code: number[][]): Uint8Array {
  const locals = i32Locals > 0 ? [1, ...uleb(i32Locals), 0x7f] : [0];
  return Uint8Array.from([...locals, ...code.flat(), ...END]);
}

/**
 * Class of a size on the stack, for sizes 1..MAX_SIZE: 1..128 for <= 2048 bytes (16-byte steps),
 * then 117 + ceil(log2(size)): 129 for <= 4 KiB ... 147 for <= 1 GiB.
 */
function sizeClass(size: number): number[][] {
  return [
    get(size),
    i32(MAX_SMALL),
    LE_U,
    IF_I32,
    get(size),
    i32(15),
    ADD,
    i32(4),
    SHR_U,
    ELSE,
    i32(149),
    get(size),
    i32(1),
    SUB,
    CLZ,
    SUB,
    END,
  ];
}

export function allocatorBodies(layout: AllocatorLayout): { alloc: Uint8Array; dealloc: Uint8Array } {
  const heads = layout.stateBase;
  const bump = layout.stateBase + BUMP_OFFSET;
  const end = layout.stateBase + END_OFFSET;

  // alloc(align: 0, size: 1) -> ptr; locals: 2 class, 3 block size, 4 ptr, 5 scratch.
  const alloc = body(4, [
    // Zero-sized: a dangling, aligned pointer (what wee_alloc returned too).
    ...[get(1), EQZ, IF, get(0), RETURN, END],
    ...[get(1), i32(MAX_SIZE), GT_U, IF, i32(0), RETURN, END],
    // Alignment above 16: a raw block of size + align + 4, the raw address stored before ptr.
    ...[get(0), i32(16), GT_U, IF],
    ...[i32(16), get(1), get(0), ADD, i32(4), ADD, call(layout.allocIndex), tee(4), EQZ],
    ...[IF, i32(0), RETURN, END],
    ...[get(4), i32(3), ADD, get(0), ADD, i32(0), get(0), SUB, AND, tee(5)],
    ...[i32(4), SUB, get(4), STORE, get(5), RETURN, END],
    // Class and block size.
    ...[get(1), i32(MAX_SMALL), LE_U, IF],
    ...[get(1), i32(15), ADD, i32(4), SHR_U, tee(2), i32(4), SHL, set(3)],
    ...[ELSE],
    ...[i32(32), get(1), i32(1), SUB, CLZ, SUB, tee(3), i32(117), ADD, set(2), i32(1), get(3), SHL, set(3)],
    ...[END],
    // Pop the class's free list if it has a block.
    ...[get(2), i32(2), SHL, i32(heads), ADD, tee(5), LOAD, tee(4), IF],
    ...[get(5), get(4), LOAD, STORE, get(4), RETURN, END],
    // Otherwise bump; grow memory (at least MIN_GROW_PAGES) when the block does not fit.
    ...[i32(bump), LOAD, set(4)],
    ...[i32(end), LOAD, get(4), SUB, get(3), LT_U, IF],
    ...[get(3), i32(65535), ADD, i32(16), SHR_U, tee(2)],
    ...[i32(MIN_GROW_PAGES), get(2), i32(MIN_GROW_PAGES), GT_U, SELECT, tee(2)],
    ...[GROW, tee(5), i32(-1), EQ, IF, i32(0), RETURN, END],
    // Not contiguous with the current region (the first growth): start at the new pages.
    ...[get(5), i32(16), SHL, tee(5), i32(end), LOAD, NE, IF, get(5), set(4), END],
    ...[i32(end), get(5), get(2), i32(16), SHL, ADD, STORE],
    ...[END],
    ...[i32(bump), get(4), get(3), ADD, STORE, get(4)],
  ]);

  // dealloc(ptr: 0, align: 1, size: 2); local 1 is reused for the list head's address.
  const dealloc = body(0, [
    ...[get(0), EQZ, get(2), EQZ, OR, IF, RETURN, END],
    ...[get(1), i32(16), GT_U, IF],
    ...[get(0), i32(4), SUB, LOAD, i32(16), get(2), get(1), ADD, i32(4), ADD, call(layout.deallocIndex)],
    ...[RETURN, END],
    // Push: block.next = head; head = block.
    ...[get(0), ...sizeClass(2), i32(2), SHL, i32(heads), ADD, tee(1), LOAD, STORE],
    ...[get(1), get(0), STORE],
  ]);
  return { alloc, dealloc };
}

// ---- just enough of the binary format to swap two function bodies ------------------------

interface Section {
  id: number;
  /** Offset of the section id byte. */
  start: number;
  /** Offset of the section's contents. */
  body: number;
  end: number;
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  u32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error("wasm: bad LEB128");
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error("wasm: truncated");
    return this.bytes[this.pos++] as number;
  }

  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.bytes.length) throw new Error("wasm: truncated");
  }

  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

function readSections(bytes: Uint8Array): Section[] {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (!magic.every((b, i) => bytes[i] === b)) throw new Error("wasm: not a version 1 module");
  const sections: Section[] = [];
  const r = new Reader(bytes, 8);
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const bodyAt = r.pos;
    r.skip(size);
    sections.push({ id, start, body: bodyAt, end: r.pos });
  }
  return sections;
}

interface FunctionTypes {
  importedFunctions: number;
  /** Signature of each function index, e.g. "i32,i32->i32". */
  signature(index: number): string;
}

const VALTYPES: Record<number, string> = { 127: "i32", 126: "i64", 125: "f32", 124: "f64" };

function readFunctionTypes(bytes: Uint8Array, sections: Section[]): FunctionTypes {
  const find = (id: number) => sections.find((s) => s.id === id);
  const types: string[] = [];
  const typeSection = find(1);
  if (typeSection) {
    const r = new Reader(bytes, typeSection.body);
    for (let n = r.u32(), i = 0; i < n; i++) {
      if (r.byte() !== 0x60) throw new Error("wasm: unexpected type form");
      const list = () => Array.from({ length: r.u32() }, () => VALTYPES[r.byte()] ?? "?").join(",");
      const params = list();
      types.push(`${params}->${list()}`);
    }
  }
  const functionTypes: number[] = [];
  const importSection = find(2);
  if (importSection) {
    const r = new Reader(bytes, importSection.body);
    for (let n = r.u32(), i = 0; i < n; i++) {
      r.skip(r.u32()); // module name
      r.skip(r.u32()); // field name
      const kind = r.byte();
      if (kind === 0) functionTypes.push(r.u32());
      else if (kind === 1) {
        r.byte();
        r.limits();
      } else if (kind === 2) r.limits();
      else if (kind === 3) r.skip(2);
      else throw new Error(`wasm: unexpected import kind ${kind}`);
    }
  }
  const importedFunctions = functionTypes.length;
  const functionSection = find(3);
  if (functionSection) {
    const r = new Reader(bytes, functionSection.body);
    for (let n = r.u32(), i = 0; i < n; i++) functionTypes.push(r.u32());
  }
  return {
    importedFunctions,
    signature: (index) => types[functionTypes[index] ?? -1] ?? "?",
  };
}

/** The module with the bodies of some defined functions replaced (indices count imports). */
export function replaceFunctionBodies(
  wasm: Uint8Array,
  replacements: Map<number, Uint8Array>,
): Uint8Array<ArrayBuffer> {
  const sections = readSections(wasm);
  const { importedFunctions } = readFunctionTypes(wasm, sections);
  const code = sections.find((s) => s.id === 10);
  if (!code) throw new Error("wasm: no code section");
  const r = new Reader(wasm, code.body);
  const count = r.u32();
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    bodies.push(wasm.subarray(r.pos, r.pos + size));
    r.skip(size);
  }
  for (const [index, replacement] of replacements) {
    const at = index - importedFunctions;
    if (at < 0 || at >= bodies.length) throw new Error(`wasm: no defined function ${index}`);
    bodies[at] = replacement;
  }
  const parts: Uint8Array[] = [Uint8Array.from(uleb(count))];
  for (const b of bodies) parts.push(Uint8Array.from(uleb(b.length)), b);
  const contents = Buffer.concat(parts);
  return Buffer.concat([
    wasm.subarray(0, code.start),
    Uint8Array.from([10, ...uleb(contents.length)]),
    contents,
    wasm.subarray(code.end),
  ]);
}

/**
 * biscuit-wasm 0.6.0's module bytes with the allocator above in place of wee_alloc. Throws if
 * the bytes are not exactly that release's file, or its two functions do not have the expected
 * signatures.
 */
export function patchBiscuitAllocator(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  const hash = createHash("sha256").update(wasm).digest("hex");
  if (hash !== BISCUIT_WASM_SHA256) {
    throw new Error(
      `biscuit_bg.wasm is not the file of @biscuit-auth/biscuit-wasm 0.6.0 (sha256 ${hash}); reinstall the package`,
    );
  }
  const layout = BISCUIT_0_6_0_LAYOUT;
  const types = readFunctionTypes(wasm, readSections(wasm));
  if (
    types.signature(layout.allocIndex) !== "i32,i32->i32" ||
    types.signature(layout.deallocIndex) !== "i32,i32,i32->"
  ) {
    throw new Error("biscuit_bg.wasm: the allocator functions are not where they were expected");
  }
  const { alloc, dealloc } = allocatorBodies(layout);
  return replaceFunctionBodies(
    wasm,
    new Map([
      [layout.allocIndex, alloc],
      [layout.deallocIndex, dealloc],
    ]),
  );
}
