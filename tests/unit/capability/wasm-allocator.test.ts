import { readFileSync } from "node:fs";
import path from "node:path";
import {
  allocatorBodies,
  BISCUIT_WASM_SHA256,
  patchBiscuitAllocator,
  replaceFunctionBodies,
  STATE_BYTES,
  uleb,
} from "@capability-console/sdk/internal/capability/wasm-allocator";
import { findBiscuitPackageDir } from "@capability-console/sdk/internal/capability/wasm-loader";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// The allocator the loader puts in place of wee_alloc, run on its own: a small module holding
// just the two functions (alloc is function 0, dealloc function 1) and one page of memory whose
// first kilobytes play the role of the module's static data.

const STATE_BASE = 1024;

function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Buffer.from(text)];
}

function allocatorModule(): Uint8Array<ArrayBuffer> {
  const { alloc, dealloc } = allocatorBodies({ allocIndex: 0, deallocIndex: 1, stateBase: STATE_BASE });
  const I32 = 0x7f;
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // (i32, i32) -> i32 and (i32, i32, i32) -> ()
    ...section(1, [2, 0x60, 2, I32, I32, 1, I32, 0x60, 3, I32, I32, I32, 0]),
    ...section(3, [2, 0, 1]),
    ...section(5, [1, 0x00, 1]), // memory: 1 page, no maximum
    ...section(7, [3, ...name("alloc"), 0, 0, ...name("dealloc"), 0, 1, ...name("memory"), 2, 0]),
    ...section(10, [2, ...uleb(alloc.length), ...alloc, ...uleb(dealloc.length), ...dealloc]),
  ];
  return Uint8Array.from(bytes);
}

interface Allocator {
  alloc(align: number, size: number): number;
  dealloc(ptr: number, align: number, size: number): void;
  memory: WebAssembly.Memory;
}

function instantiate(): Allocator {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(allocatorModule()));
  const e = instance.exports as unknown as Allocator;
  return {
    alloc: (align, size) => e.alloc(align, size) >>> 0,
    dealloc: e.dealloc,
    memory: e.memory,
  };
}

interface Block {
  ptr: number;
  size: number;
  align: number;
  fill: number;
}

/** Fills a block with a byte of its own, so that overlapping blocks show as corruption. */
function write(a: Allocator, block: Block): void {
  new Uint8Array(a.memory.buffer, block.ptr, block.size).fill(block.fill);
}

function intact(a: Allocator, block: Block): boolean {
  return new Uint8Array(a.memory.buffer, block.ptr, block.size).every((b) => b === block.fill);
}

const sizeArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 256 }) },
  { weight: 3, arbitrary: fc.integer({ min: 257, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4097, max: 300_000 }) },
);
const alignArb = fc.constantFrom(1, 2, 4, 8, 16, 32, 64, 4096);
const opArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("alloc" as const), size: sizeArb, align: alignArb }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }) },
);

describe("the allocator that replaces wee_alloc", () => {
  it("hands out aligned, in-bounds blocks that never overlap each other or its own state", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const a = instantiate();
        const live: Block[] = [];
        let fill = 1;
        for (const op of ops) {
          if (op.kind === "alloc") {
            const ptr = a.alloc(op.align, op.size);
            expect(ptr).not.toBe(0);
            expect(ptr % op.align).toBe(0);
            expect(ptr + op.size).toBeLessThanOrEqual(a.memory.buffer.byteLength);
            expect(ptr >= STATE_BASE + STATE_BYTES || ptr + op.size <= STATE_BASE).toBe(true);
            const block = { ptr, size: op.size, align: op.align, fill: (fill++ % 255) + 1 };
            write(a, block);
            live.push(block);
          } else if (live.length > 0) {
            const [block] = live.splice(op.pick % live.length, 1) as [Block];
            expect(intact(a, block)).toBe(true);
            a.dealloc(block.ptr, block.align, block.size);
          }
        }
        for (const block of live) expect(intact(a, block)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("gives a freed block back to the next request of its class, latest first", () => {
    const a = instantiate();
    const first = a.alloc(8, 100);
    const second = a.alloc(8, 100);
    a.dealloc(first, 8, 100);
    a.dealloc(second, 8, 100);
    expect(a.alloc(8, 97)).toBe(second); // 97 and 100 bytes share the 112-byte class
    expect(a.alloc(4, 112)).toBe(first);
    expect(a.alloc(8, 100)).not.toBe(first);
  });

  it("does not grow memory under steady churn (wee_alloc lost blocks here)", () => {
    const a = instantiate();
    const sizes = [24, 40, 96, 200, 1000, 3000, 17_000, 85_196, 80_000];
    const round = () => {
      const ptrs = sizes.map((size) => a.alloc(8, size));
      ptrs.reverse().forEach((ptr, i) => {
        a.dealloc(ptr, 8, sizes[sizes.length - 1 - i] as number);
      });
    };
    round();
    const grown = a.memory.buffer.byteLength;
    for (let i = 0; i < 2000; i++) round();
    expect(a.memory.buffer.byteLength).toBe(grown);
  });

  it("starts past memory someone else grew, and refuses sizes over 1 GiB", () => {
    const a = instantiate();
    const before = a.alloc(8, 64);
    const end = a.memory.grow(4) * 65536 + 4 * 65536; // pages the allocator did not ask for
    const big = a.alloc(8, 2 * 1024 * 1024); // does not fit what is left: grows again
    expect(big).toBeGreaterThanOrEqual(end);
    expect(big).not.toBe(before);
    expect(a.alloc(8, 2 ** 30 + 1)).toBe(0);
    expect(a.alloc(8, 0)).toBe(8); // zero-sized: a dangling, aligned pointer, as Rust expects
  });
});

describe("patching biscuit-wasm 0.6.0", () => {
  const wasmFile = path.join(findBiscuitPackageDir(), "module", "biscuit_bg.wasm");

  it("replaces exactly the two allocator functions and gives a valid module", () => {
    const original = readFileSync(wasmFile);
    const patched = patchBiscuitAllocator(original);
    expect(WebAssembly.validate(patched)).toBe(true);
    const exports = (bytes: Uint8Array<ArrayBuffer>) =>
      WebAssembly.Module.exports(new WebAssembly.Module(bytes));
    expect(exports(patched)).toEqual(exports(original));
    // Re-encoding the code section loses nothing: with no replacement, the same file comes out.
    expect(Buffer.compare(Buffer.from(replaceFunctionBodies(original, new Map())), original)).toBe(0);
    // Only the code section changed (`wasm-objdump -h`: its id byte is at 0x2f22, followed by its
    // size and contents; the data and custom sections after it take 0x7d853 bytes).
    let first = 0;
    while (patched[first] === original[first]) first++;
    expect(first).toBeGreaterThan(0x2f22);
    const tail = 0x7d853;
    expect(Buffer.compare(patched.subarray(-tail), original.subarray(-tail))).toBe(0);
    expect(patched.length).toBeLessThan(original.length);
  });

  it("refuses any other file instead of guessing where its allocator is", () => {
    const original = readFileSync(wasmFile);
    const altered = Buffer.from(original);
    altered.writeUInt8(altered.readUInt8(altered.length - 1) ^ 1, altered.length - 1);
    expect(() => patchBiscuitAllocator(altered)).toThrow(
      /not the file of @biscuit-auth\/biscuit-wasm 0\.6\.0/,
    );
    expect(BISCUIT_WASM_SHA256).toMatch(/^[0-9a-f]{64}$/);
  });
});
