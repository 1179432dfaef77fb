/** Just enough protobuf to take a Biscuit envelope apart and put it back together in tests. */
export interface Field {
  field: number;
  wire: number;
  /** Raw encoded field, tag included. */
  raw: Uint8Array;
}

function readVarint(bytes: Uint8Array, start: number): [number, number] {
  let value = 0;
  let shift = 0;
  let pos = start;
  for (;;) {
    const byte = bytes[pos++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

export function splitFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    const wire = tag & 7;
    if (wire === 0) pos = readVarint(bytes, afterTag)[1];
    else {
      const [length, next] = readVarint(bytes, afterTag);
      pos = next + length;
    }
    fields.push({ field: Math.floor(tag / 8), wire, raw: bytes.slice(start, pos) });
  }
  return fields;
}

export function joinFields(fields: readonly Field[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(fields.map((f) => Buffer.from(f.raw))));
}

/**
 * A decoded field that can be re-encoded in non-canonical ways: extra continuation bytes on
 * the tag, the length or the value (`pad`), and nested messages kept as child fields.
 */
export type Node =
  | { field: number; wire: 0; value: bigint; tagPad?: number; valuePad?: number }
  | {
      field: number;
      wire: 2;
      bytes: Uint8Array;
      /** Set for fields that hold a message: encoded instead of `bytes`. */
      children?: Node[];
      tagPad?: number;
      lenPad?: number;
    };

/** Varint bytes of `value`, with `pad` redundant trailing groups (0x80 ... 0x00). */
export function varint(value: bigint, pad = 0): number[] {
  const out: number[] = [];
  let v = value;
  do {
    out.push(Number(v & 0x7fn));
    v >>= 7n;
  } while (v > 0n);
  for (let i = 0; i < pad; i++) out.push(0);
  for (let i = 0; i < out.length - 1; i++) out[i] = (out[i] as number) | 0x80;
  return out;
}

function readBigVarint(bytes: Uint8Array, start: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  let pos = start;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new Error("truncated varint");
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7n;
  }
}

/**
 * Decodes a message into nodes; `messages(path)` says which length-delimited fields hold a
 * message (path: field numbers from the top), so they are decoded recursively.
 */
export function decodeNodes(
  bytes: Uint8Array,
  messages: (path: readonly number[]) => boolean,
  path: readonly number[] = [],
): Node[] {
  const nodes: Node[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [tag, afterTag] = readBigVarint(bytes, pos);
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [value, next] = readBigVarint(bytes, afterTag);
      nodes.push({ field, wire, value });
      pos = next;
    } else if (wire === 2) {
      const [length, next] = readBigVarint(bytes, afterTag);
      const payload = bytes.slice(next, next + Number(length));
      const here = [...path, field];
      nodes.push({
        field,
        wire,
        bytes: payload,
        children: messages(here) ? decodeNodes(payload, messages, here) : undefined,
      });
      pos = next + Number(length);
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return nodes;
}

export function encodeNodes(nodes: readonly Node[]): Uint8Array {
  const out: number[] = [];
  for (const node of nodes) {
    out.push(...varint(BigInt(node.field * 8 + node.wire), node.tagPad));
    if (node.wire === 0) out.push(...varint(node.value, node.valuePad));
    else {
      const payload = node.children ? encodeNodes(node.children) : node.bytes;
      out.push(...varint(BigInt(payload.length), node.lenPad), ...payload);
    }
  }
  return Uint8Array.from(out);
}
