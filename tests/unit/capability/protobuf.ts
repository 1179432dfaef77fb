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
