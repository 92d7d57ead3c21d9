// Prefixed output: a server's stdout and stderr, read from pipes lazarus owns,
// written line by line to lazarus's own stdout and stderr as `NAME | line`.
// Mechanics only (no policy), used by BunPort.spawn:
//
// - Whole lines. A reader splits what it reads into lines and hands complete
//   lines (several at once when it has them) to the one Sink of their
//   destination (sink.ts), which writes each batch completely before the
//   next, in whole lines of at most PIPE_BUF bytes to a pipe, so a line is
//   never cut by, nor interleaved with, another server's or lazarus's own. A
//   partial last line is written (with a newline added) when the stream ends.
// - One sink per destination file: when lazarus's stdout and stderr are the
//   same file (`2>&1`, a terminal), one sink serves both.
// - Bounded memory, back-pressure. A reader reads again only once its last
//   batch has been written; a line longer than MAX_LINE (or PIPE_BUF, to a
//   pipe) is written in prefixed pieces. So a server writing faster than the
//   terminal reads fills its pipe and blocks in write(2); lazarus holds at most
//   MAX_LINE plus what Bun has read ahead (one or two 64 KiB chunks) per
//   stream. The last batch of an ended stream is dropped (and counted) rather
//   than held when the destination is stalled (Sink.write's `droppable`).
// - The event loop never blocks on a slow terminal: the sink never blocks.
// - Colour only when the destination is a terminal (and NO_COLOR is not set).
// - Re-exec (BUN-NOTES): the pipes are created with pipe2 (not by Bun), so a
//   child writing to one survives an exec of lazarus as long as the read end
//   is handed across: `handOver()` keeps the readers' fds open across it and
//   says which is which, and `takeOver()` reads them again in the new image.
import { closeSync, fstatSync } from "node:fs";
import { OUTPUT_ENV, type OutputSpec, type OutputTap } from "./port.ts";
import { makePipe, setCloseOnExec } from "./libc.ts";
import { PIPE_BUF, type Sink } from "./sink.ts";

/** Longest line kept whole, in bytes; a longer one is written in pieces of this size. */
export const MAX_LINE = 16 * 1024;

const NEWLINE = 0x0a;
const DECODER = new TextDecoder();
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

interface ReaderEntry {
  readonly info: ReaderInfo;
  done: Promise<void>;
  /** Its child has ended (or the stream has): what it holds may be shed when the destination is stalled. */
  ended: boolean;
}

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
 * Every prefixed stream of this process: the sinks of its destinations and
 * its readers (one per child stream), in a registry for a re-exec.
 */
export class OutputHub {
  private readonly sinks: { stdout: Sink; stderr: Sink };
  /** By fd. An entry is removed when its stream ends, just before its fd is closed. */
  private readonly readers = new Map<number, ReaderEntry>();
  private readonly colour: boolean;
  /** Told every line read (the status page's last lines); null when nobody asks. */
  tap: OutputTap | null = null;

  constructor(opts: { stdout: Sink; stderr: Sink; colour: boolean }) {
    this.sinks = { stdout: opts.stdout, stderr: opts.stderr };
    this.colour = opts.colour;
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
    const entry: ReaderEntry = { info, done: Promise.resolve(), ended: false };
    this.readers.set(info.fd, entry);
    entry.done = this.pump(entry);
  }

  /**
   * A child has ended: what its streams still hold is written if the
   * destination takes it, and shed (counted) if the destination is stalled.
   */
  childEnded(pid: number): void {
    let any = false;
    for (const r of this.readers.values()) {
      if (r.info.pid !== pid) continue;
      r.ended = true;
      any = true;
    }
    if (!any) return;
    this.sinks.stdout.shed();
    if (this.sinks.stderr !== this.sinks.stdout) this.sinks.stderr.shed();
  }

  /** The readers still open: which fd carries which child's stream. */
  list(): ReaderInfo[] {
    return [...this.readers.values()].map((r) => r.info);
  }

  /** Whether every reader has ended and its last lines were handed to the sink. */
  get idle(): boolean {
    return this.readers.size === 0;
  }

  /**
   * Wait until every reader has ended and its lines are written, giving up
   * when nothing has been written for `idleMs` (a grandchild keeps a pipe
   * open, or nobody reads lazarus's output) or after `maxMs` in all.
   */
  async drain(idleMs: number, maxMs: number): Promise<void> {
    const start = performance.now();
    let last = -1;
    while (!this.idle && performance.now() - start < maxMs) {
      const { stdout, stderr } = this.sinks;
      const progress = stdout.written + (stderr === stdout ? 0 : stderr.written);
      if (progress === last) return;
      last = progress;
      const all = Promise.all([...this.readers.values()].map((r) => r.done));
      await Promise.race([all, Bun.sleep(idleMs)]);
    }
  }

  /**
   * Just before an exec: keep every reader's fd open across it (clear its
   * FD_CLOEXEC), and say which is which (for OUTPUT_ENV; null when there is
   * none). `undo` puts the flags back if the exec failed. What Bun had read
   * ahead from a pipe, the unfinished line held and a batch waiting for a
   * stalled destination are lost in the exec (a few KiB per stream); everything
   * still in the pipes is read by the new image.
   */
  handOver(): { env: string | null; undo: () => void } {
    const readers = this.list().filter((r) => setCloseOnExec(r.fd, false) === null);
    return {
      env: readers.length === 0 ? null : JSON.stringify(readers),
      undo: () => { for (const r of readers) setCloseOnExec(r.fd, true); },
    };
  }

  /**
   * In the new image: read again every fd that OUTPUT_ENV lists, after
   * checking each entry (an open pipe, sane fields). Returns the problems, one
   * line each, for the log; an entry with a problem is left alone.
   */
  takeOver(text: string): string[] {
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
      this.resume({ pid: info.pid, fd: info.fd, name: info.name, stream: info.stream, width: info.width, color: info.color });
    }
    return problems;
  }

  private async pump(entry: ReaderEntry): Promise<void> {
    const info = entry.info;
    const sink = this.sinks[info.stream];
    const ended = () => entry.ended;
    const prefix = Buffer.from(prefixText(info.name, info.width, this.colour ? info.color : null, sink.tty));
    // To a pipe, a piece with its prefix and newline fits in one atomic write
    // (unless the name alone is nearly PIPE_BUF bytes long).
    const splitter = new LineSplitter(sink.pipe ? Math.max(4, Math.min(MAX_LINE, PIPE_BUF - prefix.length - 1)) : MAX_LINE);
    const render = (lines: Uint8Array[]) => concat(lines.flatMap((l) => [prefix, l]));
    try {
      const reader = Bun.file(info.fd).stream().getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const lines = splitter.push(value);
        if (lines.length === 0) continue;
        if (this.tap !== null) for (const l of lines) this.tap(info.name, info.stream, DECODER.decode(l.subarray(0, l.length - 1)));
        await sink.write(render(lines), ended);
      }
    } catch {
      // A read error ends this stream like an EOF: write what was held.
    }
    // The stream has ended: its fd goes now, and its last lines are written if
    // the destination takes them (dropped and counted if it is stalled).
    entry.ended = true;
    this.readers.delete(info.fd);
    closeQuietly(info.fd);
    const rest = splitter.end();
    if (rest.length > 0) await sink.write(render(rest), ended);
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
