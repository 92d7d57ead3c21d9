// The bytes a re-exec carries across: what lazarus had read from servers' pipes
// but not yet written (an unfinished line, what Bun had read ahead), and lines
// for a log file that arrived while it was closed for the exec. They go into
// a memfd (an anonymous file in memory, kept open across the execve; an
// unlinked temporary file where there is no memfd), whose fd the new image
// finds in CARRY_ENV: an environment variable could not hold them (128 KiB
// at most). Each user of the blob remembers its pieces as [offset, length].
import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memfdCreate, setCloseOnExec } from "./libc.ts";

/** Where a piece is in the carried blob. */
export type Piece = readonly [offset: number, length: number];

/** Collects the pieces of the blob, in order. */
export class CarryWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  /** Add bytes (several parts, one piece); null when there are none. */
  add(parts: readonly Uint8Array[]): Piece | null {
    const n = parts.reduce((s, p) => s + p.length, 0);
    if (n === 0) return null;
    const piece: Piece = [this.length, n];
    for (const p of parts) if (p.length > 0) this.parts.push(p);
    this.length += n;
    return piece;
  }

  get size(): number {
    return this.length;
  }

  /**
   * The blob in a file kept open across an exec (FD_CLOEXEC cleared): its fd,
   * and `close` for when the exec did not happen; or why it could not be made.
   */
  open(): { readonly fd: number; readonly close: () => void } | { readonly error: string } {
    let fd: number;
    const mem = memfdCreate("lazarus-carry");
    if (typeof mem === "number") {
      fd = mem;
    } else {
      try {
        const path = join(tmpdir(), `lazarus-carry-${process.pid}-${Date.now()}`);
        fd = openSync(path, "w+", 0o600);
        unlinkSync(path);
      } catch (e) {
        return { error: `${mem.error}; a temporary file: ${(e as Error).message}` };
      }
    }
    try {
      for (const p of this.parts) {
        let at = 0;
        while (at < p.length) at += writeSync(fd, p, at);
      }
      const problem = setCloseOnExec(fd, false);
      if (problem !== null) throw new Error(problem);
    } catch (e) {
      closeSync(fd);
      return { error: `cannot write what is carried across the exec: ${(e as Error).message}` };
    }
    return { fd, close: () => { try { closeSync(fd); } catch { /* closed */ } } };
  }
}

/** In the new image: the blob at the fd CARRY_ENV names (closed once read), or why not. */
export function readCarried(text: string): Uint8Array | { readonly error: string } {
  const fd = Number(text);
  if (!Number.isSafeInteger(fd) || fd < 3) return { error: `the carried bytes' fd ${JSON.stringify(text.slice(0, 20))} is not an fd` };
  try {
    const size = fstatSync(fd).size;
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, out, at, size - at, at);
      if (n <= 0) break;
      at += n;
    }
    return out.subarray(0, at);
  } catch (e) {
    return { error: `cannot read the carried bytes (fd ${fd}): ${(e as Error).message}` };
  } finally {
    try { closeSync(fd); } catch { /* not open */ }
  }
}

/** A piece of the blob, if it is a well-formed one within it; else null. */
export function pieceOf(blob: Uint8Array | null, x: unknown): Uint8Array | null {
  if (blob === null || !Array.isArray(x) || x.length !== 2) return null;
  const [off, len] = x as unknown[];
  if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || (off as number) < 0 || (len as number) <= 0) return null;
  if ((off as number) + (len as number) > blob.length) return null;
  return blob.subarray(off as number, (off as number) + (len as number));
}
