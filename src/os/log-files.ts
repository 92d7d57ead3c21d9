// The log files of a supervisor (each server's, lazarus's event log): one
// LogFile per path, opened on first use, their events told to one listener,
// and their part in a re-exec. Mechanics only (log-file.ts writes; this keeps
// them together).
//
// A re-exec (see OsPort.prepareExec):
// - `hold(ms)`: every file is closed, what it has queued given at most `ms`
//   to be written (what is left is counted as dropped, as LogFile.close does).
//   From then on, lines appended (lazarus's own records of the exec, a server
//   line read before the readers stopped) are held here, not written, so that
//   no write can be cut by the execve (a write on the thread pool is not
//   atomic with respect to it) and none lands twice.
// - `handOver(carry)`: per file its target, its counts (LogFileState) and the
//   held lines (a piece of the carried blob), for LOGS_ENV.
// - In the new image, `takeOver`: each file is opened again with its counts
//   (LogFile's `restore`) and the held lines are appended first.
// - `release()`: the exec did not happen: the files are opened again with
//   their counts, and the held lines appended.
import type { LogTarget } from "../logs/target.ts";
import { isLogTarget } from "../logs/target.ts";
import { type CarryWriter, type Piece, pieceOf } from "./carry.ts";
import { LogFile, type LogFileEvent, type LogFileState } from "./log-file.ts";

/** Lines held (per file) while the files are closed for an exec; more are dropped and counted. */
export const HELD_MAX = 1024 * 1024;

/** What LOGS_ENV carries of one file. */
export interface LogHandover {
  readonly target: LogTarget;
  readonly state: LogFileState;
  /** The held lines, in the carried blob. */
  readonly carry?: Piece;
}

interface Entry {
  readonly target: LogTarget;
  file: LogFile;
}

export class LogFiles {
  private readonly files = new Map<string, Entry>();
  /** Closed for an exec: the lines appended since, by path. */
  private held: Map<string, { lines: Uint8Array[]; bytes: number }> | null = null;

  constructor(private readonly onEvent: (event: LogFileEvent) => void) {}

  /** The file of `target`, opened (created) now if it is not yet. */
  open(target: LogTarget): LogFile {
    const had = this.files.get(target.path);
    if (had !== undefined) return had.file;
    const file = this.make(target);
    // Opened now, not at its first line: a bad directory is said at once.
    file.reopenNow();
    return file;
  }

  /** Whole lines (several buffers, or one) for the file of `target`; never blocks. */
  append(target: LogTarget, lines: Uint8Array | readonly Uint8Array[]): void {
    const held = this.held;
    if (held === null) return this.open(target).append(lines);
    const parts = lines instanceof Uint8Array ? [lines] : lines;
    const h = held.get(target.path) ?? { lines: [], bytes: 0 };
    held.set(target.path, h);
    const n = parts.reduce((s, p) => s + p.length, 0);
    // Over the bound: the closed file drops and counts them.
    if (h.bytes + n > HELD_MAX) return this.open(target).append(lines);
    for (const p of parts) h.lines.push(p.slice());
    h.bytes += n;
  }

  /** More than half the file's queue is full (a reader may wait: LogFile.whenRoom). Never while held. */
  pressing(target: LogTarget): boolean {
    return this.held === null && this.files.get(target.path)?.file.pressing === true;
  }

  whenRoom(target: LogTarget, maxMs: number): Promise<boolean> {
    const e = this.files.get(target.path);
    return this.held !== null || e === undefined ? Promise.resolve(true) : e.file.whenRoom(maxMs);
  }

  state(path: string): LogFileState | null {
    return this.files.get(path)?.file.state ?? null;
  }

  get size(): number {
    return this.files.size;
  }

  /** Rotate now (ctl rotate): one problem text per file that could not be rotated (or is not open). */
  async rotate(paths: readonly string[]): Promise<string[]> {
    const results = await Promise.all(paths.map(async (path) => {
      const e = this.files.get(path);
      if (e === undefined) return `${path} is not open`;
      if (this.held !== null) return `${path}: a re-exec is under way`;
      return e.file.rotateNow();
    }));
    return results.filter((r): r is string => r !== null);
  }

  reopen(paths: readonly string[]): void {
    if (this.held !== null) return;
    for (const path of paths) this.files.get(path)?.file.reopenNow();
  }

  /** For an exec: close every file, giving what it has queued at most `maxMs`; hold later lines. */
  async hold(maxMs: number): Promise<void> {
    if (this.held !== null) return;
    this.held = new Map();
    await Promise.all([...this.files.values()].map((e) => e.file.close(maxMs)));
  }

  /** The exec did not happen: open every file again, with its counts, and append what was held. */
  release(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    for (const e of this.files.values()) e.file = this.reopened(e);
    for (const [path, h] of held) {
      const e = this.files.get(path);
      if (e !== undefined && h.lines.length > 0) e.file.append(h.lines);
    }
  }

  /** What LOGS_ENV carries (call after `hold`): every file, its counts and its held lines. */
  handOver(carry: CarryWriter): LogHandover[] {
    return [...this.files.values()].map((e) => {
      const piece = carry.add(this.held?.get(e.target.path)?.lines ?? []);
      return { target: e.target, state: e.file.handOver(), ...(piece === null ? {} : { carry: piece }) };
    });
  }

  /**
   * In the new image: open the files LOGS_ENV lists with their counts, and
   * append their held lines first. Returns the problems, one line each.
   */
  takeOver(text: string, blob: Uint8Array | null): string[] {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return ["the log files' counts handed across the re-exec are not valid JSON; they start again from 0."];
    }
    if (!Array.isArray(data)) return ["the log files' counts handed across the re-exec are not a list; they start again from 0."];
    const problems: string[] = [];
    for (const x of data as unknown[]) {
      const h = x as Partial<Record<keyof LogHandover, unknown>> | null;
      if (h === null || typeof h !== "object" || !isLogTarget(h.target) || !isState(h.state, h.target.path) || this.files.has(h.target.path)) {
        problems.push(`a log file handed across the re-exec is invalid (${JSON.stringify(x).slice(0, 200)}); its counts start again from 0.`);
        continue;
      }
      const file = this.make(h.target, h.state);
      const lines = h.carry === undefined ? null : pieceOf(blob, h.carry);
      if (h.carry !== undefined && lines === null) problems.push(`the lines held for ${h.target.path} across the re-exec could not be found; they are lost.`);
      if (lines !== null) file.append(lines);
    }
    return problems;
  }

  /** Close every file for an exit: what is queued gets at most `maxMs`. */
  async closeAll(maxMs: number): Promise<void> {
    await Promise.all([...this.files.values()].map((e) => e.file.close(maxMs)));
  }

  private make(target: LogTarget, restore?: LogFileState): LogFile {
    const file = new LogFile(target.path, {
      maxBytes: target.maxBytes, keep: target.keep, timestamps: target.timestamps, onEvent: this.onEvent,
      ...(restore === undefined ? {} : { restore }),
    });
    this.files.set(target.path, { target, file });
    return file;
  }

  private reopened(e: Entry): LogFile {
    return new LogFile(e.target.path, {
      maxBytes: e.target.maxBytes, keep: e.target.keep, timestamps: e.target.timestamps, onEvent: this.onEvent, restore: e.file.handOver(),
    });
  }
}

function isState(x: unknown, path: string): x is LogFileState {
  const s = x as Partial<Record<keyof LogFileState, unknown>> | null;
  return typeof s === "object" && s !== null && s.path === path &&
    Number.isSafeInteger(s.dropped) && (s.dropped as number) >= 0 &&
    Number.isSafeInteger(s.droppedNow) && (s.droppedNow as number) >= 0 &&
    (s.failing === null || typeof s.failing === "string");
}
