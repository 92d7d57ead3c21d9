// Reading files the user named (issue 20, item 2): only regular files, never
// over a limit, never blocking on a FIFO; big files line by line.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { type Line, LineReader, openRegular, readLimited } from "../../src/os/read-limited.ts";
import { budget } from "../properties/budget.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "lazarus-read-"));
  dirs.push(d);
  return d;
}

describe("readLimited", () => {
  test("a regular file up to the limit is read whole", () => {
    const f = join(tempDir(), "a.toml");
    writeFileSync(f, "x".repeat(100));
    const r = readLimited(f, 100);
    expect(r.ok && Buffer.from(r.bytes).toString()).toBe("x".repeat(100));
  });

  test("one byte over the limit is refused, naming the file, its size and the limit", () => {
    const f = join(tempDir(), "big.toml");
    writeFileSync(f, "x".repeat(1024 * 1024 + 1));
    expect(readLimited(f, 1024 * 1024, "big.toml")).toEqual({ ok: false, error: "big.toml: cannot read it: it is 1048577 bytes, over the limit of 1 MiB." });
  });

  test("a FIFO nobody writes to is refused at once, without blocking", () => {
    const fifo = join(tempDir(), "fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    // If this blocked, the test would never end (and time out): it must return.
    expect(readLimited(fifo, 100, "fifo")).toEqual({ ok: false, error: "fifo: cannot read it: it is a FIFO (a named pipe), not a regular file." });
  });

  test("devices, directories and sockets are refused, each called what it is", () => {
    const dir = tempDir();
    const sock = join(dir, "s.sock");
    const listener = Bun.listen({ unix: sock, socket: { data() {} } });
    try {
      expect(readLimited("/dev/zero", 100)).toEqual({ ok: false, error: "/dev/zero: cannot read it: it is a character device, not a regular file." });
      expect(readLimited("/dev/urandom", 100)).toEqual({ ok: false, error: "/dev/urandom: cannot read it: it is a character device, not a regular file." });
      expect(readLimited(dir, 100, "d")).toEqual({ ok: false, error: "d: cannot read it: it is a directory, not a regular file." });
      expect(readLimited(sock, 100, "s.sock")).toEqual({ ok: false, error: "s.sock: cannot read it: it is a socket, not a regular file." });
    } finally {
      listener.stop(true);
    }
  });

  test("a missing file, and a path through a file", () => {
    const f = join(tempDir(), "f");
    writeFileSync(f, "");
    expect(readLimited(join(f, "x"), 100, "f/x")).toEqual({ ok: false, error: "f/x: cannot read it: a part of its path is not a directory (ENOTDIR)." });
    expect(readLimited(`${f}.absent`, 100, "absent")).toEqual({ ok: false, missing: true, error: "absent: cannot read it: no such file (ENOENT)." });
  });

  test("a /proc file (size 0 in stat) is read to its end, within the limit", () => {
    const r = readLimited("/proc/self/status", 1024 * 1024);
    expect(r.ok && Buffer.from(r.bytes).toString()).toContain("Pid:");
    expect(readLimited("/proc/self/status", 10, "status")).toEqual({ ok: false, error: "status: cannot read it: it is over the limit of 10 bytes." });
  });

  test("openRegular refuses the same things (replay's way in)", () => {
    expect(openRegular("/dev/zero")).toEqual({ ok: false, error: "/dev/zero: cannot read it: it is a character device, not a regular file." });
  });
});

/** Every line a LineReader gives for `text` with this maxLine. */
function readAll(text: Uint8Array, maxLine: number): Line[] {
  const f = join(tempDir(), "log");
  writeFileSync(f, text);
  const fd = openSync(f, "r");
  const reader = new LineReader(fd, maxLine);
  const out: Line[] = [];
  for (let l = reader.next(); l !== null; l = reader.next()) out.push(l);
  return out;
}

/** What LineReader must give: split at newlines, a last line without one is a line, lines over maxLine are only measured. */
function expected(text: Uint8Array, maxLine: number): unknown[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === 10) {
      parts.push(text.subarray(from, i));
      from = i + 1;
    }
  }
  if (from < text.length) parts.push(text.subarray(from));
  return parts.map((p, i) => (p.length > maxLine
    ? { kind: "too-long", number: i + 1, length: p.length, first: p[0] }
    : { kind: "line", number: i + 1, bytes: [...p] }));
}

describe("LineReader", () => {
  test("lines across 64 KiB chunks, a last line without a newline, a line over the limit skipped", () => {
    const long = "y".repeat(200_000);
    const text = Buffer.from(`a\n\n${"x".repeat(70_000)}\n{${long}\nlast`);
    const lines = readAll(text, 100_000);
    expect(lines.map((l) => (l.kind === "line" ? Buffer.from(l.bytes).toString().length : `long ${l.length} ${String.fromCharCode(l.first)}`))).toEqual([
      1, 0, 70_000, "long 200001 {", 4,
    ]);
    expect(lines.map((l) => l.number)).toEqual([1, 2, 3, 4, 5]);
  });

  test("property: any bytes, any limit: the lines of a plain split (numbered), too-long ones measured", () => {
    const byte = fc.oneof(fc.constant(10), fc.constant(123), fc.integer({ min: 0, max: 255 }));
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.array(byte, { maxLength: 40 }).map((a) => Uint8Array.from(a)), fc.integer({ min: 60_000, max: 140_000 }).map((n) => new Uint8Array(n).fill(65))), { maxLength: 8 }),
      fc.integer({ min: 0, max: 100_000 }),
      (pieces, maxLine) => {
        const text = Buffer.concat(pieces);
        const got = readAll(text, maxLine).map((l) => (l.kind === "line" ? { ...l, bytes: [...l.bytes] } : l));
        expect(got).toEqual(expected(text, maxLine) as never);
      },
    ), budget(60));
  });
});
