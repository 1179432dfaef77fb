// Keyset cursors for the console's listings: the sort key of a page's edge row, opaque in the URL
// (base64url of a JSON array of strings). A cursor that does not decode is ignored (first page),
// never a 500: URLs get pasted and cut.

export interface KeysetPage<T> {
  rows: T[];
  /** Cursor for the page after this one (older rows), or null at the end. */
  next: string | null;
  /** Cursor for the page before this one (newer rows), or null on the first page. */
  prev: string | null;
}

export function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string | undefined | null): [string, string, string] | null {
  if (!cursor) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value.every((v) => typeof v === "string") &&
      !Number.isNaN(Date.parse(value[0] as string))
    )
      return value as [string, string, string];
  } catch {
    // fall through: an unreadable cursor means the first page
  }
  return null;
}

/** A case-insensitive substring pattern for ILIKE, with the user's % and _ taken literally. */
export function ilikePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
