// A bounded, non-blocking writer of one destination (lazarus's stderr or
// stdout): the one writer of that file for lazarus's own log lines and for the
// servers' prefixed output alike. Whatever the reader of the destination does
// (a paused pager, a hung log collector, Ctrl-S in a terminal), nothing here
// ever blocks the event loop, so supervision, signals and the control socket go
// on. Mechanics only, no policy:
//
// - How it writes without blocking. A pipe, FIFO or terminal is opened again
//   through /proc/self/fd/N with O_NONBLOCK: a new open file description of the
//   same file, so the children that share lazarus's own (blocking) description
//   are not affected. A write that would block fails with EAGAIN and is tried
//   again a little later (a timer, backing off from 1 to 50 ms). A socket (the
//   journal) is written with send(MSG_DONTWAIT), which needs no flag on the
//   description. A regular file never waits for a reader: it is written
//   directly (a full disk fails the write, ENOSPC, and drops it). Where /proc
//   cannot reopen a pipe, writes go to the thread pool (fs.write), so a stalled
//   one holds a pool thread, never the loop.
// - Two kinds of writes. `offer` (lazarus's log lines): queued while fewer than
//   LOG_CAP bytes of log lines wait, otherwise dropped and counted. `write` (a
//   server's output): a promise that resolves once written, so the reader
//   waits and the server is back-pressured, as before. Output of a server that
//   has ended (`droppable`) is dropped and counted instead of held once the
//   destination has made no progress for STALL_MS: a crash loop under a
//   stalled terminal cannot pile up memory or pipes. Once the queue is empty
//   again the counts go to `onDropped` (the supervisor logs one line saying how
//   many lines were lost).
// - Atomic writes to a pipe: every write is at most PIPE_BUF bytes and ends at
//   a line end (pipeChunk), so other writers of the same pipe (servers with
//   inherited output) never land inside one of our lines.
// - Exit and exec: `flushSync(ms)` writes what it can within a bounded time,
//   then gives up; what is left is counted as dropped.
import { closeSync, constants, fstatSync, openSync, write as fsWrite, writeSync } from "node:fs";
import { isTerminal, sendNoWait } from "./libc.ts";

/** The largest write a pipe keeps whole, unmixed with other writers' (POSIX PIPE_BUF; 4096 on Linux). */
export const PIPE_BUF = 4096;
/** Bytes of lazarus's own log lines that may wait for a slow destination before new ones are dropped. */
export const LOG_CAP = 64 * 1024;
/** No progress for this long with something waiting: the destination is stalled, and ended servers' output is shed. */
export const STALL_MS = 1000;

const NEWLINE = 0x0a;
const MAX_BACKOFF_MS = 50;
/** Linux's O_CLOEXEC (node:fs does not export it). */
const O_CLOEXEC = 0o2000000;

/**
 * How many bytes of `buf` (whole lines) to hand to one write to a pipe: all of
 * it if it fits in `max`, else up to the last line end within `max` bytes (or
 * `max` bytes, cutting the line, if the first line alone is longer). Pure.
 */
export function pipeChunk(buf: Uint8Array, max = PIPE_BUF): number {
  if (buf.length <= max) return buf.length;
  const nl = buf.lastIndexOf(NEWLINE, max - 1);
  return nl < 0 ? max : nl + 1;
}

type Mode =
  /** A private O_NONBLOCK description of a pipe, FIFO or terminal: writeSync, EAGAIN retried. */
  | "nonblocking"
  /** A socket: send(MSG_DONTWAIT). */
  | "socket"
  /** A regular file or a device that never waits for a reader: writeSync on the fd itself. */
  | "direct"
  /** A pipe /proc could not reopen: fs.write on the thread pool, one at a time. */
  | "threaded";

interface Item {
  buf: Uint8Array;
  /** Its size when queued (what it counts for against the caps). */
  readonly size: number;
  /** Resolves a `write`; absent for a log line. */
  readonly done?: () => void;
  /** A log line (counted against LOG_CAP, dropped when over it). */
  readonly log: boolean;
  /** Server output that may be shed when the destination is stalled (its server has ended). */
  readonly droppable?: () => boolean;
}

/** Lines lost since the last report: lazarus's own, and servers' output. */
export interface Drops {
  readonly log: number;
  readonly output: number;
}

export interface SinkOptions {
  /** Whether the destination is a terminal (colour); looked up when absent. */
  readonly tty?: boolean;
  /** Whether it is a pipe, FIFO or socket (atomic writes of whole lines); looked up when absent. */
  readonly pipe?: boolean;
  /** Open a private non-blocking description of a pipe or terminal (default true; false writes the fd as it is). */
  readonly reopen?: boolean;
}

export class Sink {
  readonly tty: boolean;
  /** Whether the destination is a pipe, FIFO or socket (writes of at most PIPE_BUF bytes, at line ends). */
  readonly pipe: boolean;
  private readonly mode: Mode;
  /** The fd written to: a private reopened one, or `fd` itself. */
  private readonly out: number;
  private readonly queue: Item[] = [];
  private logBytes = 0;
  /** When something was last written (or the queue last became non-empty). */
  private lastProgress = performance.now();
  /** A write in flight (threaded) or a retry timer pending. */
  private busy = false;
  private broken = false;
  private backoff = 0;
  /** Lines dropped since the last report. */
  private droppedLog = 0;
  private droppedOutput = 0;
  /** Bytes written so far (for a drain to tell progress from a stall). */
  written = 0;
  /** Told how many lines were dropped, once writing works again (the queue has emptied). */
  onDropped: ((drops: Drops) => void) | null = null;

  constructor(readonly fd: number, opts: SinkOptions = {}) {
    const kind = fileKind(fd);
    this.tty = opts.tty ?? safeIsatty(fd);
    this.pipe = opts.pipe ?? (kind === "fifo" || kind === "socket");
    let mode: Mode = "direct";
    let out = fd;
    if (kind === "closed") {
      this.broken = true;
    } else if (kind === "socket") {
      mode = "socket";
    } else if ((kind === "fifo" || kind === "chardev") && opts.reopen !== false) {
      const again = reopenNonBlocking(fd);
      if (again !== null) {
        mode = "nonblocking";
        out = again;
      } else if (kind === "fifo") {
        mode = "threaded";
      }
    } else if (kind === "fifo" && opts.reopen === false) {
      mode = "threaded";
    }
    this.mode = mode;
    this.out = out;
  }

  /** Nothing waiting, nothing in flight. */
  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** Lines dropped and not yet reported. */
  get pendingDrops(): Drops {
    return { log: this.droppedLog, output: this.droppedOutput };
  }

  /** Something waits and nothing has been written for STALL_MS. */
  get stalled(): boolean {
    return this.queue.length > 0 && performance.now() - this.lastProgress >= STALL_MS;
  }

  /** Log lines (each with its newline; one or several): queued, or dropped and counted if too much already waits. Never blocks. */
  offer(line: Uint8Array): void {
    if (line.length === 0) return;
    if (this.broken) {
      this.droppedLog += countLines(line);
      return;
    }
    // Over the cap: with nothing of the log waiting (the destination keeps up), the whole batch (one
    // turn's lines, written at once below) is taken all the same; else the whole lines that fit, and
    // the rest is dropped and counted.
    let take = line;
    if (this.logBytes > 0 && this.logBytes + line.length > LOG_CAP) {
      const room = LOG_CAP - this.logBytes;
      const end = room <= 0 ? -1 : line.lastIndexOf(NEWLINE, room - 1);
      take = line.subarray(0, end + 1);
      this.droppedLog += countLines(line.subarray(end + 1));
      if (take.length === 0) return;
    }
    this.logBytes += take.length;
    this.enqueue({ buf: take, size: take.length, log: true });
  }

  /**
   * Server output (whole lines): resolves once written, or once dropped (the
   * destination is gone, or it is stalled and `droppable` says the server has
   * ended).
   */
  write(buf: Uint8Array, droppable?: () => boolean): Promise<void> {
    if (buf.length === 0) return Promise.resolve();
    if (this.broken) return Promise.resolve();
    if (droppable !== undefined && this.stalled && droppable()) {
      this.droppedOutput += countLines(buf);
      return Promise.resolve();
    }
    return new Promise((done) => {
      this.enqueue({ buf, size: buf.length, done, log: false, ...(droppable === undefined ? {} : { droppable }) });
    });
  }

  /** When the destination is stalled: drop the waiting output of servers that have ended (not a batch half written). */
  shed(): void {
    if (!this.stalled) return;
    const keep: Item[] = [];
    this.queue.forEach((item, k) => {
      const partial = k === 0 && item.buf.length < item.size;
      if (!partial && item.droppable?.() === true) {
        this.droppedOutput += countLines(item.buf);
        item.done?.();
      } else {
        keep.push(item);
      }
    });
    this.queue.splice(0, this.queue.length, ...keep);
  }

  /**
   * Write what waits, synchronously, for at most `maxMs` (before an exit or an
   * exec: a destination nobody reads must not hold lazarus). Returns how many
   * lines are then still unwritten or were dropped and not reported: they are
   * lost, and the queue is emptied.
   */
  flushSync(maxMs: number): number {
    const deadline = performance.now() + maxMs;
    if (this.mode !== "threaded") {
      let pause = 1;
      while (this.queue.length > 0 && !this.broken && performance.now() < deadline) {
        const r = this.attempt();
        if (r === "again") {
          Bun.sleepSync(pause);
          pause = Math.min(pause * 2, 20);
        } else {
          pause = 1;
        }
      }
    }
    let lost = this.droppedLog + this.droppedOutput;
    this.droppedLog = 0;
    this.droppedOutput = 0;
    for (const item of this.queue.splice(0)) {
      lost += countLines(item.buf);
      item.done?.();
    }
    this.logBytes = 0;
    return lost;
  }

  /** Close the private description, if any (tests; the process's end closes it otherwise). */
  close(): void {
    if (this.out !== this.fd) {
      try {
        closeSync(this.out);
      } catch { /* closed */ }
    }
  }

  private enqueue(item: Item): void {
    if (this.queue.length === 0) this.lastProgress = performance.now();
    this.queue.push(item);
    this.pump();
  }

  private pump(): void {
    while (!this.busy && this.queue.length > 0) {
      if (this.mode === "threaded") {
        this.writeThreaded();
        return;
      }
      const r = this.attempt();
      if (r === "again") {
        this.backoff = Math.min(MAX_BACKOFF_MS, Math.max(1, this.backoff * 2));
        this.busy = true;
        setTimeout(() => {
          this.busy = false;
          this.pump();
        }, this.backoff);
        return;
      }
    }
    this.reportDrops();
  }

  /** One write of the head of the queue. */
  private attempt(): "wrote" | "again" | "broken" {
    const head = this.queue[0];
    if (head === undefined) return "wrote";
    const length = this.pipe ? pipeChunk(head.buf) : head.buf.length;
    let n: number;
    try {
      n = this.mode === "socket" ? sendNoWait(this.out, head.buf, length) : writeSync(this.out, head.buf, 0, length);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EAGAIN" || code === "EWOULDBLOCK") return "again";
      if (code === "EINTR") return "wrote";
      if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG" || code === "EIO") {
        // The destination is there but cannot take this now: drop this item only.
        this.finish(head, true);
        return "wrote";
      }
      this.breakDown();
      return "broken";
    }
    this.backoff = 0;
    this.advance(head, n);
    return "wrote";
  }

  private writeThreaded(): void {
    const head = this.queue[0];
    if (head === undefined) return;
    this.busy = true;
    const length = this.pipe ? pipeChunk(head.buf) : head.buf.length;
    fsWrite(this.out, head.buf, 0, length, null, (err, n) => {
      this.busy = false;
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EINTR") {
          this.busy = true;
          setTimeout(() => { this.busy = false; this.pump(); }, 5);
          return;
        }
        if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG" || code === "EIO") this.finish(head, true);
        else this.breakDown();
      } else {
        this.advance(head, n);
      }
      this.pump();
    });
  }

  private advance(head: Item, n: number): void {
    this.written += n;
    this.lastProgress = performance.now();
    head.buf = head.buf.subarray(n);
    if (head.buf.length === 0) this.finish(head, false);
  }

  /** Take the head off the queue: written, or (lost) dropped and counted. */
  private finish(head: Item, lost: boolean): void {
    if (this.queue[0] === head) this.queue.shift();
    if (lost && head.log) this.droppedLog += countLines(head.buf);
    else if (lost) this.droppedOutput += countLines(head.buf);
    if (head.log) this.logBytes -= head.size;
    head.done?.();
  }

  /** The destination is gone (EPIPE, EBADF): drop what waits and everything later. */
  private breakDown(): void {
    this.broken = true;
    this.queue.splice(0).forEach((item) => item.done?.());
    this.logBytes = 0;
  }

  private reportDrops(): void {
    if ((this.droppedLog === 0 && this.droppedOutput === 0) || this.queue.length > 0 || this.broken) return;
    const drops = { log: this.droppedLog, output: this.droppedOutput };
    this.droppedLog = 0;
    this.droppedOutput = 0;
    this.onDropped?.(drops);
  }
}

function countLines(buf: Uint8Array): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i >= 0; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return Math.max(1, n);
}

type FileKind = "fifo" | "socket" | "chardev" | "file" | "other" | "closed";

function fileKind(fd: number): FileKind {
  try {
    const st = fstatSync(fd);
    if (st.isFIFO()) return "fifo";
    if (st.isSocket()) return "socket";
    if (st.isCharacterDevice()) return "chardev";
    if (st.isFile()) return "file";
    return "other";
  } catch {
    return "closed";
  }
}

/** A private O_NONBLOCK description of the file behind fd (a pipe, FIFO or terminal), or null. */
function reopenNonBlocking(fd: number): number | null {
  try {
    return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY | O_CLOEXEC);
  } catch {
    return null;
  }
}

function safeIsatty(fd: number): boolean {
  try {
    return isTerminal(fd);
  } catch {
    return false;
  }
}

/** Whether two fds are the same file (device and inode): `2>&1`, the same terminal. */
export function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a, { bigint: true });
    const y = fstatSync(b, { bigint: true });
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** The sinks of lazarus's stdout and stderr: one shared sink when they are the same file. */
export function sinksFor(out: number, err: number, opts: SinkOptions = {}): { stdout: Sink; stderr: Sink } {
  const stderr = new Sink(err, opts);
  return { stdout: sameFile(out, err) ? stderr : new Sink(out, opts), stderr };
}
