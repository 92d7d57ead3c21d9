// Reading log files back: the last N lines of a rotated set (NAME.log and
// NAME.log.1 … NAME.log.k, oldest first), several servers merged by time with
// name prefixes, and following a set as it grows and rotates (`ctl logs -f`).
//
// Decisions:
// - `ctl logs` reads the files itself, not through the supervisor's control
//   socket. The logs are wanted most when the supervisor is gone (the crash
//   at 3 a.m.); a reader (a paused pager, a slow terminal, a big -n) then costs
//   the supervisor nothing, so no per-client queue, drop policy or back-pressure
//   needs to exist in it; and it is what `tail -F` does. The supervisor only
//   says where its files are (its `about` reply); with no supervisor running,
//   ctl finds them from the config file (log_dir) or --log-dir.
// - So these functions do synchronous reads, in a short-lived ctl process: they
//   must never be called from the supervisor's event loop.
// - Last N lines: read backwards from the end in 64 KiB blocks, file by file
//   from the newest, until N newlines are found: never the whole of a big file.
//   An unterminated last line of the live file is a write in progress: it is
//   left to the follower, which prints it once it is whole.
// - Following: poll (every 200 ms by default, like `tail -F` without inotify;
//   no watcher can hang): read what was appended, then look at the path. Its
//   file is stat'ed *before* the last read, so when the path has moved on (a
//   rotation), everything the writer put in the old file before renaming it
//   has been read. Then the next newer file of the set is found by its inode
//   (several rotations may have happened between two polls) and read from its
//   start. A file that became shorter was truncated (copytruncate): read again
//   from its start. If the file being read left the set before the follower
//   got to the next one (more than `keep` rotations between two polls), lines
//   may have been missed, and `poll` says so.
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { LogLine, LogLines } from "../cli/replay.ts";
import { logFileName, mergeByTime, NEWLINE } from "../logs/lines.ts";

const BLOCK = 64 * 1024;
export const POLL_MS = 200;
/** Most bytes one poll reads from one file (the rest waits for the next poll, which comes at once). */
export const POLL_MAX = 1024 * 1024;

/** A place in a file: the file by its identity, and a byte offset in it. */
export interface FilePosition {
  readonly dev: number;
  readonly ino: number;
  readonly offset: number;
}

/** A server's log (or lazarus's event log): the name to prefix its lines with, and the path of its live file. */
export interface LogSource {
  readonly name: string;
  readonly path: string;
}

/** The logs of servers named `names` in `dir` (DIR/NAME.log, names escaped by logFileName), and lazarus's event log if any. */
export function logSources(dir: string, names: readonly string[], eventLog: string | null = null): LogSource[] {
  const servers = names.map((name) => ({ name, path: join(dir, logFileName(name)) }));
  return eventLog === null ? servers : [...servers, { name: "lazarus", path: eventLog }];
}

/** The files of the rotated set of `path` that exist, oldest first: PATH.k … PATH.1, PATH. */
export function rotatedSet(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated: { n: number; name: string }[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const rest = name.slice(base.length + 1);
    if (/^[1-9]\d{0,5}$/.test(rest)) rotated.push({ n: Number(rest), name });
  }
  rotated.sort((a, b) => b.n - a.n);
  const out = rotated.map((r) => join(dir, r.name));
  if (names.includes(base)) out.push(path);
  return out;
}

/**
 * `open` over the rotated set of a path (`lazarus replay` of an event_log):
 * its files oldest first (PATH.N … PATH.1, PATH), one after the other, the
 * line numbers running on from file to file. A path with no rotated set is
 * opened as it is (and `open` says what is wrong with it).
 */
export function rotatedLogLines(open: LogLines): LogLines {
  return (path, maxLine) => {
    const set = rotatedSet(path);
    const files = set.length > 0 ? set : [path];
    const first = open(files[0] as string, maxLine);
    if (!first.ok) return first;
    let current = first;
    let index = 0;
    let base = 0;
    let last = 0;
    const next = (): LogLine | null => {
      for (;;) {
        const line = current.next();
        if (line !== null) {
          last = line.number;
          return { ...line, number: base + line.number };
        }
        if (++index >= files.length) return null;
        current.close();
        base += last;
        last = 0;
        const opened = open(files[index] as string, maxLine);
        // (rotated away meanwhile, or no longer a regular file)
        if (!opened.ok) throw new Error(opened.error);
        current = opened;
      }
    };
    return { ok: true, next, close: () => current.close() };
  };
}

/**
 * The last `n` lines of the rotated set of `path`, oldest first, each ending
 * with a newline; and where a follower should start (the end of the last
 * whole line of the live file; null when there is no live file).
 */
export function lastLines(path: string, n: number): { lines: Uint8Array[]; end: FilePosition | null } {
  const files = rotatedSet(path).reverse();
  const found: Uint8Array[][] = [];
  let need = n;
  let end: FilePosition | null = null;
  for (const file of files) {
    const live = file === path;
    let fd: number;
    try {
      fd = openSync(file, "r");
    } catch {
      continue; // rotated away meanwhile
    }
    try {
      const st = fstatSync(fd);
      const { lines, wholeEnd } = tailOf(fd, st.size, need, live);
      if (live) end = { dev: st.dev, ino: st.ino, offset: wholeEnd };
      found.push(lines);
      need -= lines.length;
    } finally {
      closeSync(fd);
    }
    if (need <= 0) break;
  }
  return { lines: found.reverse().flat(), end };
}

/**
 * The last `need` lines of one file of `size` bytes, read backwards. An
 * unterminated last piece is left out of the live file (`wholeEnd` is where
 * it starts) and ended with a newline in a rotated one.
 */
function tailOf(fd: number, size: number, need: number, live: boolean): { lines: Uint8Array[]; wholeEnd: number } {
  // Where the whole lines end.
  let wholeEnd = size;
  let data: Uint8Array = new Uint8Array(0);
  let pos = size;
  // Read blocks from the end until the data holds need+1 newlines (or the file's start).
  const newlines = () => {
    let c = 0;
    for (let i = data.indexOf(NEWLINE); i >= 0; i = data.indexOf(NEWLINE, i + 1)) c++;
    return c;
  };
  let seen = 0;
  while (pos > 0) {
    const len = Math.min(BLOCK, pos);
    pos -= len;
    const block = new Uint8Array(len);
    readFully(fd, block, pos);
    const merged = new Uint8Array(len + data.length);
    merged.set(block, 0);
    merged.set(data, len);
    data = merged;
    seen = newlines();
    if (seen > need) break;
  }
  let body = data;
  const lastNl = body.lastIndexOf(NEWLINE);
  if (body.length > 0 && lastNl !== body.length - 1) {
    if (live) {
      wholeEnd = size - (body.length - (lastNl + 1));
      body = body.subarray(0, lastNl + 1);
    } else {
      const ended = new Uint8Array(body.length + 1);
      ended.set(body, 0);
      ended[body.length] = NEWLINE;
      body = ended;
    }
  }
  const lines = splitLines(body);
  // The first piece is part of an older line unless the data starts at the file's start.
  if (pos > 0 && lines.length > 0) lines.shift();
  return { lines: need <= 0 ? [] : lines.slice(-need), wholeEnd };
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, position + got);
    if (n <= 0) break; // shorter than stat said (truncated meanwhile): the rest stays zero
    got += n;
  }
}

/** Whole lines of `buf` (which ends with a newline, or is empty). */
function splitLines(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let nl = buf.indexOf(NEWLINE); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
    out.push(buf.subarray(start, nl + 1));
    start = nl + 1;
  }
  return out;
}

interface Ident {
  readonly dev: number;
  readonly ino: number;
}

const same = (a: Ident | null, b: Ident | null) => a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;

function identOf(path: string): Ident | null {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

/** Follows the rotated set of one path: each `poll` gives the lines appended since the last one. */
export class Follower {
  private fd: number | null = null;
  private ident: Ident | null = null;
  private offset = 0;
  private partial: Uint8Array = new Uint8Array(0);
  /** With no file open: the file to start after (the newest one there was), or null for the oldest one to appear. */
  private after: Ident | null = null;
  /** Lines may have been missed before the next poll (said by it). */
  private missed = false;
  private readonly buf = new Uint8Array(BLOCK);

  /** `from`: where to start (from `lastLines`); null starts at the end of the live file as it is now. */
  constructor(readonly path: string, from: FilePosition | null) {
    const start = from ?? lastLines(path, 0).end;
    if (start !== null) {
      const file = rotatedSet(path).reverse().find((f) => same(identOf(f), start));
      const fd = file === undefined ? null : openIfSame(file, start);
      if (fd !== null) this.adopt(fd, start, start.offset);
      else {
        this.after = start; // rotated away meanwhile: go on with the file after it
        this.missed = rotatedSet(path).length > 0;
      }
    } else {
      // No live file now: start with whatever comes after the newest rotated one.
      const newest = rotatedSet(path).at(-1);
      this.after = newest === undefined ? null : identOf(newest);
    }
  }

  /** The whole lines appended since the last poll (across rotations), and whether some may have been missed. */
  poll(maxBytes = POLL_MAX): { lines: Uint8Array[]; missed: boolean } {
    const lines: Uint8Array[] = [];
    let budget = maxBytes;
    for (let hops = 0; hops < 1000 && budget > 0; hops++) {
      if (this.fd === null) {
        const next = this.next(this.after);
        if (next === null) break;
        this.adopt(next.fd, next.ident, 0);
      }
      // The path's file, looked at before the last read (see the top of this file).
      const now = identOf(this.path);
      if (fstatSync(this.fd as number).size < this.offset) {
        this.offset = 0; // truncated (copytruncate): from its start
        this.partial = new Uint8Array(0);
      }
      budget -= this.readAvailable(lines, budget);
      if (budget <= 0 || now === null || same(now, this.ident)) break; // still the live file (or between a rename and the new one)
      // The path has moved on: this file is finished; on to the next newer one.
      const next = this.next(this.ident);
      if (next === null) break; // not there yet: the next poll looks again
      if (this.partial.length > 0) lines.push(withNewline(this.partial));
      this.closeFile();
      this.adopt(next.fd, next.ident, 0);
    }
    const missed = this.missed;
    this.missed = false;
    return { lines, missed };
  }

  close(): void {
    this.closeFile();
  }

  /** Read from the offset to the end (at most `budget` bytes); whole lines go to `out`. Returns bytes read. */
  private readAvailable(out: Uint8Array[], budget: number): number {
    let total = 0;
    while (total < budget) {
      const n = readSync(this.fd as number, this.buf, 0, Math.min(this.buf.length, budget - total), this.offset);
      if (n <= 0) break;
      this.offset += n;
      total += n;
      let chunk = this.buf.subarray(0, n);
      if (this.partial.length > 0) {
        const joined = new Uint8Array(this.partial.length + n);
        joined.set(this.partial, 0);
        joined.set(chunk, this.partial.length);
        chunk = joined;
      }
      const lastNl = chunk.lastIndexOf(NEWLINE);
      for (const l of splitLines(chunk.subarray(0, lastNl + 1))) out.push(l.slice());
      this.partial = chunk.subarray(lastNl + 1).slice();
    }
    return total;
  }

  /**
   * The file that comes after `after` in the set (found by identity), opened;
   * with no `after`, or when `after` has left the set (lines may have been
   * missed: noted), the oldest file there. Null when there is none (yet).
   */
  private next(after: Ident | null): { fd: number; ident: Ident } | null {
    for (let tries = 0; tries < 10; tries++) {
      const set = rotatedSet(this.path).map((file) => ({ file, ident: identOf(file) }));
      const at = after === null ? -1 : set.findIndex((f) => same(f.ident, after));
      const next = set[at + 1];
      if (next === undefined || next.ident === null) return null;
      const fd = openIfSame(next.file, next.ident);
      if (fd !== null) {
        if (after !== null && at < 0) this.missed = true;
        return { fd, ident: next.ident };
      }
      // Renamed between the listing and the open: look again.
    }
    return null;
  }

  private adopt(fd: number, ident: Ident, offset: number): void {
    this.fd = fd;
    this.ident = { dev: ident.dev, ino: ident.ino };
    this.offset = offset;
    this.partial = new Uint8Array(0);
    this.after = null;
  }

  private closeFile(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.after = this.ident;
    this.fd = null;
  }
}

/** `file` opened for reading if it still is the file `ident` names, else null. */
function openIfSame(file: string, ident: Ident): number | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return null;
  }
  const st = fstatSync(fd);
  if (st.dev === ident.dev && st.ino === ident.ino) return fd;
  closeSync(fd);
  return null;
}

function withNewline(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + 1);
  out.set(b, 0);
  out[b.length] = NEWLINE;
  return out;
}

/** A line of `ctl logs` with the name of its log. */
export interface NamedLine {
  readonly name: string;
  readonly line: Uint8Array;
}

/** The last `n` lines of several logs, merged by time (lines.ts says how lines without a timestamp are placed). */
export function lastLinesMerged(sources: readonly LogSource[], n: number): { lines: NamedLine[]; ends: (FilePosition | null)[] } {
  const tails = sources.map((s) => lastLines(s.path, n));
  const merged = mergeByTime(tails.map((t) => t.lines)).slice(-n);
  return {
    lines: merged.map((m) => ({ name: (sources[m.stream] as LogSource).name, line: m.line })),
    ends: tails.map((t) => t.end),
  };
}

export interface ShowLogsOptions {
  readonly sources: readonly LogSource[];
  /** How many of the last lines to print first (all logs together). */
  readonly lines: number;
  /** Then go on printing new lines until `signal` aborts. */
  readonly follow: boolean;
  /** Put "NAME | " in front of each line (default: when there is more than one source). */
  readonly prefix?: boolean;
  /** Print bytes (await it: a slow terminal or a pager slows the reading, nothing else). */
  readonly write: (bytes: Uint8Array) => void | Promise<void>;
  /** Told once each time lines may have been missed while following (the files rotated faster than they were read). */
  readonly onMissed?: (source: LogSource) => void;
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
}

/** `ctl logs`: the last lines, then (with `follow`) new lines as they come, merged by time within each poll. */
export async function showLogs(opts: ShowLogsOptions): Promise<void> {
  const prefix = opts.prefix ?? opts.sources.length > 1;
  const width = Math.max(0, ...opts.sources.map((s) => s.name.length));
  const prefixes = new Map(opts.sources.map((s) => [s.name, Buffer.from(`${s.name.padEnd(width)} | `)]));
  const print = async (lines: readonly NamedLine[]) => {
    if (lines.length === 0) return;
    const parts = lines.flatMap((l) => (prefix ? [prefixes.get(l.name) as Uint8Array, l.line] : [l.line]));
    await opts.write(Buffer.concat(parts));
  };
  const { lines, ends } = lastLinesMerged(opts.sources, opts.lines);
  await print(lines);
  if (!opts.follow) return;
  const followers = opts.sources.map((s, i) => new Follower(s.path, ends[i] ?? null));
  const pollMs = opts.pollMs ?? POLL_MS;
  try {
    while (opts.signal?.aborted !== true) {
      let got = 0;
      const fresh = followers.map((f, i) => {
        const r = f.poll();
        if (r.missed) opts.onMissed?.(opts.sources[i] as LogSource);
        got += r.lines.length;
        return r.lines;
      });
      await print(mergeByTime(fresh).map((m) => ({ name: (opts.sources[m.stream] as LogSource).name, line: m.line })));
      if (got === 0) await pause(pollMs, opts.signal);
    }
  } finally {
    for (const f of followers) f.close();
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
