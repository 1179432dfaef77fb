import type { CapContext } from "./block-reader.js";

/**
 * Block 0's `cap(...)` fact read straight from the block's protobuf, for the verifier's hot
 * path (the issuer-kid check and revocation by session or principal need it on every cold
 * verification). The reference is readBlock(0, biscuit.getBlockSource(0)).context: biscuit
 * prints the block as datalog in wasm and block-reader matches the first line of the form
 * `cap("..." x7, integer);`. Printing and matching cost ~30 us; this costs ~1 us.
 *
 * The answer must be the same, so the fast reader only answers for blocks whose printing it
 * can predict exactly, and otherwise returns undefined (the caller then takes the wasm path):
 * - the block is in prost's canonical layout (fields in ascending order, singular fields once,
 *   minimal varints; see schema.proto's Block, FactV2, PredicateV2, TermV2), which is what
 *   biscuit writes, so the fact list is the one biscuit prints, in the same order;
 * - every symbol is printable ASCII without `"` or `\`: biscuit prints strings raw, so a
 *   newline or a quote inside a string could make a printed line look like a different fact;
 * - no block `context` string (field 2).
 * Facts are printed first, one per line, so the first matching line is the first fact named
 * `cap` with seven string terms and an integer, whose seventh string is a known kind.
 * tests/unit/capability/block-context.test.ts compares both readers on generated blocks.
 */

/** biscuit-auth's default symbol table (indexes 0..27); a block's own symbols start at 1024. */
const DEFAULT_SYMBOLS = [
  "read",
  "write",
  "resource",
  "operation",
  "right",
  "time",
  "role",
  "owner",
  "tenant",
  "namespace",
  "user",
  "team",
  "service",
  "admin",
  "email",
  "group",
  "member",
  "ip_address",
  "client",
  "client_ip",
  "domain",
  "path",
  "version",
  "cluster",
  "node",
  "hostname",
  "nonce",
  "query",
];
const SYMBOL_OFFSET = 1024;

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const BLOCK_SYMBOLS = 1;
const BLOCK_VERSION = 3;
const BLOCK_FACTS = 4;
const BLOCK_LAST_FIELD = 8; // rules 5, checks 6, scope 7, publicKeys 8: skipped, order checked
const TAG_PREDICATE = 0x0a;
const TAG_NAME = 0x08;
const TAG_TERM = 0x12;
const TAG_TERM_INTEGER = 0x10;
const TAG_TERM_STRING = 0x18;
/** TermV2 fields 1 variable, 2 integer, 3 string, 4 date and 6 bool are varints (a bit mask). */
const TERM_VARINT_FIELDS = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 6);
const TERM_LAST_FIELD = 10;
const CAP_TERMS = 8;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Thrown inside this module only: the reader cannot vouch for the printed form. */
const UNSURE = Symbol("unsure");
const CAP = [0x63, 0x61, 0x70]; // "cap"
const OTHER = 0;
const STRING = 1;
const INTEGER = 2;

/**
 * One cursor over the block; `end` bounds the message being read. Throws UNSURE. The arrays
 * are reused from one call to the next (this runs on every cold verification, and the reader
 * never re-enters itself).
 */
class Cursor {
  pos = 0;
  end = 0;
  bytes: Uint8Array = new Uint8Array(0);
  private text: Buffer | undefined;
  symbols = 0;
  readonly symbolStarts: number[] = [];
  readonly symbolEnds: number[] = [];
  /** Where the terms of the fact being read are, and the value of each (CAP_TERMS at most). */
  readonly termStarts: number[] = [];
  readonly termEnds: number[] = [];
  readonly termValues: Array<number | bigint> = [];
  /** Value of the last term read by readTerm. */
  termValue: number | bigint = 0;

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.text = undefined;
    this.pos = 0;
    this.end = bytes.length;
    this.symbols = 0;
  }

  byte(): number {
    if (this.pos >= this.end) throw UNSURE;
    return this.bytes[this.pos++] as number;
  }

  /** A minimal varint of up to 10 bytes, as an unsigned 64-bit bigint when it needs >= 2^49. */
  varint(): number | bigint {
    let value = 0;
    // Up to 4 bytes (28 bits) with plain integer arithmetic: every length and index we meet.
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = this.byte();
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (byte === 0 && shift > 0) throw UNSURE;
        return value;
      }
    }
    return this.longVarint(value);
  }

  private longVarint(low: number): number | bigint {
    // Bytes 5 to 7 still fit a double exactly (49 bits); beyond that, a bigint.
    let value = low;
    for (let shift = 28; shift < 49; shift += 7) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (byte === 0) throw UNSURE;
        return value;
      }
    }
    let big = BigInt(value);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      const byte = this.byte();
      big |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (byte === 0 || big >= 1n << 64n) throw UNSURE;
        return big;
      }
    }
    throw UNSURE;
  }

  /** Skips a length-delimited payload: returns its start, leaves pos at its end. */
  payload(): number {
    const length = this.varint();
    if (typeof length !== "number" || length > this.end - this.pos) throw UNSURE;
    const start = this.pos;
    this.pos += length;
    return start;
  }

  addSymbol(start: number, end: number): void {
    this.symbolStarts[this.symbols] = start;
    this.symbolEnds[this.symbols] = end;
    this.symbols++;
  }

  /** Whether symbol `index` is a block symbol spelled `name` (no default symbol is "cap"). */
  symbolIs(index: number | bigint, name: readonly number[]): boolean {
    if (typeof index !== "number" || index < SYMBOL_OFFSET) return false;
    const i = index - SYMBOL_OFFSET;
    if (i >= this.symbols) throw UNSURE;
    const start = this.symbolStarts[i] as number;
    if ((this.symbolEnds[i] as number) - start !== name.length) return false;
    for (let k = 0; k < name.length; k++) if (this.bytes[start + k] !== name[k]) return false;
    return true;
  }

  symbol(index: number | bigint): string {
    if (typeof index !== "number") throw UNSURE;
    if (index < SYMBOL_OFFSET) {
      const known = DEFAULT_SYMBOLS[index];
      if (known === undefined) throw UNSURE;
      return known;
    }
    const i = index - SYMBOL_OFFSET;
    if (i >= this.symbols) throw UNSURE;
    this.text ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    // Printable ASCII only (checked when the table was read), so latin1 is the exact text.
    return this.text.toString("latin1", this.symbolStarts[i], this.symbolEnds[i]);
  }
}

const cursor = new Cursor();

/** One TermV2 in [pos, end): exactly one field of the oneof, canonically encoded. */
function readTerm(c: Cursor): number {
  const tag = c.byte();
  const field = tag >> 3;
  if ((tag & 0x80) !== 0 || field === 0 || field > TERM_LAST_FIELD) throw UNSURE;
  let kind = OTHER;
  if ((TERM_VARINT_FIELDS >> field) & 1) {
    if ((tag & 7) !== WIRE_VARINT) throw UNSURE;
    const value = c.varint();
    if (tag === TAG_TERM_STRING) {
      kind = STRING;
      c.termValue = value;
    } else if (tag === TAG_TERM_INTEGER) {
      kind = INTEGER;
      c.termValue = typeof value === "number" ? value : Number(BigInt.asIntN(64, value));
    }
  } else {
    if ((tag & 7) !== WIRE_LEN) throw UNSURE;
    c.payload();
  }
  if (c.pos !== c.end) throw UNSURE;
  return kind;
}

/** The context if the FactV2 in [pos, end) is a matching `cap(...)` fact, else null. */
function readFact(c: Cursor): CapContext | null {
  if (c.byte() !== TAG_PREDICATE) throw UNSURE;
  const start = c.payload();
  if (c.pos !== c.end) throw UNSURE;
  c.pos = start;
  if (c.byte() !== TAG_NAME) throw UNSURE;
  const name = c.varint();
  let terms = 0;
  while (c.pos < c.end) {
    if (c.byte() !== TAG_TERM) throw UNSURE;
    const termStart = c.payload();
    c.termStarts[terms] = termStart;
    c.termEnds[terms] = c.pos;
    terms++;
  }
  // A canonical predicate (checked above) of another shape cannot print as a cap line.
  if (terms !== CAP_TERMS || !c.symbolIs(name, CAP)) return null;
  for (let i = 0; i < CAP_TERMS; i++) {
    c.pos = c.termStarts[i] as number;
    c.end = c.termEnds[i] as number;
    if (readTerm(c) !== (i < CAP_TERMS - 1 ? STRING : INTEGER)) return null;
    c.termValues[i] = c.termValue;
  }
  const kind = c.symbol(c.termValues[6] as number | bigint);
  if (kind !== "minted" && kind !== "escalation") return null;
  const [tenant, principal, agent, session, request, issuer] = c.termValues;
  return {
    tenant: c.symbol(tenant as number | bigint),
    principal: c.symbol(principal as number | bigint),
    agent: c.symbol(agent as number | bigint),
    session: c.symbol(session as number | bigint),
    request: c.symbol(request as number | bigint),
    issuer: c.symbol(issuer as number | bigint),
    kind,
    issuedAt: c.termValues[7] as number,
  };
}

function isPrintableSymbol(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 || b > 0x7e || b === QUOTE || b === BACKSLASH) return false;
  }
  return true;
}

/**
 * Block 0's context from its serialized bytes: the context, null when block 0 has none, or
 * undefined when this reader cannot vouch for the answer (then ask getBlockSource).
 */
export function readBlockContext(block: Uint8Array): CapContext | null | undefined {
  try {
    const c = cursor;
    c.reset(block);
    let context: CapContext | null = null;
    let lastField = 0;
    while (c.pos < block.length) {
      const tag = c.byte();
      const field = tag >> 3;
      if ((tag & 0x80) !== 0 || field < lastField || field > BLOCK_LAST_FIELD) throw UNSURE;
      lastField = field;
      if (field === BLOCK_VERSION) {
        if ((tag & 7) !== WIRE_VARINT || typeof c.varint() !== "number") throw UNSURE;
        continue;
      }
      // Field 2 (the block's free-text context) is not something we write: let wasm decide.
      if ((tag & 7) !== WIRE_LEN || field === 2 || field === 0) throw UNSURE;
      const start = c.payload();
      const end = c.pos;
      if (field === BLOCK_SYMBOLS) {
        if (!isPrintableSymbol(block, start, end)) throw UNSURE;
        c.addSymbol(start, end);
      } else if (field === BLOCK_FACTS && context === null) {
        c.pos = start;
        c.end = end;
        context = readFact(c);
        c.pos = end;
        c.end = block.length;
      }
    }
    return context;
  } catch (error) {
    if (error === UNSURE) return undefined;
    throw error;
  }
}
