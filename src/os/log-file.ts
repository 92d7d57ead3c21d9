// One log file that a supervisor appends lines to (a server's output, or
// lazarus's own event log), with size-based rotation. Mechanics only, no
// policy: the caller decides what goes in, and what to say when lines are lost.
//
// - Never in the way. `append` only copies the lines into a bounded queue and
//   returns; every file-system call (open, write, rename, stat, close) runs on
//   Bun's thread pool through the directory's IoLane (io-lane.ts), one at a
//   time, so a slow or hung disk holds one pool thread and never the event
//   loop. Measured on Bun 1.4.5: node:fs's callback functions never run on the
//   loop (test/os/log-file.test.ts shows a timer firing while a write hangs).
// - Bounded memory: at most `queueBytes` (default 1 MiB) wait per file, the
//   batch being written included. A line that does not fit is dropped and
//   counted; so is every line of a write that fails (ENOSPC, EDQUOT, EIO, a
//   removed or unwritable directory), and after a failure the file is opened
//   again after a back-off (50 ms, doubling up to 2 s) while new lines queue.
//   `onEvent` hears "dropping" (with the reason) when the first line is lost
//   (or when an open with nothing to write fails: reopenNow at start),
//   and "resumed" (with the number lost) once a write has worked again and at
//   most half the queue is full (so a flood at the disk's speed does not flap).
// - Bounded patience, for the caller to choose: by itself a LogFile never
//   slows its writer, so a flood faster than the disk path loses lines (at
//   full speed through a pipe, most of them: bench/logfile.ts). A reader that
//   awaits `whenRoom(ms)` while `pressing` before reading on loses none on a
//   healthy disk, at the disk's speed, and gives the event loop its turns; a
//   stuck disk holds it once, for `ms`, then not again until a write completes.
// - Whole lines: every write is a batch of whole lines: whatever queued up
//   while the previous write ran (at most 1 MiB), so a busy file makes few,
//   large writes (measured: under a flood, the latency of each call through
//   the pool limits the rate, not the copying; bench/logfile.ts). If a write
//   stops inside a line (the disk filled up in the middle of it), the piece
//   is cut off again (ftruncate) and the line counted as dropped. On
//   opening a file whose last byte is not a newline (a crash or an exec in the
//   middle of a write), a newline is written first, so the next line is whole.
// - Rotation by size: when the next line would take NAME.log past `maxBytes`
//   (default 10 MiB; 0 = never), NAME.log.(keep-1) is renamed NAME.log.keep
//   (replacing the oldest), ..., NAME.log becomes NAME.log.1, and a new
//   NAME.log is opened; then the line is written. Lines are only ever written
//   whole to one file, in order, so a rotation neither splits nor loses one.
//   A single line longer than maxBytes gets a file of its own. `rotateNow()` is
//   `ctl rotate`.
// - Other rotators. At most every `checkMs` (1 s) while lines are written, the
//   path is stat'ed: a different file there (logrotate's default rename, with
//   or without `create`) or none (the directory was removed) means it is
//   opened again; a smaller size (logrotate's `copytruncate`) is taken as the
//   new size (O_APPEND already writes at the new end). Lines written between
//   such a move and the next check go to the moved file, which is right for a
//   rename and lost for a removed directory. `reopenNow()` is for a
//   `postrotate` hook. The directory is created (mkdir -p) at the first open
//   only: a directory removed later is not made again (it may be an unmounted
//   volume); lines are dropped until it is back.
// - Exit and exec: `close(ms)` waits at most `ms` for what is queued to be
//   written, then counts what is left as dropped and returns how many. After a
//   re-exec (execve), the new image opens the same path again (O_APPEND) and
//   goes on from `handOver()`'s counts (see LogFileState): nothing is written
//   twice; lines still queued when `close` gave up are lost and counted; a
//   write the exec interrupted may leave a cut line, ended by the new image's
//   repair newline. (A batch still being written when `close` gave up is
//   counted as lost, though it may yet land: the count is an upper bound.)
// - With logrotate: either let lazarus rotate (log_max_size, log_keep; a cron
//   job may run `ctl rotate`) and leave logrotate out, or set log_max_size = 0
//   and use logrotate's default mode (rename, with or without `create`): no
//   hook is needed, lines go on to the renamed file until the next check (at
//   most 1 s of writing later) and none is lost; a `postrotate` hook may make
//   it immediate (reopenNow, e.g. `ctl reopen`). `copytruncate` works too but
//   loses what is written between its copy and its truncate, as it does for
//   any program.
import { close, fstat, ftruncate, mkdir, open, read, rename, stat, unlink, write, type Stats } from "node:fs";
import { dirname } from "node:path";
import { countLines, joinLines, NEWLINE, stampText, wholeLinesWithin } from "../logs/lines.ts";
import { formatSize } from "../logs/size.ts";
import { type IoLane, laneFor } from "./io-lane.ts";

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_KEEP = 5;
export const DEFAULT_QUEUE_BYTES = 1024 * 1024;
/** The largest batch of lines handed to one write(2). */
export const WRITE_MAX = 1024 * 1024;
export const CHECK_MS = 1000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;
const NL = new Uint8Array([NEWLINE]);

/** A `rotateNow` in the queue, after the lines queued before it. */
interface RotateMark {
  readonly waiters: ((problem: string | null) => void)[];
}
type Entry = Uint8Array | RotateMark;

export type LogFileEvent =
  /** Lines have started to be dropped (the first one just was), and why. */
  | { readonly kind: "dropping"; readonly path: string; readonly reason: string }
  /** Writing works again; `dropped` lines were lost since "dropping". */
  | { readonly kind: "resumed"; readonly path: string; readonly dropped: number };

/** What `ctl status` shows of a log file, and what a re-exec hands to the new image (JSON). */
export interface LogFileState {
  readonly path: string;
  /** Lines dropped since the supervisor started (across re-execs). */
  readonly dropped: number;
  /** Why lines are being dropped now, or null when writing works. */
  readonly failing: string | null;
  /** Lines dropped since `failing` began (said in the "resumed" event). */
  readonly droppedNow: number;
}

export interface LogFileOptions {
  /** Rotate when the next line would take the file past this many bytes (default 10 MiB; 0 = never). */
  readonly maxBytes?: number;
  /** Rotated files kept: NAME.log.1 … NAME.log.keep (default 5; 0 = none, the full file is removed). */
  readonly keep?: number;
  /** Put an ISO 8601 UTC timestamp in front of every line (default false). */
  readonly timestamps?: boolean;
  /** Bytes that may wait for the disk; more are dropped (default 1 MiB). */
  readonly queueBytes?: number;
  /** How often, at most, the path is checked for a move while writing (default 1000 ms; 0 = before every write). */
  readonly checkMs?: number;
  /** Create the directory at the first open (default true). */
  readonly mkdir?: boolean;
  /** The lane of file-system calls (default: the one of the file's directory). */
  readonly lane?: IoLane;
  /** The wall clock of the timestamps (default Date.now). */
  readonly now?: () => number;
  /** The state handed over by the image before a re-exec. */
  readonly restore?: LogFileState;
  readonly onEvent?: (event: LogFileEvent) => void;
}

export class LogFile {
  readonly maxBytes: number;
  readonly keep: number;
  private readonly timestamps: boolean;
  readonly queueBytes: number;
  private readonly checkMs: number;
  private readonly lane: IoLane;
  private readonly now: () => number;
  private readonly onEvent: ((event: LogFileEvent) => void) | undefined;
  private makeDir: boolean;

  private fd: number | null = null;
  private ident: { dev: number; ino: number } | null = null;
  /** The size of the open file as far as we know (our writes; re-read at each check). */
  private size = 0;
  private lastCheck = 0;
  private queue: Entry[] = [];
  /** Bytes queued, and of the batch being written. */
  private queued = 0;
  /** The batch being written (taken off the queue). */
  private batch: Uint8Array | null = null;
  private running = false;
  private closed = false;
  /** Open the path again before the next step (asked for: reopenNow, a check). */
  private wantReopen = false;
  /** Open the path again before the next write (after a failure; not work by itself). */
  private reopenFirst = false;
  private idleWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  /** A `whenRoom` timed out and no write has completed since. */
  private stuck = false;
  private retryDelay = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private dropped: number;
  private droppedNow: number;
  private failing: string | null;
  private stampMs = Number.NaN;
  private stampBytes: Uint8Array = new Uint8Array(0);

  constructor(readonly path: string, opts: LogFileOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.keep = opts.keep ?? DEFAULT_KEEP;
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 0) throw new RangeError(`bad maxBytes ${this.maxBytes}`);
    if (!Number.isSafeInteger(this.keep) || this.keep < 0 || this.keep > 1000) throw new RangeError(`bad keep ${this.keep} (0 to 1000)`);
    this.timestamps = opts.timestamps ?? false;
    this.queueBytes = opts.queueBytes ?? DEFAULT_QUEUE_BYTES;
    this.checkMs = opts.checkMs ?? CHECK_MS;
    this.lane = opts.lane ?? laneFor(path);
    this.now = opts.now ?? Date.now;
    this.onEvent = opts.onEvent;
    this.makeDir = opts.mkdir ?? true;
    this.dropped = opts.restore?.dropped ?? 0;
    this.droppedNow = opts.restore?.droppedNow ?? 0;
    this.failing = opts.restore?.failing ?? (this.droppedNow > 0 ? "lines were lost in a re-exec" : null);
  }

  /**
   * Whole lines (each ending with a newline; one is added to an unterminated
   * last line), as one buffer or several (a LineSplitter's lines), copied into
   * the queue, or dropped and counted if the queue is full or the file closed.
   * Never blocks, never throws.
   */
  append(lines: Uint8Array | readonly Uint8Array[]): void {
    const parts = lines instanceof Uint8Array ? [lines] : lines;
    if (!parts.some((p) => p.length > 0)) return;
    // Always a copy: the caller may reuse its buffers (a stream's chunk) once we return.
    const data = joinLines(parts, this.timestamps ? this.stamp() : null);
    if (this.closed) return this.drop(countLines(data), `${this.path} is closed`);
    if (this.queued + data.length > this.queueBytes) {
      return this.drop(countLines(data), `more than ${formatSize(this.queueBytes)} of lines wait for ${this.path}: the disk is slow`);
    }
    this.queue.push(data);
    this.queued += data.length;
    this.kick();
  }

  /** Rotate now (`ctl rotate`), after the lines already queued: resolves with null once done, or with why it failed. */
  rotateNow(): Promise<string | null> {
    if (this.closed) return Promise.resolve(`${this.path} is closed`);
    // Two rotateNow with no line between them are one (so marks cannot pile up).
    const last = this.queue.at(-1);
    const mark: RotateMark = last !== undefined && !(last instanceof Uint8Array) ? last : { waiters: [] };
    if (mark !== last) this.queue.push(mark);
    const done = new Promise<string | null>((resolve) => mark.waiters.push(resolve));
    this.kick(true);
    return done;
  }

  /** Open the path again before the next write (after an external rotator moved the file away). */
  reopenNow(): void {
    if (this.closed) return;
    this.wantReopen = true;
    this.kick(true);
  }

  /** What `ctl status` shows and a re-exec hands over. */
  get state(): LogFileState {
    return { path: this.path, dropped: this.dropped, failing: this.failing, droppedNow: this.droppedNow };
  }

  /** The same, for the new image (call after `close`). */
  handOver(): LogFileState {
    return this.state;
  }

  /** Bytes waiting (the batch being written included). */
  get queuedBytes(): number {
    return this.queued;
  }

  /** More than half the queue is full: a reader that may wait a little (see `whenRoom`) should. */
  get pressing(): boolean {
    return this.queued > this.queueBytes / 2;
  }

  /**
   * Resolves true once at most half the queue is full, or false after
   * `maxMs`: the disk is stuck, and from then on at once (false) until a
   * write completes again. For a reader that chooses bounded patience over
   * dropping under a flood: awaiting this before reading on keeps a healthy
   * disk lossless (bench/logfile.ts: no line lost at full speed, and the event
   * loop gets its turns) while a stuck disk holds a server once, for
   * `maxMs`, and never again until it moves.
   */
  async whenRoom(maxMs: number): Promise<boolean> {
    if (!this.pressing || this.closed) return true;
    if (this.stuck) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const room = new Promise<boolean>((resolve) => this.roomWaiters.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), maxMs); });
    const got = await Promise.race([room, late]);
    clearTimeout(timer);
    if (!got) this.stuck = true;
    return got;
  }

  /** Nothing queued, nothing being done. */
  get idle(): boolean {
    return !this.running && this.queue.length === 0 && !this.wantReopen;
  }

  /** Resolves once idle, or after `maxMs`; with the number of lines still waiting then. */
  async flush(maxMs: number): Promise<number> {
    if (!this.idle) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await Promise.race([idle, new Promise<void>((resolve) => { timer = setTimeout(resolve, maxMs); })]);
      clearTimeout(timer);
    }
    return this.waitingLines();
  }

  /**
   * For an exit or an exec: stop taking lines, give what is queued at most
   * `maxMs` to be written (a failing file is tried again at once), then count
   * what is left as dropped; returns how many that is. Later appends are
   * dropped and counted.
   */
  async close(maxMs: number): Promise<number> {
    if (this.closed) return 0;
    if (this.retryTimer !== null) this.kick(true);
    const left = await this.flush(maxMs);
    this.closed = true;
    this.cancelRetry();
    for (const w of this.roomWaiters.splice(0)) w();
    for (const e of this.queue.splice(0)) if (!(e instanceof Uint8Array)) settle(e, `${this.path} is closed`);
    this.queued = this.batch?.length ?? 0;
    if (left > 0) {
      this.dropped += left;
      this.droppedNow += left;
      this.failing ??= `${left} lines were still waiting for ${this.path} when it was closed`;
    }
    if (!this.running) void this.closeFd();
    return left;
  }

  // --- the writer: one step at a time, each a few calls through the lane

  private kick(now = false): void {
    if (now) this.cancelRetry();
    if (this.running || this.retryTimer !== null || this.closed) return;
    void this.run();
  }

  private cancelRetry(): void {
    if (this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async run(): Promise<void> {
    this.running = true;
    while (!this.closed && (this.queue.length > 0 || this.wantReopen)) {
      try {
        await this.step();
        this.retryDelay = 0;
      } catch (e) {
        if (this.closed) break;
        this.failed(e);
        this.retryDelay = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryDelay * 2));
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.kick();
        }, this.retryDelay);
        break;
      }
    }
    this.running = false;
    if (this.closed && this.fd !== null) void this.closeFd();
    if (this.idle) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async step(): Promise<void> {
    if (this.fd !== null && !this.wantReopen && performance.now() - this.lastCheck >= this.checkMs) await this.check();
    if (this.fd === null || this.wantReopen || this.reopenFirst) await this.open();
    const head = this.queue[0];
    if (head === undefined) return;
    if (!(head instanceof Uint8Array)) {
      if (this.size > 0) await this.rotate(); // else nothing was written since the last one
      this.queue.shift();
      return settle(head, null);
    }
    const batch = this.take();
    if (batch === "rotate") return this.rotate();
    return this.writeBatch(batch);
  }

  private async open(): Promise<void> {
    this.wantReopen = false;
    this.reopenFirst = false;
    await this.closeFd();
    if (this.makeDir) {
      await this.call<string | undefined>((cb) => mkdir(dirname(this.path), { recursive: true }, cb));
      this.makeDir = false;
    }
    // O_RDWR (for the one-byte read below) | O_APPEND | O_CREAT; Bun adds O_CLOEXEC.
    const fd = await this.call<number>((cb) => open(this.path, "a+", 0o644, cb));
    this.fd = fd;
    const st = await this.call<Stats>((cb) => fstat(fd, cb));
    this.size = st.size;
    this.ident = { dev: st.dev, ino: st.ino };
    this.lastCheck = performance.now();
    if (st.isFile() && st.size > 0) {
      const last = new Uint8Array(1);
      await this.call<number>((cb) => read(fd, last, 0, 1, st.size - 1, cb));
      if (last[0] !== NEWLINE) {
        await this.call<number>((cb) => write(fd, NL, 0, 1, null, cb));
        this.size += 1;
      }
    }
  }

  /** Whether the path still names the open file, and how big that is now. */
  private async check(): Promise<void> {
    this.lastCheck = performance.now();
    let st: Stats;
    try {
      st = await this.call<Stats>((cb) => stat(this.path, cb));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      this.wantReopen = true;
      return;
    }
    if (this.ident === null || st.dev !== this.ident.dev || st.ino !== this.ident.ino) this.wantReopen = true;
    else this.size = st.size;
  }

  private async rotate(): Promise<void> {
    await this.closeFd();
    for (let i = this.keep - 1; i >= 1; i--) await this.renameIfThere(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    if (this.keep >= 1) await this.renameIfThere(this.path, `${this.path}.1`);
    else await this.call<void>((cb) => unlink(this.path, cb)).catch(ignoreMissing);
    await this.open();
  }

  private renameIfThere(from: string, to: string): Promise<void> {
    return this.call<void>((cb) => rename(from, to, cb)).catch(ignoreMissing);
  }

  /**
   * The next batch: whole lines off the head of the queue, at most WRITE_MAX
   * bytes and no more than the room left in the file; "rotate" when the next
   * line does not fit in a file that has something in it; a single line too
   * long for either limit goes alone.
   */
  private take(): Uint8Array | "rotate" {
    const room = this.maxBytes > 0 ? this.maxBytes - this.size : Infinity;
    const limit = Math.min(room, WRITE_MAX);
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let head = this.queue[0]; head instanceof Uint8Array; head = this.queue[0]) {
      const fit = wholeLinesWithin(head, limit - length);
      if (fit === 0) break;
      parts.push(head.subarray(0, fit));
      length += fit;
      if (fit === head.length) this.queue.shift();
      else {
        this.queue[0] = head.subarray(fit);
        break;
      }
    }
    if (length === 0) {
      const head = this.queue[0] as Uint8Array;
      const line = head.subarray(0, head.indexOf(NEWLINE) + 1);
      if (this.maxBytes > 0 && this.size > 0 && this.size + line.length > this.maxBytes) return "rotate";
      parts.push(line);
      length = line.length;
      if (line.length === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(line.length);
    }
    return parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts, length);
  }

  private async writeBatch(batch: Uint8Array): Promise<void> {
    const fd = this.fd as number;
    this.batch = batch;
    let done = 0;
    try {
      while (done < batch.length) {
        const n = await this.call<number>((cb) => write(fd, batch, done, batch.length - done, null, cb));
        if (n <= 0) throw Object.assign(new Error("write wrote nothing"), { code: "EIO", syscall: "write" });
        done += n;
      }
    } catch (e) {
      // Keep whole lines only: cut off a piece of a line the failed write left behind.
      const whole = done === 0 ? 0 : batch.lastIndexOf(NEWLINE, done - 1) + 1;
      if (done > whole) {
        try {
          const st = await this.call<Stats>((cb) => fstat(fd, cb));
          await this.call<void>((cb) => ftruncate(fd, Math.max(0, st.size - (done - whole)), cb));
        } catch { /* the repair newline of the next open ends it */ }
      }
      this.size += whole;
      this.batch = batch.subarray(whole);
      this.queued -= whole;
      throw e;
    }
    this.batch = null;
    this.queued -= batch.length;
    this.size += batch.length;
    this.stuck = false;
    if (!this.pressing) for (const w of this.roomWaiters.splice(0)) w();
    if (this.failing !== null && this.queued <= this.queueBytes / 2) {
      const dropped = this.droppedNow;
      this.failing = null;
      this.droppedNow = 0;
      this.emit({ kind: "resumed", path: this.path, dropped });
    }
  }

  /** A step failed: drop the lines it was for (the batch, or the next one), and open the file again before the next try. */
  private failed(e: unknown): void {
    const reason = describe(e, this.path);
    let lost = this.batch;
    this.batch = null;
    const head = this.queue[0];
    if (lost === null && head !== undefined && !(head instanceof Uint8Array)) {
      this.queue.shift(); // a rotateNow that failed: said to its caller, no line lost
      settle(head, reason);
    } else if (lost === null && head !== undefined) {
      const next = this.take();
      lost = next === "rotate" ? (this.queue.shift() as Uint8Array) : next;
    }
    if (lost !== null) {
      this.queued -= lost.length;
      this.drop(countLines(lost), reason);
    } else if (head === undefined && this.failing === null) {
      // Nothing was waiting (an open asked for by reopenNow, at start): said now, not at the first line.
      this.failing = reason;
      this.emit({ kind: "dropping", path: this.path, reason });
    }
    if (!this.pressing) for (const w of this.roomWaiters.splice(0)) w();
    this.wantReopen = false;
    this.reopenFirst = true;
  }

  private drop(lines: number, reason: string): void {
    this.dropped += lines;
    this.droppedNow += lines;
    if (this.failing !== null) return;
    this.failing = reason;
    this.emit({ kind: "dropping", path: this.path, reason });
  }

  private emit(event: LogFileEvent): void {
    const listener = this.onEvent;
    // Outside the writer's own call stack: a listener that throws is the caller's bug, not a failed write.
    if (listener !== undefined) queueMicrotask(() => listener(event));
  }

  private waitingLines(): number {
    return this.queue.reduce((n, e) => n + (e instanceof Uint8Array ? countLines(e) : 0), this.batch === null ? 0 : countLines(this.batch));
  }

  private async closeFd(): Promise<void> {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    this.ident = null;
    await this.call<void>((cb) => close(fd, cb)).catch(() => {});
  }

  private call<T>(start: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
    return this.lane.run<T>(start);
  }

  private stamp(): Uint8Array {
    const ms = this.now();
    if (ms !== this.stampMs) {
      this.stampMs = ms;
      this.stampBytes = Buffer.from(stampText(ms));
    }
    return this.stampBytes;
  }
}

function settle(mark: RotateMark, problem: string | null): void {
  for (const w of mark.waiters) w(problem);
}

function ignoreMissing(e: NodeJS.ErrnoException): void {
  if (e.code !== "ENOENT") throw e;
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** "cannot write logs/web.log: no space left on device (ENOSPC)". */
export function describe(e: unknown, path: string): string {
  const err = e as Partial<NodeJS.ErrnoException>;
  const code = typeof err.code === "string" ? err.code : "error";
  const text = String(err.message ?? e).replace(/^[A-Z0-9_]+: /, "").replace(/, [a-z]+ '[^]*$/, "");
  return `cannot ${err.syscall ?? "write"} ${path}: ${text} (${code})`;
}
