// Reading a file the user named, safely: only a regular file, never more than
// a limit, never blocking. `--config=/dev/zero`, a FIFO nobody writes to, a
// directory or a socket is refused with one line naming the file and what it
// is, before anything is read. How:
//   1. stat(path): anything but a regular file is refused without being
//      opened (opening a FIFO for reading blocks until a writer comes, and
//      opening a device can do things);
//   2. open(O_RDONLY | O_NONBLOCK | O_NOCTTY) and fstat the descriptor: the
//      file may have been replaced in between, so what is read is checked
//      again (O_NONBLOCK makes the open of a FIFO put there meanwhile return
//      at once, and is meaningless for a regular file);
//   3. read at most limit + 1 bytes (a file may grow, and /proc files say
//      size 0): one byte over the limit and it is refused.
// Big files that are read line by line (`lazarus replay`) use `LineReader`,
// which keeps one line at a time, each bounded too.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { fsPath, printable } from "../text/bytes.ts";

/** The limit for the files lazarus reads whole: a config file, a Procfile, a .env file. */
export const TEXT_LIMIT = 1024 * 1024;

/** `missing`: there is no such file (ENOENT), as opposed to one that cannot be read. */
export type Read = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly error: string; readonly missing?: boolean };
export type Opened = { readonly ok: true; readonly fd: number } | { readonly ok: false; readonly error: string; readonly missing?: boolean };

/** What a file is, for a message: "a FIFO (a named pipe)", "a character device", ... */
export function whatItIs(st: Stats): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (a named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file", EACCES: "permission denied", EPERM: "permission denied", ENOTDIR: "a part of its path is not a directory",
  ELOOP: "too many symbolic links", ENAMETOOLONG: "its name is too long", EISDIR: "it is a directory", ENXIO: "it is a socket or a device with nothing behind it",
  EMFILE: "too many open files", ENFILE: "too many open files",
};

/** `name: cannot read it: REASON.` for an error thrown by node:fs. */
function cannot(name: string, e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const reason = typeof code === "string" && REASONS[code] !== undefined ? `${REASONS[code]} (${code})` : e instanceof Error ? e.message : String(e);
  return `${name}: cannot read it: ${reason}.`;
}

function notRegular(name: string, st: Stats): string {
  return `${name}: cannot read it: it is ${whatItIs(st)}, not a regular file.`;
}

/** Open a regular file for reading, without blocking; `name` is how messages call it (escaped: one line). The caller closes the fd. */
export function openRegular(path: string, rawName: string = path): Opened {
  const name = printable(rawName);
  let st: Stats;
  try {
    st = statSync(fsPath(path));
  } catch (e) {
    return { ok: false, error: cannot(name, e), ...((e as { code?: unknown }).code === "ENOENT" ? { missing: true } : {}) };
  }
  if (!st.isFile()) return { ok: false, error: notRegular(name, st) };
  let fd: number;
  try {
    fd = openSync(fsPath(path), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return { ok: false, error: cannot(name, e) };
  }
  try {
    const again = fstatSync(fd);
    if (!again.isFile()) {
      closeSync(fd);
      return { ok: false, error: notRegular(name, again) };
    }
  } catch (e) {
    closeSync(fd);
    return { ok: false, error: cannot(name, e) };
  }
  return { ok: true, fd };
}

/** "1 MiB", "64 KiB", "1500 bytes" */
export function sizeText(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** The whole of a regular file of at most `limit` bytes; otherwise one line saying why not. */
export function readLimited(path: string, limit: number, rawName: string = path): Read {
  const opened = openRegular(path, rawName);
  const name = printable(rawName);
  if (!opened.ok) return opened;
  const fd = opened.fd;
  try {
    const size = fstatSync(fd).size;
    if (size > limit) return { ok: false, error: `${name}: cannot read it: it is ${size} bytes, over the limit of ${sizeText(limit)}.` };
    // Room for one byte more than the limit: a file that grew, or a /proc file that said 0.
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(limit + 1 - total, Math.max(size + 1, 64 * 1024)));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > limit) return { ok: false, error: `${name}: cannot read it: it is over the limit of ${sizeText(limit)}.` };
    }
    return { ok: true, bytes: chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, total) };
  } catch (e) {
    return { ok: false, error: cannot(name, e) };
  } finally {
    closeSync(fd);
  }
}

/** One line of a file read by `LineReader`: its bytes (without the newline), or the fact that it was too long. */
export type Line =
  | { readonly kind: "line"; readonly number: number; readonly bytes: Uint8Array }
  | { readonly kind: "too-long"; readonly number: number; readonly length: number; readonly first: number };

/**
 * A regular file read line by line with bounded memory: one chunk and one line
 * (at most `maxLine` bytes) at a time, however big the file. A longer line is
 * skipped (its bytes are counted, not kept) and reported as too long.
 */
export class LineReader {
  private readonly chunk = Buffer.allocUnsafe(64 * 1024);
  /** The start of the current line (pendingBytes of it), in a buffer that grows up to maxLine and is reused. */
  private pending = Buffer.allocUnsafe(0);
  private pendingBytes = 0;
  /** In a line over maxLine: its bytes so far (it is being skipped), and its first byte. */
  private skipping = -1;
  private skipFirst = -1;
  private number = 0;
  private eof = false;
  private queue: Line[] = [];

  constructor(private readonly fd: number, private readonly maxLine: number) {}

  /** The next line, or null at the end of the file (a last line without a newline is a line too). */
  next(): Line | null {
    while (this.queue.length === 0) {
      if (this.eof) return null;
      this.fill();
    }
    return this.queue.shift() as Line;
  }

  private fill(): void {
    const n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
    if (n === 0) {
      this.eof = true;
      if (this.skipping >= 0) this.queue.push({ kind: "too-long", number: ++this.number, length: this.skipping, first: this.skipFirst });
      else if (this.pendingBytes > 0) this.queue.push({ kind: "line", number: ++this.number, bytes: this.take(Buffer.alloc(0)) });
      this.skipping = -1;
      return;
    }
    const data = this.chunk.subarray(0, n);
    let from = 0;
    for (let nl = data.indexOf(10, from); from < n; nl = data.indexOf(10, from)) {
      const end = nl < 0 ? n : nl;
      const piece = data.subarray(from, end);
      if (this.skipping >= 0) {
        this.skipping += piece.length;
      } else if (this.pendingBytes + piece.length > this.maxLine) {
        this.skipping = this.pendingBytes + piece.length;
        this.skipFirst = (this.pendingBytes > 0 ? this.pending[0] : piece[0]) ?? -1;
        this.pendingBytes = 0;
      } else if (nl >= 0) {
        this.queue.push({ kind: "line", number: this.number + 1, bytes: this.take(piece) });
      } else {
        this.keep(piece); // a copy: the chunk is reused
      }
      if (nl < 0) break;
      this.number++;
      if (this.skipping >= 0) {
        this.queue.push({ kind: "too-long", number: this.number, length: this.skipping, first: this.skipFirst });
        this.skipping = -1;
      }
      from = nl + 1;
    }
  }

  private keep(piece: Uint8Array): void {
    const need = this.pendingBytes + piece.length;
    if (need > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxLine, Math.max(need, 2 * this.pending.length, 64 * 1024)));
      this.pending.copy(grown, 0, 0, this.pendingBytes);
      this.pending = grown;
    }
    this.pending.set(piece, this.pendingBytes);
    this.pendingBytes = need;
  }

  /** The pending start of a line and its last piece, as one buffer of its own. */
  private take(last: Uint8Array): Uint8Array {
    const out = Buffer.allocUnsafe(this.pendingBytes + last.length);
    this.pending.copy(out, 0, 0, this.pendingBytes);
    out.set(last, this.pendingBytes);
    this.pendingBytes = 0;
    return out;
  }
}

/** The production reader of `lazarus replay` (src/cli/replay.ts): a regular file, line by line. */
export function logLines(path: string, maxLine: number):
  | { readonly ok: true; readonly next: () => Line | null; readonly close: () => void }
  | { readonly ok: false; readonly error: string } {
  const opened = openRegular(path);
  if (!opened.ok) return opened;
  const reader = new LineReader(opened.fd, maxLine);
  return { ok: true, next: () => reader.next(), close: () => closeSync(opened.fd) };
}
