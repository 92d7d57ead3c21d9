// Servers' output through pipes lazarus owns: a server's stdout and stderr,
// read line by line, written to lazarus's own stdout and stderr (prefixed
// `NAME | line`, or plain) and/or appended to its log file (log-files.ts).
// Mechanics only (no policy), used by BunPort.spawn:
//
// - Whole lines. A reader splits what it reads into lines (LineSplitter) and
//   hands complete lines (several at once when it has them) to its log file
//   and to the one Sink of their destination (sink.ts), which writes each
//   batch completely before the next, in whole lines of at most PIPE_BUF bytes
//   to a pipe, so a line is never cut by, nor interleaved with, another
//   server's or lazarus's own. A partial last line is written (with a newline
//   added) when the stream ends. A line longer than MAX_OUTPUT_LINE is cut in pieces.
// - One sink per destination file: when lazarus's stdout and stderr are the
//   same file (`2>&1`, a terminal), one sink serves both.
// - Back-pressure towards the terminal, bounded patience for the log file. A
//   reader reads again only once its last batch has been written to the
//   terminal, so a server writing faster than the terminal reads fills its
//   pipe and blocks in write(2) (the last batch of an ended stream is dropped
//   and counted rather than held when the destination is stalled: Sink.write's
//   `droppable`). A log file never blocks: a line it cannot take is dropped and
//   counted; while more than half its queue waits, the reader waits for room
//   up to PATIENCE_MS before reading on (LogFile.whenRoom): a healthy disk
//   loses no line under a flood (the server goes at the disk's speed), a stuck
//   disk holds a server once, for PATIENCE_MS, and then its lines are dropped.
// - The event loop never blocks on a slow terminal or disk, and a reader
//   gives the loop a turn every few chunks (a pipe that always has data would
//   otherwise keep timers waiting).
// - Colour only when the destination is a terminal (and NO_COLOR is not set).
// - Re-exec (BUN-NOTES): the pipes are created with pipe2 (not by Bun), so a
//   child writing to one survives an exec of lazarus as long as the read end
//   is handed across. Before the exec (BunPort.prepareExec) the readers
//   `pause` (they read no more), then `gather` takes what Bun's stream had
//   already read from each pipe (Bun reads ahead of its reader, tens of KiB
//   under a flood: measured) until a read finds nothing, and the exec happens
//   in that same turn of the event loop; `handOver` keeps the readers' fds
//   open across the exec and carries the unfinished line and the gathered bytes
//   (carry.ts), which the new image (`takeOver`) takes before reading the pipe
//   again. So a line is neither lost nor doubled; what is lost is said in
//   docs/spec.md ("Known limits").
// - Readiness by a line of output (`ready = { log = … }`): a child whose
//   OutputSpec has a `ready` pattern has each complete line of its stdout and
//   stderr tested against it, until the first match; then the match listener
//   is told its pid, once, in a microtask (never inside a call of the shell's),
//   and its lines are tested no more. A line longer than MAX_OUTPUT_LINE is tested on
//   its first piece only, so a test costs at most one regular expression run on
//   MAX_OUTPUT_LINE bytes. A pattern not matched yet crosses a re-exec with the reader.
//   A pattern whose test of one line takes longer than SLOW_PATTERN_MS (a pattern
//   that backtracks badly: JavaScriptCore gives up on a match after about a second
//   and says "no match") holds up the whole event loop, so it is tested no more
//   for that child, and the problem listener is told why, once; so is one whose
//   tests of the lines of one chunk take that long together (each line a little).
import { closeSync, fstatSync } from "node:fs";
import { unreachable } from "../core/describe.ts";
import { isLogTarget, type LogTarget } from "../logs/target.ts";
import { type CarryWriter, pieceOf } from "./carry.ts";
import { makePipe, setCloseOnExec } from "./libc.ts";
import type { LogFiles } from "./log-files.ts";
import { OUTPUT_ENV, type OutputMatchListener, type OutputSpec, type OutputTap, type TerminalSpec } from "./port.ts";
import { PIPE_BUF, type Sink } from "./sink.ts";

/** Longest line kept whole, in bytes; a longer one is written in pieces of this size. */
export const MAX_OUTPUT_LINE = 16 * 1024;

/** A ready pattern that takes longer than this on one line, or on the lines of one chunk, is given up (it holds up the event loop). */
export const SLOW_PATTERN_MS = 100;

const NEWLINE = 0x0a;
const DECODER = new TextDecoder();
const EMPTY = new Uint8Array(0);
const NL = new Uint8Array([NEWLINE]);

/** Splits a byte stream into lines of at most `max` bytes (plus the newline). Pure. */
export class LineSplitter {
  private pending: Uint8Array = EMPTY;
  /** The last line handed out was a piece cut at `max`: what comes next continues it. */
  private midLine = false;

  constructor(private readonly max = MAX_OUTPUT_LINE) {
    if (max < 4) throw new RangeError("a line limit below 4 bytes cannot keep UTF-8 characters whole");
  }

  /** Bytes of the current unfinished line (never more than `max`). */
  get held(): number {
    return this.pending.length;
  }

  /** The current unfinished line itself (not taken: a re-exec carries it across). */
  get pendingBytes(): Uint8Array {
    return this.pending;
  }

  /**
   * The complete lines of `chunk` (with what was held before), each ending with "\n".
   * `starts`, when given, gets one entry per line: whether it begins a line of
   * the stream (false for the second and later pieces of an over-long line).
   */
  push(chunk: Uint8Array, starts?: boolean[]): Uint8Array[] {
    const data = this.pending.length === 0 ? chunk : concat([this.pending, chunk]);
    const out: Uint8Array[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NEWLINE, start);
      const end = nl < 0 ? data.length : nl;
      while (end - start > this.max) {
        const cut = charBoundary(data, start + this.max, start);
        out.push(concat([data.subarray(start, cut), NL]));
        starts?.push(!this.midLine);
        this.midLine = true;
        start = cut;
      }
      if (nl < 0) break;
      out.push(data.subarray(start, nl + 1));
      starts?.push(!this.midLine);
      this.midLine = false;
      start = nl + 1;
    }
    // A copy: the chunk's memory may be reused by the stream once we return.
    this.pending = start === data.length ? EMPTY : data.slice(start);
    return out;
  }

  /** The unfinished last line, if any, with a newline added (`starts` as for push). */
  end(starts?: boolean[]): Uint8Array[] {
    const rest = this.pending;
    this.pending = EMPTY;
    if (rest.length > 0) starts?.push(!this.midLine);
    this.midLine = false;
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

/** A reader as `list` reports it: enough to hand it across a re-exec and resume it. */
export interface ReaderInfo {
  readonly pid: number;
  readonly fd: number;
  readonly name: string;
  readonly stream: "stdout" | "stderr";
  readonly terminal: TerminalSpec;
  readonly log: LogTarget | null;
  /** The child's `ready` pattern while no line has matched it yet, else null. */
  readonly ready: string | null;
  /**
   * Its child's end was reported (childEnded), its stream is still read: its lines are
   * tested against no pattern (its pid may be a new child's). Kept across a re-exec.
   */
  readonly gone?: true;
}

type PipedSpec = Extract<OutputSpec, { kind: "piped" }>;

/** How long a reader waits, at most, for room in its log file's queue before reading on. */
export const PATIENCE_MS = 250;
/** A reader gives the event loop a turn after this many chunks in a row. */
const YIELD_EVERY = 8;
/** What `gather` may take from one stream, and from all of them, before an exec. */
const GATHER_MAX = 4 * 1024 * 1024;
const GATHER_TOTAL = 16 * 1024 * 1024;

/** A child's `ready` pattern, as written and compiled. */
interface Watch {
  readonly source: string;
  readonly regex: RegExp;
}

/** The pattern compiled (no flags), or null when it is not a valid one. */
function compile(source: string): Watch | null {
  try {
    return { source, regex: new RegExp(source) };
  } catch {
    return null;
  }
}

/** A stream reader of a pipe (Bun's). */
function readerOf(fd: number) {
  return Bun.file(fd).stream().getReader();
}
type Reader = ReturnType<typeof readerOf>;
type Read = ReturnType<Reader["read"]>;

interface ReaderEntry {
  readonly info: ReaderInfo;
  readonly splitter: LineSplitter;
  readonly reader: Reader;
  done: Promise<void>;
  /** Its child has ended (or the stream has): what it holds may be shed when the destination is stalled. */
  ended: boolean;
  /**
   * Its child's end was reported (childEnded): its lines are tested against no pattern any
   * more, since its pid may be handed to a new child, whose readiness they would tell.
   */
  childGone: boolean;
  /** The pump waits on its own read (whatever it reads goes through it). */
  reading: boolean;
  /** The stream has ended, as `gather` saw. */
  eof: boolean;
  /** A read `gather` issued that has not delivered yet: the pump takes it first when it reads on. */
  gathered: Read | null;
  /** Bytes read while paused (by `gather`, or carried across the exec), not yet through the splitter. */
  carry: Uint8Array[];
  carryBytes: number;
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

/** Where a reader's lines go on the terminal: the sink, and how a batch of lines becomes bytes. */
interface TerminalOut {
  readonly sink: Sink;
  readonly render: (lines: readonly Uint8Array[]) => Uint8Array;
}

/**
 * Every piped stream of this process: the sinks of its destinations, the log
 * files, and its readers (one per child stream), in a registry for a re-exec.
 */
export class OutputHub {
  private readonly sinks: { stdout: Sink; stderr: Sink };
  private readonly logs: LogFiles | null;
  /** By fd. An entry is removed when its stream ends, just before its fd is closed. */
  private readonly readers = new Map<number, ReaderEntry>();
  /** The same readers by child (its stdout's and its stderr's): a child's end and a stream's end look up only its own. */
  private readonly readersOf = new Map<number, ReaderEntry[]>();
  private readonly colour: boolean;
  /** Set while the readers are paused (before an exec): resolves when they may read on. */
  private paused: { readonly until: Promise<void>; readonly release: () => void } | null = null;
  /** Bytes the readers have taken in all (progress, for `drain`). */
  private consumed = 0;
  /** Told every line read (the status page's last lines); null when nobody asks. */
  tap: OutputTap | null = null;
  /** The `ready` patterns not matched yet, by child pid (shared by its two streams). */
  private readonly watches = new Map<number, Watch>();
  /** Told (in a microtask) the pid of a child whose output first matched its pattern; null: nobody asks. */
  onMatch: OutputMatchListener | null = null;
  /** Told (in a microtask) of a ready pattern given up because it is too slow; null: nobody asks. */
  onProblem: ((text: string) => void) | null = null;

  constructor(opts: { stdout: Sink; stderr: Sink; colour: boolean; logs?: LogFiles }) {
    this.sinks = { stdout: opts.stdout, stderr: opts.stderr };
    this.colour = opts.colour;
    this.logs = opts.logs ?? null;
  }

  /** Create the pipes of a child about to be spawned. */
  open(spec: PipedSpec): ChildPipes | { readonly error: string } {
    const watch = spec.ready === null ? null : compile(spec.ready);
    if (spec.ready !== null && watch === null) return { error: `invalid ready pattern ${JSON.stringify(spec.ready)}` };
    const out = makePipe();
    if ("error" in out) return out;
    const err = makePipe();
    if ("error" in err) {
      closeQuietly(out.read, out.write);
      return err;
    }
    const info = (pid: number, fd: number, stream: "stdout" | "stderr"): ReaderInfo =>
      ({ pid, fd, name: spec.name, stream, terminal: spec.terminal, log: spec.log, ready: spec.ready });
    return {
      stdout: out.write,
      stderr: err.write,
      started: (pid) => {
        closeQuietly(out.write, err.write);
        this.resume(info(pid, out.read, "stdout"));
        this.resume(info(pid, err.read, "stderr"));
      },
      failed: () => closeQuietly(out.read, out.write, err.read, err.write),
    };
  }

  /** Start (or, after a re-exec, resume) reading a child's stream from `fd`; `carried`: bytes to take before the pipe's. */
  resume(info: ReaderInfo, carried: Uint8Array | null = null): void {
    if (info.ready !== null && info.gone !== true && !this.watches.has(info.pid)) {
      const watch = compile(info.ready);
      if (watch !== null) this.watches.set(info.pid, watch);
    }
    const entry: ReaderEntry = {
      info, splitter: new LineSplitter(), reader: readerOf(info.fd), done: Promise.resolve(),
      ended: info.gone === true, childGone: info.gone === true, reading: false, eof: false, gathered: null, carry: carried === null ? [] : [carried], carryBytes: carried?.length ?? 0,
    };
    this.readers.set(info.fd, entry);
    const own = this.readersOf.get(info.pid);
    if (own === undefined) this.readersOf.set(info.pid, [entry]);
    else own.push(entry);
    entry.done = this.pump(entry);
  }

  /**
   * A child has ended: what its streams still hold is written if the
   * destination takes it, and shed (counted) if the destination is stalled.
   */
  childEnded(pid: number): void {
    const own = this.readersOf.get(pid);
    if (own === undefined) return;
    for (const r of own) {
      r.ended = true;
      r.childGone = true;
    }
    // Its pattern is tested no more: a new child given the same pid gets its own.
    this.watches.delete(pid);
    this.sinks.stdout.shed();
    if (this.sinks.stderr !== this.sinks.stdout) this.sinks.stderr.shed();
  }

  /** The readers still open: which fd carries which child's stream. */
  list(): ReaderInfo[] {
    return [...this.readers.values()].map((r) => this.current(r));
  }

  /**
   * A reader's info as it stands: its `ready` pattern gone once a line has matched it, and
   * once its child's end was reported (then it is `gone`: a new child may have its pid, and
   * the pattern under that pid is the new child's).
   */
  private current(entry: ReaderEntry): ReaderInfo {
    const info = entry.info;
    if (entry.childGone) return info.ready === null && info.gone === true ? info : { ...info, ready: null, gone: true };
    const ready = this.watches.get(info.pid)?.source ?? null;
    return info.ready === ready ? info : { ...info, ready };
  }

  /** Whether every reader has ended and its last lines were handed on. */
  get idle(): boolean {
    return this.readers.size === 0;
  }

  /**
   * Wait until every reader has ended and its lines are written, giving up
   * when nothing has been read or written for `idleMs` (a grandchild keeps a
   * pipe open, or nobody reads lazarus's output) or after `maxMs` in all.
   */
  async drain(idleMs: number, maxMs: number): Promise<void> {
    const start = performance.now();
    let last = -1;
    while (!this.idle && performance.now() - start < maxMs) {
      const { stdout, stderr } = this.sinks;
      const progress = this.consumed + stdout.written + (stderr === stdout ? 0 : stderr.written);
      if (progress === last) return;
      last = progress;
      const all = Promise.all([...this.readers.values()].map((r) => r.done));
      await Promise.race([all, Bun.sleep(idleMs)]);
    }
  }

  // --- a re-exec

  /** Before an exec: the readers read no more (a read already waiting still delivers). */
  pause(): void {
    if (this.paused !== null) return;
    let release = () => {};
    const until = new Promise<void>((resolve) => { release = resolve; });
    this.paused = { until, release };
  }

  /** The exec did not happen: the readers take what was gathered, then read on. */
  unpause(): void {
    const p = this.paused;
    this.paused = null;
    p?.release();
  }

  /**
   * While paused: take what Bun's streams had already read from the pipes
   * (it reads ahead of its reader), round after round, until a round in which
   * no stream delivers anything before the event loop's next turn (then Bun
   * holds nothing more: what the servers write next stays in the pipes), or
   * until `maxMs`. Resolves in that same turn: an exec right after it loses
   * nothing Bun had read. (A stream whose pump waits on its own read is left
   * to it: what that read delivers goes through the pump.)
   */
  async gather(maxMs: number): Promise<void> {
    const deadline = performance.now() + maxMs;
    let total = [...this.readers.values()].reduce((n, e) => n + e.carryBytes, 0);
    for (;;) {
      let got = false;
      const turn = new Promise<null>((resolve) => setImmediate(() => resolve(null)));
      await Promise.all([...this.readers.values()].map(async (e) => {
        if (e.reading || e.eof || e.carryBytes >= GATHER_MAX || total >= GATHER_TOTAL) return;
        const read = e.gathered ?? e.reader.read();
        e.gathered = read;
        const r = await Promise.race([read, turn]).catch(() => ({ done: true as const, value: undefined }));
        if (r === null) return; // nothing there: this read stays waiting
        e.gathered = null;
        got = true;
        if (r.done) {
          e.eof = true;
          return;
        }
        e.carry.push(r.value.slice());
        e.carryBytes += r.value.length;
        total += r.value.length;
      }));
      if (!got || performance.now() >= deadline) return;
    }
  }

  /**
   * Just before an exec: keep every reader's fd open across it (clear its
   * FD_CLOEXEC), and say which is which (for OUTPUT_ENV; null when there is
   * none), with the bytes each had read and not yet written (its unfinished
   * line and what `gather` took) put in `carry`. `undo` puts the flags back if
   * the exec failed. (Without `carry`, those bytes are lost in the exec; so is
   * a batch waiting for a stalled destination.)
   */
  handOver(carry: CarryWriter | null = null): { env: string | null; undo: () => void } {
    const readers = [...this.readers.values()].filter((r) => setCloseOnExec(r.info.fd, false) === null);
    const entries = readers.map((r) => {
      const piece = carry?.add([r.splitter.pendingBytes, ...r.carry]) ?? null;
      const info = this.current(r);
      return piece === null ? info : { ...info, carry: piece };
    });
    return {
      env: entries.length === 0 ? null : JSON.stringify(entries),
      undo: () => { for (const r of readers) setCloseOnExec(r.info.fd, true); },
    };
  }

  /**
   * In the new image: read again every fd that OUTPUT_ENV lists, after
   * checking each entry (an open pipe, sane fields), taking its carried bytes
   * (a piece of `blob`) first. Returns the problems, one line each, for the
   * log; an entry with a problem is left alone. (Entries of an older lazarus,
   * `width` and `color` instead of `terminal`, are prefixed output.)
   */
  takeOver(text: string, blob: Uint8Array | null = null): string[] {
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
      const info = readerInfo(x, seen);
      if (info === null) {
        problems.push(`an entry of ${OUTPUT_ENV} is invalid (${JSON.stringify(x)}); that output is not read.`);
        continue;
      }
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
      const piece = (x as { carry?: unknown }).carry;
      const carried = piece === undefined ? null : pieceOf(blob, piece);
      if (piece !== undefined && carried === null) problems.push(`what was read from the ${info.stream} of '${info.name}' before the re-exec could not be found; it is lost.`);
      this.resume(info, carried);
    }
    return problems;
  }

  // --- reading

  private async pump(entry: ReaderEntry): Promise<void> {
    const info = entry.info;
    const out = this.terminalOf(info);
    let chunks = 0;
    try {
      for (;;) {
        if (this.paused !== null) {
          await this.paused.until;
          continue;
        }
        // Bytes read while paused come first.
        if (entry.carry.length > 0) {
          const carried = entry.carry.splice(0);
          entry.carryBytes = 0;
          for (const c of carried) await this.take(entry, out, c);
          continue;
        }
        const read = entry.gathered ?? entry.reader.read();
        entry.gathered = null;
        entry.reading = true;
        const { value, done } = await read.finally(() => { entry.reading = false; });
        if (done) break;
        await this.take(entry, out, value);
        if (++chunks % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch {
      // A read error ends this stream like an EOF: write what was held.
    }
    // The stream has ended: its fd goes now, and its last lines are written if
    // the destination takes them (dropped and counted if it is stalled).
    entry.ended = true;
    this.readers.delete(info.fd);
    const own = (this.readersOf.get(info.pid) ?? []).filter((r) => r !== entry);
    if (own.length > 0) this.readersOf.set(info.pid, own);
    else this.readersOf.delete(info.pid);
    closeQuietly(info.fd);
    const starts = !entry.childGone && this.watches.has(info.pid) ? [] : undefined;
    const rest = entry.splitter.end(starts);
    if (starts !== undefined) this.test(info.pid, info.name, rest, starts);
    // Neither stream of the child is read any more: its pattern is tested no more.
    if (!this.readersOf.has(info.pid)) this.watches.delete(info.pid);
    if (rest.length > 0) await this.deliver(entry, out, rest);
  }

  /** One chunk read: its whole lines to the log file and the terminal. */
  private async take(entry: ReaderEntry, out: TerminalOut | null, chunk: Uint8Array): Promise<void> {
    this.consumed += chunk.length;
    const starts = !entry.childGone && this.watches.has(entry.info.pid) ? [] : undefined;
    const lines = entry.splitter.push(chunk, starts);
    if (starts !== undefined) this.test(entry.info.pid, entry.info.name, lines, starts);
    if (lines.length > 0) await this.deliver(entry, out, lines);
  }

  /** Test the lines of child `pid` that begin a line of its output against its pattern, until one matches. */
  private test(pid: number, name: string, lines: readonly Uint8Array[], starts: readonly boolean[]): void {
    const watch = this.watches.get(pid);
    if (watch === undefined) return;
    // The time of the whole chunk counts: lines that each take a little add up to a long hold-up.
    const began = performance.now();
    let tested = 0;
    for (let i = 0; i < lines.length; i++) {
      if (starts[i] !== true) continue;
      const l = lines[i] as Uint8Array;
      // Without its newline (and the carriage return before it, if any).
      const end = l.length >= 2 && l[l.length - 2] === 0x0d ? l.length - 2 : l.length - 1;
      const matched = watch.regex.test(DECODER.decode(l.subarray(0, end)));
      tested++;
      const took = performance.now() - began;
      if (!matched && took > SLOW_PATTERN_MS) {
        this.watches.delete(pid);
        const text = `'${name}' (pid ${pid}): its ready pattern ${JSON.stringify(watch.source)} took ${Math.round(took)} ms on ` +
          `${tested === 1 ? "one line" : `${tested} lines`} of its output, which holds up lazarus: it is tested no more (the server does not become ready by its log; its ready_timeout applies)`;
        queueMicrotask(() => this.onProblem?.(text));
        return;
      }
      if (!matched) continue;
      this.watches.delete(pid);
      queueMicrotask(() => this.onMatch?.(pid));
      return;
    }
  }

  private async deliver(entry: ReaderEntry, out: TerminalOut | null, lines: Uint8Array[]): Promise<void> {
    const info = entry.info;
    if (this.tap !== null) for (const l of lines) this.tap(info.name, info.stream, DECODER.decode(l.subarray(0, l.length - 1)));
    const log = info.log;
    if (log !== null && this.logs !== null) this.logs.append(log, lines);
    const written = out === null ? null : out.sink.write(out.render(lines), () => entry.ended);
    if (log !== null && this.logs !== null && this.logs.pressing(log)) await this.logs.whenRoom(log, PATIENCE_MS);
    if (written !== null) await written;
  }

  private terminalOf(info: ReaderInfo): TerminalOut | null {
    const t = info.terminal;
    const sink = this.sinks[info.stream];
    switch (t.kind) {
      case "none":
        return null;
      case "plain":
        return { sink, render: (lines) => concat(lines) };
      case "prefix": {
        const prefix = Buffer.from(prefixText(info.name, t.width, this.colour ? t.color : null, sink.tty));
        // To a pipe, a piece with its prefix and newline fits in one atomic write
        // (unless the name alone is nearly PIPE_BUF bytes long).
        const max = sink.pipe ? Math.max(4, Math.min(MAX_OUTPUT_LINE, PIPE_BUF - prefix.length - 1)) : MAX_OUTPUT_LINE;
        const pieces = new LineSplitter(max);
        return {
          sink,
          render: (lines) => concat(lines.flatMap((l) => (l.length - 1 > max ? pieces.push(l) : [l]).flatMap((piece) => [prefix, piece]))),
        };
      }
      default:
        return unreachable(t);
    }
  }
}

/** A ReaderInfo from OUTPUT_ENV's entry `x`, or null when it is not a sane one. */
function readerInfo(x: unknown, seen: ReadonlySet<number>): ReaderInfo | null {
  if (typeof x !== "object" || x === null) return null;
  const r = x as Partial<Record<keyof ReaderInfo | "width" | "color", unknown>>;
  const ok = Number.isInteger(r.pid) && (r.pid as number) > 0 &&
    Number.isInteger(r.fd) && (r.fd as number) > 2 && !seen.has(r.fd as number) &&
    typeof r.name === "string" && r.name !== "" &&
    (r.stream === "stdout" || r.stream === "stderr");
  if (!ok) return null;
  // An older image's entry: prefixed output, width and color at the top.
  const terminal = r.terminal === undefined ? terminalSpec({ kind: "prefix", width: r.width, color: r.color }) : terminalSpec(r.terminal);
  const log = r.log === undefined || r.log === null ? null : isLogTarget(r.log) ? r.log : undefined;
  // An older image's entry has no `ready`: nothing to watch.
  const ready = r.ready === undefined || r.ready === null ? null : typeof r.ready === "string" && compile(r.ready) !== null ? r.ready : undefined;
  if (terminal === null || log === undefined || ready === undefined) return null;
  if (r.gone !== undefined && r.gone !== true) return null;
  const info = { pid: r.pid as number, fd: r.fd as number, name: r.name as string, stream: r.stream as "stdout" | "stderr", terminal, log, ready };
  return r.gone === true ? { ...info, ready: null, gone: true } : info;
}

function terminalSpec(x: unknown): TerminalSpec | null {
  const t = x as { kind?: unknown; width?: unknown; color?: unknown } | null;
  if (typeof t !== "object" || t === null) return null;
  if (t.kind === "plain" || t.kind === "none") return { kind: t.kind };
  if (t.kind !== "prefix") return null;
  const width = Number.isInteger(t.width) && (t.width as number) >= 0 && (t.width as number) <= 1000;
  const color = t.color === null || (typeof t.color === "string" && /^\d{1,3}(;\d{1,3})*$/.test(t.color));
  return width && color ? { kind: "prefix", width: t.width as number, color: t.color as string | null } : null;
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
