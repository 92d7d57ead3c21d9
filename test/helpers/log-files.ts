// Helpers of the log-file tests: temporary directories, a tiny tmpfs (where we
// may mount one), the lines of a rotated set, and waiting for a LogFile event.
import { afterEach } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogFile, LogFileEvent } from "../../src/os/log-file.ts";
import { rotatedSet } from "../../src/os/log-read.ts";

/** A new empty directory, removed (after unmounting what the test mounted on it) by `cleanup`. */
export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `lazarus-${tag}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * For a test file: what to undo after each test (run in reverse), and `dir`,
 * a new empty directory removed after the test.
 */
export function perTestDirs(): { readonly cleanups: (() => void)[]; dir(tag: string): string } {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });
  return {
    cleanups,
    dir(tag) {
      const d = tempDir(tag);
      cleanups.push(() => removeDir(d));
      return d;
    },
  };
}

/** Why a tmpfs cannot be mounted here (not root, or no permission), or null once `dir` has one of `size` bytes. */
export function mountTmpfs(dir: string, size: string, readOnly = false): string | null {
  if (process.getuid?.() !== 0) return `not root (uid ${process.getuid?.()}): cannot mount a tmpfs`;
  const opts = `size=${size}${readOnly ? ",ro" : ""}`;
  const r = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) return `mount -t tmpfs failed (not permitted here?): ${r.stderr.toString().trim()}`;
  return null;
}

export function remount(dir: string, mode: "ro" | "rw"): void {
  const r = Bun.spawnSync(["mount", "-o", `remount,${mode}`, dir], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`remount ${mode} ${dir}: ${r.stderr.toString().trim()}`);
}

export function unmount(dir: string): void {
  Bun.spawnSync(["umount", "-l", dir], { stdout: "ignore", stderr: "ignore" });
}

/** The files of the rotated set of `path`, oldest first, each with its text. */
export function readSet(path: string): { file: string; text: string }[] {
  return rotatedSet(path).map((file) => ({ file, text: readFileSync(file, "utf8") }));
}

/** Events of a LogFile, with a way to wait for each one in turn. */
export class Events {
  readonly all: LogFileEvent[] = [];
  private readonly taken = { dropping: 0, resumed: 0 };
  private waiters: { kind: LogFileEvent["kind"]; resolve: () => void }[] = [];

  readonly listener = (e: LogFileEvent): void => {
    this.all.push(e);
    for (const w of this.waiters.splice(0)) w.resolve();
  };

  /** The first event of `kind` not yet returned by `next` (waiting for it if need be). */
  async next<K extends LogFileEvent["kind"]>(kind: K): Promise<Extract<LogFileEvent, { kind: K }>> {
    for (;;) {
      const e = this.all.filter((x) => x.kind === kind)[this.taken[kind]];
      if (e !== undefined) {
        this.taken[kind]++;
        return e as Extract<LogFileEvent, { kind: K }>;
      }
      await new Promise<void>((resolve) => this.waiters.push({ kind, resolve }));
    }
  }
}

/** Numbered lines "PREFIX 000001\n" … as one buffer. */
export function numbered(from: number, to: number, prefix = "line"): Buffer {
  let s = "";
  for (let i = from; i <= to; i++) s += `${prefix} ${String(i).padStart(6, "0")}\n`;
  return Buffer.from(s);
}

/**
 * Append lines `from`..`to` in batches of `per`, waiting for the file whenever
 * half its queue is full (a test that wants no drops); then, unless `settle`
 * is false, until all is written.
 */
export async function feed(log: LogFile, from: number, to: number, per = 100, settle = true): Promise<void> {
  for (let i = from; i <= to; i += per) {
    log.append(numbered(i, Math.min(to, i + per - 1)));
    if (log.queuedBytes > 128 * 1024) await log.flush(60_000);
  }
  if (settle) await log.flush(60_000);
}
