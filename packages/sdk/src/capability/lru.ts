/** A bounded least-recently-used map: Map keeps insertion order, so re-inserting marks use. */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  /** `onEvict` is called with each value pushed out by a newer one (not on clear or re-set). */
  constructor(
    readonly maxEntries: number,
    private readonly onEvict?: (value: V) => void,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new Error("LRU size must be a positive integer");
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.entries().next();
      if (!oldest.done) {
        this.map.delete(oldest.value[0]);
        this.onEvict?.(oldest.value[1]);
      }
    }
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}
