// Which sd_notify datagrams were sent before the process that now has their
// sender's pid was spawned (notify-socket.ts). The kernel names a datagram's
// sender by its pid only; a datagram sent just before its sender died, and read
// after that pid was handed to a new server, would count for the new one.
//
// The order comes from the socket itself, with no clock: just before each
// spawn, lazarus sends a marker datagram (its sequence number) to the notify
// socket. The socket's queue is first in, first out, so a datagram read before
// that marker was sent before that spawn and cannot be the new process's. The
// reader thread stamps each datagram with the last marker it read; this table
// keeps, for each pid lazarus spawned, the marker sent before its spawn.
//
// Sequence numbers are 32-bit and compared modulo 2^32 (a hot crash loop
// could wrap them in weeks). Bounded: an entry is useless once no datagram
// stamped before its marker can still reach the main thread, and is swept then
// (the caller says how far that is: `settled`; not how far the reader thread
// has read, since datagrams it read before may still be on their way). If the
// reader thread stops reading, the oldest entries go beyond MAX_ENTRIES (their
// datagrams are then taken by their pid alone).
//
// A marker that cannot be sent (the socket's queue is full) leaves its spawn
// with the last marker that was sent: an earlier boundary, so never one of the
// new process's own datagrams is refused, and those read before it are still
// known to be older.
//
// Across a re-exec (spawn-marks-carry.ts) the table goes on in the new image:
// its sequence numbers continue, with the old image's nonce, so the old
// image's markers still queued in the socket are read as its own.

/** More pids than this waiting for their marker to be read: the oldest are forgotten. */
export const MAX_ENTRIES = 65_536;

/** a − b modulo 2^32, as a signed 32-bit number: > 0 when a is after b. */
export function after(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** Where a table goes on from (a re-exec, spawn-marks-carry.ts): its last numbers, and pid → marker of its spawn, oldest first. */
export interface MarksStart {
  readonly last: number;
  readonly lastSent: number;
  readonly marks: readonly (readonly [pid: number, mark: number])[];
}

export class SpawnMarks {
  private last = 0;
  /** The last marker that went into the socket (0: none yet). */
  private sentLast = 0;
  private readonly marks = new Map<number, number>();

  constructor(from?: MarksStart) {
    if (from === undefined) return;
    this.last = from.last | 0;
    this.sentLast = from.lastSent | 0;
    for (const [pid, mark] of from.marks) this.marks.set(pid, mark | 0);
  }
  /** Spawns since the last sweep: the next (O(entries)) comes once there have been as many as it left, or 64 (amortised O(1)). */
  private sinceSweep = 0;
  private sweepAfter = 64;

  /** The sequence number of the next marker (send it, then call spawned once the pid is known). */
  next(): number {
    this.last = (this.last + 1) | 0;
    if (this.last === 0) this.last = 1; // 0 is "no marker read yet"
    return this.last;
  }

  /** Marker `mark` (from next()) went into the socket. */
  sent(mark: number): void {
    this.sentLast = mark;
  }

  /** The last marker that went into the socket, for a spawn whose own could not be sent; 0 when none has. */
  get lastSent(): number {
    return this.sentLast;
  }

  /** The last number next() gave. */
  get lastNumber(): number {
    return this.last;
  }

  /** The entries that still matter to datagrams stamped `read` or later (their marker is after it), oldest first. */
  entriesAfter(read: number): [pid: number, mark: number][] {
    const out: [number, number][] = [];
    for (const [pid, mark] of this.marks) if (after(mark, read)) out.push([pid, mark]);
    return out;
  }

  /**
   * `pid` was spawned after marker `mark` was sent. `settled`: no datagram
   * stamped before it can reach the main thread any more (entries at or before
   * it are swept now and then).
   */
  spawned(pid: number, mark: number, settled: number): void {
    this.marks.delete(pid);
    this.marks.set(pid, mark);
    if (this.marks.size > MAX_ENTRIES) this.marks.delete(this.marks.keys().next().value as number);
    if (++this.sinceSweep < this.sweepAfter) return;
    this.sinceSweep = 0;
    for (const [p, m] of this.marks) if (!after(m, settled)) this.marks.delete(p);
    this.sweepAfter = Math.max(64, this.marks.size);
  }

  /**
   * Whether a datagram stamped `read` (the last marker read before it) was sent
   * before the spawn of the process that now has `pid`, or of the one whose
   * group `pgid` is (a server's group is its pid).
   */
  sentBefore(read: number, pid: number | null, pgid: number | null): boolean {
    return this.before(read, pid) || (pgid !== pid && this.before(read, pgid));
  }

  private before(read: number, pid: number | null): boolean {
    if (pid === null) return false;
    const mark = this.marks.get(pid);
    return mark !== undefined && after(mark, read);
  }

  /** Pids waiting for their marker to be read (for tests). */
  get size(): number {
    return this.marks.size;
  }
}
