// A persistent vector: an immutable list where changing one element copies
// only its chunk of 32 and the list of chunks, not the whole list. The core
// keeps its servers in one, so that a step at 1000 servers does not copy (and
// leave for the garbage collector) an array of 1000 per event. Reading is an
// index computation; the array methods the rest of the code uses are here,
// with the same meaning. Pure.

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

export class Vec<T> implements Iterable<T> {
  /**
   * Transient (one step's working copy, see `transient`): the chunk list of the
   * vector it was made from (a chunk still shared with it is copied before it is
   * changed; one that differs is this vector's own); null for every persistent vector.
   */
  private declare base: readonly (readonly T[])[] | null;
  private declare readonly chunks: readonly (readonly T[])[];
  declare readonly length: number;

  // (Fields `declare`d and set here only: no class-field initializer runs per vector.)
  private constructor(chunks: readonly (readonly T[])[], length: number) {
    this.base = null;
    this.chunks = chunks;
    this.length = length;
  }

  /**
   * A working copy for one step: `set` on it changes it in place (copying a chunk
   * the first time it is changed, never touching this vector's), so a step that
   * changes one server several times copies its chunk once. `freeze` makes it an
   * ordinary persistent vector again; it must be frozen before anybody else sees it.
   */
  transient(): Vec<T> {
    const v = new Vec(this.chunks.slice(), this.length);
    v.base = this.chunks;
    return v;
  }

  /** A transient vector becomes persistent (no-op for a persistent one); returns it. */
  freeze(): Vec<T> {
    this.base = null;
    return this;
  }

  static of<T>(items: readonly T[]): Vec<T> {
    const chunks: T[][] = [];
    for (let i = 0; i < items.length; i += WIDTH) chunks.push(items.slice(i, i + WIDTH));
    return new Vec(chunks, items.length);
  }

  /** The element at index i, or undefined (no counting from the end: -1 is no index, as findIndex's "none"). */
  at(i: number): T | undefined {
    if (!(i >= 0 && i < this.length)) return undefined;
    return (this.chunks[i >> BITS] as readonly T[])[i & MASK];
  }

  /** A new vector with element i replaced (i must be an index of this one). */
  set(i: number, value: T): Vec<T> {
    if (!(i >= 0 && i < this.length) || !Number.isInteger(i)) throw new RangeError(`no element ${i} in a vector of ${this.length}`);
    const c = i >> BITS;
    const base = this.base;
    if (base !== null) {
      // Transient: this vector's own chunk list, changed in place (a chunk still the base's is copied first).
      const chunks = this.chunks as T[][];
      if (chunks[c] === base[c]) chunks[c] = (chunks[c] as T[]).slice();
      (chunks[c] as T[])[i & MASK] = value;
      return this;
    }
    const chunk = (this.chunks[c] as readonly T[]).slice();
    chunk[i & MASK] = value;
    const chunks = this.chunks.slice();
    chunks[c] = chunk;
    return new Vec(chunks, this.length);
  }

  /** A new vector with `value` added at the end. */
  push(value: T): Vec<T> {
    this.freeze(); // (the new vector shares this one's chunks: neither may change them any more)
    const chunks = this.chunks.slice();
    const last = chunks.length - 1;
    if (last >= 0 && (chunks[last] as readonly T[]).length < WIDTH) chunks[last] = [...(chunks[last] as readonly T[]), value];
    else chunks.push([value]);
    return new Vec(chunks, this.length + 1);
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  forEach(fn: (value: T, index: number) => void): void {
    let i = 0;
    for (const chunk of this.chunks) for (const v of chunk) fn(v, i++);
  }

  map<U>(fn: (value: T, index: number) => U): U[] {
    const out: U[] = [];
    this.forEach((v, i) => { out.push(fn(v, i)); });
    return out;
  }

  flatMap<U>(fn: (value: T, index: number) => readonly U[]): U[] {
    const out: U[] = [];
    this.forEach((v, i) => { out.push(...fn(v, i)); });
    return out;
  }

  filter(fn: (value: T, index: number) => boolean): T[] {
    const out: T[] = [];
    this.forEach((v, i) => { if (fn(v, i)) out.push(v); });
    return out;
  }

  findIndex(fn: (value: T, index: number) => boolean): number {
    let i = 0;
    for (const chunk of this.chunks) {
      for (const v of chunk) {
        if (fn(v, i)) return i;
        i++;
      }
    }
    return -1;
  }

  find(fn: (value: T, index: number) => boolean): T | undefined {
    const i = this.findIndex(fn);
    return i < 0 ? undefined : this.at(i);
  }

  some(fn: (value: T, index: number) => boolean): boolean {
    return this.findIndex(fn) >= 0;
  }

  every(fn: (value: T, index: number) => boolean): boolean {
    return this.findIndex((v, i) => !fn(v, i)) < 0;
  }

  toArray(): T[] {
    return this.chunks.flat() as T[];
  }

  /** As an array, for JSON (logs, test comparisons). */
  toJSON(): T[] {
    return this.toArray();
  }
}
