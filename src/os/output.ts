// Prefixed output: a server's stdout and stderr, read from pipes lazarus owns,
// written line by line to lazarus's own stdout and stderr as `NAME | line`.
// Mechanics only (no policy), used by BunPort.spawn:
//
// - Whole lines. A reader splits what it reads into lines and hands complete
//   lines (several at once when it has them) to the one writer of their
//   destination, which writes each batch completely before the next, so a line
//   is never cut by, nor interleaved with, another server's. A partial last
//   line is written (with a newline added) when the server's output closes.
// - One writer per destination, not per fd: when lazarus's stdout and stderr
//   are the same file (`2>&1`, a terminal), one writer serves both, so two
//   writers never write to it at once.
// - Atomic writes to a pipe. A pipe (or FIFO, or socket: what `| cat`, a
//   runtime's "pipe" and the journal give) mixes concurrent writes larger than
//   PIPE_BUF. So to one, every write is at most PIPE_BUF bytes and ends at a
//   line end, and a long line is cut into prefixed pieces of at most PIPE_BUF
//   bytes: each write is atomic. Nothing else writing to the same pipe can then
//   land inside one of our lines: not lazarus's own log lines (a synchronous
//   writeSync to fd 2, in bun-port.ts, while our writes run on the thread
//   pool), not a server with inherited output, as long as their writes are at
//   most PIPE_BUF bytes too (POSIX guarantees it for pipes and FIFOs; Linux
//   queues a write that small to a Unix stream socket in one piece as well).
// - Bounded memory, back-pressure. A reader reads again only once its last
//   batch has been written; a line longer than MAX_LINE (or PIPE_BUF, see
//   above) is written in pieces, each prefixed. So a server writing faster
//   than the terminal reads fills its pipe and blocks in write(2); lazarus
//   holds at most MAX_LINE plus what Bun has read ahead (one or two 64 KiB
//   chunks) per stream.
// - The event loop never blocks on a slow terminal: writes go through
//   fs.write (run off the main thread for a blocking fd; EAGAIN on a
//   non-blocking one is retried with a short backoff), so signals, exits and
//   timers are handled while a server's output waits.
// - Colour only when the destination is a terminal (and NO_COLOR is not set).
// - Re-exec (BUN-NOTES): the pipes are created with pipe2 (not by Bun), so a
//   child writing to one survives an exec of lazarus as long as the read end
//   is handed across: `listReaders()` tells which fds to keep (clear their
//   FD_CLOEXEC) and `resumeReader()` reads one again in the new image.
import { closeSync, fstatSync, write as fsWrite } from "node:fs";
import { isatty } from "node:tty";
import type { OutputSpec } from "./port.ts";
import { makePipe, setCloseOnExec } from "./libc.ts";

/** Longest line kept whole, in bytes; a longer one is written in pieces of this size. */
export const MAX_LINE = 16 * 1024;

/** The largest write a pipe keeps whole, unmixed with other writers' (POSIX PIPE_BUF; 4096 on Linux). */
export const PIPE_BUF = 4096;

const NEWLINE = 0x0a;
const EMPTY = new Uint8Array(0);
const NL = new Uint8Array([NEWLINE]);

/** Splits a byte stream into lines of at most `max` bytes (plus the newline). Pure. */
export class LineSplitter {
  private pending: Uint8Array = EMPTY;

  constructor(private readonly max = MAX_LINE) {
    if (max < 4) throw new RangeError("a line limit below 4 bytes cannot keep UTF-8 characters whole");
  }

  /** Bytes of the current unfinished line (never more than `max`). */
  get held(): number {
    return this.pending.length;
  }

  /** The complete lines of `chunk` (with what was held before), each ending with "\n". */
  push(chunk: Uint8Array): Uint8Array[] {
    const data = this.pending.length === 0 ? chunk : concat([this.pending, chunk]);
    const out: Uint8Array[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NEWLINE, start);
      const end = nl < 0 ? data.length : nl;
      while (end - start > this.max) {
        const cut = charBoundary(data, start + this.max, start);
        out.push(concat([data.subarray(start, cut), NL]));
        start = cut;
      }
      if (nl < 0) break;
      out.push(data.subarray(start, nl + 1));
      start = nl + 1;
    }
    // A copy: the chunk's memory may be reused by the stream once we return.
    this.pending = start === data.length ? EMPTY : data.slice(start);
    return out;
  }

  /** The unfinished last line, if any, with a newline added. */
  end(): Uint8Array[] {
    const rest = this.pending;
    this.pending = EMPTY;
    return rest.length === 0 ? [] : [concat([rest, NL])];
  }
}

/** `pos`, moved back (at most 3 bytes, never to `floor`) so as not to split a UTF-8 character. */
function charBoundary(data: Uint8Array, pos: number, floor: number): number {
  let p = pos;
  while (p > floor + 1 && p > pos - 3 && ((data[p] as number) & 0xc0) === 0x80) p--;
  return ((data[p] as number) & 0xc0) === 0x80 ? pos : p;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

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

/**
 * The one writer of a destination fd: batches are written in order, each one
 * completely (partial writes continued) before the next begins. To a pipe,
 * FIFO or socket, a batch is written in chunks of whole lines of at most
 * PIPE_BUF bytes (see pipeChunk): each write is atomic.
 */
export class FdWriter {
  readonly tty: boolean;
  /** Whether the destination is a pipe, FIFO or socket (writes of at most PIPE_BUF bytes, at line ends). */
  readonly pipe: boolean;
  private readonly queue: { buf: Uint8Array; done: () => void }[] = [];
  private busy = false;
  private broken = false;
  private backoff = 0;
  /** Bytes written so far (for a drain to tell progress from a stall). */
  written = 0;

  constructor(readonly fd: number, tty?: boolean, pipe?: boolean) {
    this.tty = tty ?? safeIsatty(fd);
    this.pipe = pipe ?? isPipe(fd);
  }

  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** Resolves once `buf` is written (or dropped, if the destination is gone: EPIPE, EBADF). */
  write(buf: Uint8Array): Promise<void> {
    if (this.broken || buf.length === 0) return Promise.resolve();
    return new Promise((done) => {
      this.queue.push({ buf, done });
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy) return;
    const head = this.queue[0];
    if (head === undefined) return;
    this.busy = true;
    const length = this.pipe ? pipeChunk(head.buf) : head.buf.length;
    fsWrite(this.fd, head.buf, 0, length, null, (err, n) => {
      this.busy = false;
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EINTR") {
          // A non-blocking destination is full: try again shortly (the
          // reader waits meanwhile, so its server is back-pressured).
          this.backoff = code === "EINTR" ? 0 : Math.min(50, Math.max(1, this.backoff * 2));
          this.busy = true;
          setTimeout(() => { this.busy = false; this.pump(); }, this.backoff);
          return;
        }
        // The destination is gone: drop what is queued, and everything later.
        this.broken = true;
        for (const q of this.queue.splice(0)) q.done();
        return;
      }
      this.backoff = 0;
      this.written += n;
      head.buf = head.buf.subarray(n);
      if (head.buf.length === 0) {
        this.queue.shift();
        head.done();
      }
      this.pump();
    });
  }
}

function safeIsatty(fd: number): boolean {
  try {
    return isatty(fd);
  } catch {
    return false;
  }
}

function isPipe(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
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

/** The writers of two destination fds: one shared writer when they are the same file. */
export function writersFor(out: number, err: number): { stdout: FdWriter; stderr: FdWriter } {
  const stdout = new FdWriter(out);
  return { stdout, stderr: sameFile(out, err) ? stdout : new FdWriter(err) };
}

/** A reader as `listReaders` reports it: enough to hand it across a re-exec and resume it. */
export interface ReaderInfo {
  readonly pid: number;
  readonly fd: number;
  readonly name: string;
  readonly stream: "stdout" | "stderr";
  readonly width: number;
  readonly color: string | null;
}

type PrefixSpec = Extract<OutputSpec, { kind: "prefix" }>;

/** The pipes of one child being spawned: write ends for its stdio, then `started` or `failed`. */
export interface ChildPipes {
  readonly stdout: number;
  readonly stderr: number;
  /** The child runs: close the write ends here and start reading. */
  started(pid: number): void;
  /** The spawn failed: close everything. */
  failed(): void;
}

/** The text put before each line: the padded name, coloured on a terminal. */
export function prefixText(name: string, width: number, color: string | null, tty: boolean): string {
  const padded = name.padEnd(width);
  return color !== null && tty ? `\x1b[${color}m${padded} |\x1b[0m ` : `${padded} | `;
}

/**
 * Every prefixed stream of this process: its writers (one per destination)
 * and its readers (one per child stream), in a registry for a re-exec.
 */
export class OutputHub {
  private readonly writers: { stdout: FdWriter; stderr: FdWriter };
  /** By fd. An entry is removed once its stream ended and its last line is written, just before its fd is closed. */
  private readonly readers = new Map<number, { info: ReaderInfo; done: Promise<void> }>();
  private readonly colour: boolean;

  constructor(opts: { stdout?: FdWriter; stderr?: FdWriter; colour?: boolean } = {}) {
    const own = opts.stdout !== undefined && opts.stderr !== undefined ? { stdout: opts.stdout, stderr: opts.stderr } : writersFor(1, 2);
    this.writers = { stdout: opts.stdout ?? own.stdout, stderr: opts.stderr ?? own.stderr };
    this.colour = opts.colour ?? !process.env.NO_COLOR;
  }

  /** Create the pipes of a child about to be spawned. */
  open(spec: PrefixSpec): ChildPipes | { readonly error: string } {
    const out = makePipe();
    if ("error" in out) return out;
    const err = makePipe();
    if ("error" in err) {
      closeQuietly(out.read, out.write);
      return err;
    }
    return {
      stdout: out.write,
      stderr: err.write,
      started: (pid) => {
        closeQuietly(out.write, err.write);
        this.resume({ pid, fd: out.read, name: spec.name, stream: "stdout", width: spec.width, color: spec.color });
        this.resume({ pid, fd: err.read, name: spec.name, stream: "stderr", width: spec.width, color: spec.color });
      },
      failed: () => closeQuietly(out.read, out.write, err.read, err.write),
    };
  }

  /** Start (or, after a re-exec, resume) reading a child's stream from `fd`. */
  resume(info: ReaderInfo): void {
    const entry = { info, done: Promise.resolve() };
    this.readers.set(info.fd, entry);
    entry.done = this.pump(info);
  }

  /** The readers still open: which fd carries which child's stream. */
  list(): ReaderInfo[] {
    return [...this.readers.values()].map((r) => r.info);
  }

  /** Whether every reader has ended (a reader ends only once its last line is written). */
  get idle(): boolean {
    return this.readers.size === 0;
  }

  /**
   * Wait until every reader has ended and its lines are written, giving up
   * when nothing has been written for `idleMs` (a grandchild keeps a pipe
   * open, or nobody reads lazarus's output) or after `maxMs` in all.
   */
  async drain(idleMs: number, maxMs: number): Promise<void> {
    const start = Date.now();
    let last = -1;
    while (!this.idle && Date.now() - start < maxMs) {
      const { stdout, stderr } = this.writers;
      const progress = stdout.written + (stderr === stdout ? 0 : stderr.written);
      if (progress === last) return;
      last = progress;
      const all = Promise.all([...this.readers.values()].map((r) => r.done));
      await Promise.race([all, Bun.sleep(idleMs)]);
    }
  }

  private async pump(info: ReaderInfo): Promise<void> {
    const writer = this.writers[info.stream];
    const prefix = Buffer.from(prefixText(info.name, info.width, this.colour ? info.color : null, writer.tty));
    // To a pipe, a piece with its prefix and newline fits in one atomic write
    // (unless the name alone is nearly PIPE_BUF bytes long).
    const splitter = new LineSplitter(writer.pipe ? Math.max(4, Math.min(MAX_LINE, PIPE_BUF - prefix.length - 1)) : MAX_LINE);
    const render = (lines: Uint8Array[]) => concat(lines.flatMap((l) => [prefix, l]));
    try {
      const reader = Bun.file(info.fd).stream().getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const lines = splitter.push(value);
        if (lines.length > 0) await writer.write(render(lines));
      }
    } catch {
      // A read error ends this stream like an EOF: write what was held.
    } finally {
      const rest = splitter.end();
      if (rest.length > 0) await writer.write(render(rest));
      this.readers.delete(info.fd);
      closeQuietly(info.fd);
    }
  }
}

function closeQuietly(...fds: number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

let shared: OutputHub | null = null;

/** The hub of this process (lazarus's own stdout and stderr). */
export function outputHub(): OutputHub {
  shared ??= new OutputHub();
  return shared;
}

/** For a re-exec: which fds carry which child's output (clear their FD_CLOEXEC before the exec). */
export function listReaders(): ReaderInfo[] {
  return shared === null ? [] : shared.list();
}

/** In the re-exec'd image: read an inherited fd again, as before the exec. */
export function resumeReader(info: ReaderInfo): void {
  outputHub().resume(info);
}

/** The environment variable that lists the readers' fds across a re-exec (BunPort.exec). */
export const OUTPUT_ENV = "LAZARUS_OUTPUT";

/**
 * Just before an exec: keep every reader's fd open across it (clear its
 * FD_CLOEXEC), and say which is which in `env` (for OUTPUT_ENV; null when
 * there is none). `undo` puts the flags back if the exec failed. What Bun had
 * read ahead from a pipe and the unfinished line held are lost in the exec
 * (a few KiB at most per stream); everything still in the pipes is read by
 * the new image.
 */
export function handOverOutput(): { env: string | null; undo: () => void } {
  const readers = listReaders().filter((r) => setCloseOnExec(r.fd, false) === null);
  return {
    env: readers.length === 0 ? null : JSON.stringify(readers),
    undo: () => { for (const r of readers) setCloseOnExec(r.fd, true); },
  };
}

/**
 * In the new image: read again every fd that OUTPUT_ENV lists, after checking
 * each entry (an open pipe, sane fields). Returns the problems, one line each,
 * for the log; an entry with a problem is left alone.
 */
export function takeOverOutput(text: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [`${OUTPUT_ENV} is not valid JSON; the output of servers from before the re-exec is not read.`];
  }
  if (!Array.isArray(data)) return [`${OUTPUT_ENV} is not a list; the output of servers from before the re-exec is not read.`];
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const x of data as unknown[]) {
    const r = x as Partial<Record<keyof ReaderInfo, unknown>>;
    const ok = typeof x === "object" && x !== null &&
      Number.isInteger(r.pid) && (r.pid as number) > 0 &&
      Number.isInteger(r.fd) && (r.fd as number) > 2 && !seen.has(r.fd as number) &&
      typeof r.name === "string" && r.name !== "" &&
      (r.stream === "stdout" || r.stream === "stderr") &&
      Number.isInteger(r.width) && (r.width as number) >= 0 && (r.width as number) <= 1000 &&
      (r.color === null || (typeof r.color === "string" && /^\d{1,3}(;\d{1,3})*$/.test(r.color)));
    if (!ok) {
      problems.push(`an entry of ${OUTPUT_ENV} is invalid (${JSON.stringify(x)}); that output is not read.`);
      continue;
    }
    const info = r as ReaderInfo;
    let pipe = false;
    try {
      pipe = fstatSync(info.fd).isFIFO();
    } catch { /* not open */ }
    if (!pipe) {
      problems.push(`fd ${info.fd} (the ${info.stream} of '${info.name}') is not an open pipe; that output is not read.`);
      continue;
    }
    seen.add(info.fd);
    setCloseOnExec(info.fd, true);
    resumeReader({ pid: info.pid, fd: info.fd, name: info.name, stream: info.stream, width: info.width, color: info.color });
  }
  return problems;
}
