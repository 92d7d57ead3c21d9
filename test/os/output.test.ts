// Prefixed output mechanics, on real pipes and real children: whole lines,
// partial last lines, pieces of over-long lines, colour only on a terminal,
// order and integrity through a slow or non-blocking destination, the reader
// registry for a re-exec.
import { afterEach, describe, expect, test } from "bun:test";
import { dlopen, FFIType } from "bun:ffi";
import { closeSync, openSync, writeSync } from "node:fs";
import fc from "fast-check";
import { makePipe } from "../../src/os/libc.ts";
import { LineSplitter, MAX_OUTPUT_LINE, OutputHub, prefixText } from "../../src/os/output.ts";
import type { TerminalSpec } from "../../src/os/port.ts";
import { PIPE_BUF, pipeChunk, sameFile, Sink, sinksFor } from "../../src/os/sink.ts";
import { propertySeed } from "../helpers/seed.ts";

const seed = propertySeed("test/os/output.test.ts");
const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);
const text = (parts: Uint8Array[]) => dec.decode(Buffer.concat(parts));

const opened: number[] = [];
function pipe(): { read: number; write: number } {
  const p = makePipe();
  if ("error" in p) throw new Error(p.error);
  opened.push(p.read, p.write);
  return p;
}
afterEach(() => {
  for (const fd of opened.splice(0)) {
    try { closeSync(fd); } catch { /* closed by the code under test */ }
  }
});

/** Everything that arrives on fd until EOF. */
async function readAll(fd: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of Bun.file(fd).stream()) chunks.push(c.slice());
  return text(chunks);
}

describe("LineSplitter", () => {
  test("complete lines out, the unfinished one held, and flushed with a newline at the end", () => {
    const s = new LineSplitter(16);
    expect(s.push(bytes("one\ntw")).map((b) => dec.decode(b))).toEqual(["one\n"]);
    expect(s.held).toBe(2);
    expect(s.push(bytes("o\n\nthr")).map((b) => dec.decode(b))).toEqual(["two\n", "\n"]);
    expect(s.end().map((b) => dec.decode(b))).toEqual(["thr\n"]);
    expect(s.end()).toEqual([]);
  });

  test("a line longer than the limit comes out in pieces of the limit, each ending a line", () => {
    const s = new LineSplitter(4);
    expect(s.push(bytes("abcdefghij")).map((b) => dec.decode(b))).toEqual(["abcd\n", "efgh\n"]);
    expect(s.held).toBe(2);
    expect(s.push(bytes("kl\nmnop\n")).map((b) => dec.decode(b))).toEqual(["ijkl\n", "mnop\n"]);
    expect(s.held).toBe(0);
  });

  test("pieces are not cut inside a UTF-8 character", () => {
    const s = new LineSplitter(4);
    const out = s.push(bytes("aé€b\n")).map((b) => dec.decode(b)); // a(1) é(2) €(3) b(1)
    expect(out).toEqual(["aé\n", "€b\n"]);
  });

  test("property: no byte lost or invented, pieces within the limit, the same whatever the chunking", () => {
    const data = fc.array(fc.constantFrom("a", "é", "€", "\n", "xyz", "\n\n", "😀"), { maxLength: 60 }).map((xs) => bytes(xs.join("")));
    fc.assert(fc.property(data, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 4, max: 12 }), (input, cuts, max) => {
      const run = (chunks: Uint8Array[]) => {
        const s = new LineSplitter(max);
        const out: Uint8Array[] = [];
        for (const c of chunks) {
          out.push(...s.push(c));
          expect(s.held).toBeLessThanOrEqual(max);
        }
        out.push(...s.end());
        return out;
      };
      const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
      const chunks = [0, ...points].map((p, i, all) => input.subarray(p, all[i + 1] ?? input.length));
      const whole = run([input]);
      const split = run(chunks);
      expect(split.map((b) => dec.decode(b))).toEqual(whole.map((b) => dec.decode(b)));
      for (const piece of whole) {
        expect(piece[piece.length - 1]).toBe(0x0a);
        expect(piece.length).toBeLessThanOrEqual(max + 1);
      }
      const strip = (b: Uint8Array) => Buffer.from(b).toString("latin1").replaceAll("\n", "");
      expect(strip(Buffer.concat(whole))).toBe(strip(input));
      // Lines within the limit come out exactly as they went in.
      if (dec.decode(input).split("\n").every((l) => bytes(l).length <= max)) {
        const expected = input.length === 0 || input[input.length - 1] === 0x0a ? dec.decode(input) : `${dec.decode(input)}\n`;
        expect(text(whole)).toBe(expected);
      }
    }), { seed, numRuns: 500 });
  });
});

describe("LineSplitter: which pieces begin a line (readiness tests those only)", () => {
  test("the second and later pieces of an over-long line do not; the next line does", () => {
    const s = new LineSplitter(4);
    const starts: boolean[] = [];
    expect(s.push(bytes("abcdefghij"), starts).map((b) => dec.decode(b))).toEqual(["abcd\n", "efgh\n"]);
    expect(s.push(bytes("\nxy\nlonger-one"), starts).map((b) => dec.decode(b))).toEqual(["ij\n", "xy\n", "long\n", "er-o\n"]);
    expect(s.end(starts).map((b) => dec.decode(b))).toEqual(["ne\n"]);
    expect(starts).toEqual([true, false, false, true, true, false, false]);
  });

  test("property: grouping the pieces at each start gives back the lines of the input, whatever the chunking", () => {
    const data = fc.array(fc.constantFrom("a", "é", "€", "\n", "xyz", "\n\n", "😀", "0123456789"), { maxLength: 60 }).map((xs) => xs.join(""));
    fc.assert(fc.property(data, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 4, max: 12 }), (input, cuts, max) => {
      const b = bytes(input);
      const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
      const s = new LineSplitter(max);
      const starts: boolean[] = [];
      const out: Uint8Array[] = [];
      for (const [i, p] of [0, ...points].entries()) out.push(...s.push(b.subarray(p, points[i] ?? b.length), starts));
      out.push(...s.end(starts));
      expect(starts).toHaveLength(out.length);
      const lines: string[] = [];
      out.forEach((piece, i) => {
        const t = dec.decode(piece.subarray(0, piece.length - 1));
        if (starts[i]) lines.push(t);
        else lines[lines.length - 1] += t;
      });
      const expected = input.split("\n");
      if (expected.at(-1) === "") expected.pop();
      expect(lines).toEqual(expected);
    }), { seed, numRuns: 300 });
  });
});

describe("prefixes", () => {
  test("padded name and a bar; coloured only for a terminal", () => {
    expect(prefixText("web", 6, "36", false)).toBe("web    | ");
    expect(prefixText("web", 6, "36", true)).toBe("\x1b[36mweb    |\x1b[0m ");
    expect(prefixText("web", 0, null, true)).toBe("web | ");
  });
});

describe("pipeChunk: how much of a batch of lines one write to a pipe takes", () => {
  test("all of a batch that fits; else whole lines up to PIPE_BUF; a longer first line is cut at PIPE_BUF", () => {
    const line = (n: number) => bytes(`${"y".repeat(n - 1)}\n`);
    expect(pipeChunk(line(PIPE_BUF))).toBe(PIPE_BUF);
    expect(pipeChunk(Buffer.concat([line(100), line(200)]))).toBe(300);
    expect(pipeChunk(Buffer.concat([line(3000), line(1096), line(10)]))).toBe(PIPE_BUF);
    expect(pipeChunk(Buffer.concat([line(3000), line(1097)]))).toBe(3000);
    expect(pipeChunk(line(PIPE_BUF + 1))).toBe(PIPE_BUF);
    expect(pipeChunk(bytes("abc\ndef\n"), 5)).toBe(4);
  });

  test("property: chunk after chunk, every chunk is at most PIPE_BUF bytes and whole lines, when the lines are", () => {
    const lines = fc.array(fc.integer({ min: 1, max: PIPE_BUF }), { minLength: 1, maxLength: 40 });
    fc.assert(fc.property(lines, (sizes) => {
      let rest: Uint8Array = Buffer.concat(sizes.map((n) => bytes(`${"z".repeat(n - 1)}\n`)));
      const chunks: number[] = [];
      while (rest.length > 0) {
        const n = pipeChunk(rest);
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(PIPE_BUF);
        expect(rest[n - 1]).toBe(0x0a);
        chunks.push(n);
        rest = rest.subarray(n);
      }
      expect(chunks.reduce((a, b) => a + b, 0)).toBe(sizes.reduce((a, b) => a + b, 0));
    }), { seed, numRuns: 300 });
  });
});

describe("one writer per file", () => {
  test("two fds of the same pipe (2>&1) share one writer; two different pipes do not", () => {
    const p = pipe();
    const q = pipe();
    const again = openSync(`/proc/self/fd/${p.write}`, "w"); // the same pipe through another fd, as after 2>&1
    opened.push(again);
    expect(sameFile(p.write, again)).toBe(true);
    expect(sameFile(p.write, q.write)).toBe(false);
    expect(sameFile(p.write, 987)).toBe(false);
    const joined = sinksFor(p.write, again);
    expect(joined.stderr).toBe(joined.stdout);
    expect(joined.stdout.pipe).toBe(true);
    const apart = sinksFor(p.write, q.write);
    expect(apart.stderr).not.toBe(apart.stdout);
  });

  test("a file is not a pipe: written in batches as they come", () => {
    const f = openSync(import.meta.path, "r");
    opened.push(f);
    expect(new Sink(f, { tty: false }).pipe).toBe(false);
    expect(new Sink(pipe().write, { tty: false }).pipe).toBe(true);
  });
});

describe("Sink: server output (back-pressured writes)", () => {
  test("to a pipe, writes are atomic: two writers on two fds of one pipe (the old 2>&1 case) never cut nor mix a line", async () => {
    const p = pipe();
    const again = openSync(`/proc/self/fd/${p.write}`, "w");
    opened.push(again);
    const writers = [new Sink(p.write, { tty: false }), new Sink(again, { tty: false })];
    // Batches of whole lines (of varied lengths), each larger than the pipe holds, both writers at once.
    const BATCHES = 6;
    const LINES = 200;
    const batch = (w: number, b: number) => bytes(Array.from({ length: LINES }, (_, i) => `w${w}-b${b}-l${i}-${"q".repeat(800 + ((i * 397) % 2400))}\n`).join(""));
    const expected = [0, 1].map((w) => Array.from({ length: BATCHES }, (_, b) => dec.decode(batch(w, b))).join(""));
    const writes = writers.flatMap((writer, w) => Array.from({ length: BATCHES }, (_, b) => writer.write(batch(w, b))));
    const got = readAll(p.read);
    await Promise.all(writes);
    for (const w of writers) w.close();
    closeSync(p.write);
    closeSync(again);
    const lines = (await got).split("\n").slice(0, -1);
    expect(lines.filter((l) => !/^w[01]-b\d+-l\d+-q+$/.test(l)).map((l) => `${l.slice(0, 20)}... (${l.length} bytes)`)).toEqual([]);
    for (const w of [0, 1]) {
      const mine = lines.filter((l) => l.startsWith(`w${w}-`));
      expect(mine.map((l) => `${l}\n`).join("")).toBe(expected[w] as string);
    }
    expect(lines).toHaveLength(2 * BATCHES * LINES);
  });


  test("batches arrive whole and in order through a pipe nobody reads yet, and the event loop goes on meanwhile", async () => {
    const p = pipe();
    const w = new Sink(p.write, { tty: false });
    const big = (c: string) => bytes(`${c.repeat(300_000)}\n`); // more than a pipe holds
    let done = 0;
    const writes = ["a", "b", "c"].map((c) => w.write(big(c)).then(() => { done++; }));
    // A timer runs while the first write waits for a reader: nothing blocked the loop.
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(0);
    expect(w.idle).toBe(false);
    const got = readAll(p.read);
    await Promise.all(writes);
    expect(w.idle).toBe(true);
    w.close();
    closeSync(p.write);
    expect(await got).toBe(["a", "b", "c"].map((c) => `${c.repeat(300_000)}\n`).join(""));
  });

  test("a non-blocking destination: partial writes are continued, EAGAIN is waited out, nothing is lost", async () => {
    const p = pipe();
    const libc = dlopen("libc.so.6", { fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
    const F_GETFL = 3;
    const F_SETFL = 4;
    const O_NONBLOCK = 0o4000;
    expect(libc.symbols.fcntl(p.write, F_SETFL, libc.symbols.fcntl(p.write, F_GETFL, 0) | O_NONBLOCK)).toBe(0);
    const w = new Sink(p.write, { tty: false, reopen: false });
    const payload = Array.from({ length: 2000 }, (_, i) => `line ${i} ${"x".repeat(500)}\n`);
    const writes = payload.map((l) => w.write(bytes(l)));
    const got = readAll(p.read);
    await Promise.all(writes);
    closeSync(p.write);
    expect(await got).toBe(payload.join(""));
  });

  test("a destination that is gone (EPIPE) drops output instead of failing or waiting", async () => {
    const p = pipe();
    closeSync(p.read);
    const w = new Sink(p.write, { tty: false });
    await w.write(bytes("lost\n"));
    await w.write(bytes("lost too\n"));
    expect(w.idle).toBe(true);
  });
});

describe("OutputHub", () => {
  /** A hub writing to two pipes, written to as a terminal (tty) or a file would be, or as the pipes they are. */
  function hub(tty = false, asPipe = !tty) {
    const out = pipe();
    const err = pipe();
    const sinks = [new Sink(out.write, { tty, pipe: asPipe }), new Sink(err.write, { tty, pipe: asPipe })] as const;
    const h = new OutputHub({ stdout: sinks[0], stderr: sinks[1], colour: true });
    // Read "lazarus's" stdout and stderr all along, as a terminal would.
    const got = { out: readAll(out.read), err: readAll(err.read) };
    return {
      h,
      /** What the hub wrote to them, once every reader has ended. */
      async results(): Promise<{ out: string; err: string }> {
        await h.drain(5000, 60_000);
        expect(h.idle).toBe(true);
        for (const sink of sinks) sink.close();
        closeSync(out.write);
        closeSync(err.write);
        return { out: await got.out, err: await got.err };
      },
    };
  }

  function spawnWith(h: OutputHub, name: string, width: number, script: string, color: string | null = null): number {
    const pipes = h.open({ kind: "piped", name, terminal: { kind: "prefix", width, color }, log: null, ready: null });
    if ("error" in pipes) throw new Error(pipes.error);
    const proc = Bun.spawn({ cmd: ["/bin/sh", "-c", script], stdio: ["ignore", pipes.stdout, pipes.stderr] });
    pipes.started(proc.pid);
    return proc.pid;
  }

  test("stdout and stderr of a child, each to its own destination, prefixed, the partial last line flushed", async () => {
    const { h, results } = hub();
    const pid = spawnWith(h, "web", 5, "echo out one; echo err one >&2; printf 'out two'; printf 'err two' >&2");
    expect(h.list().map((r) => ({ ...r, fd: typeof r.fd }))).toEqual([
      { pid, fd: "number", name: "web", stream: "stdout", terminal: { kind: "prefix", width: 5, color: null }, log: null, ready: null },
      { pid, fd: "number", name: "web", stream: "stderr", terminal: { kind: "prefix", width: 5, color: null }, log: null, ready: null },
    ]);
    const { out, err } = await results();
    expect(out).toBe("web   | out one\nweb   | out two\n");
    expect(err).toBe("web   | err one\nweb   | err two\n");
    expect(h.list()).toEqual([]);
    expect(h.idle).toBe(true);
  });

  test("colour when the destination is a terminal", async () => {
    const { h, results } = hub(true);
    spawnWith(h, "db", 2, "echo hi", "35");
    expect((await results()).out).toBe("\x1b[35mdb |\x1b[0m hi\n");
  });

  test("a line longer than MAX_OUTPUT_LINE comes out in prefixed pieces (to a terminal or a file)", async () => {
    const { h, results } = hub(false, false);
    const n = MAX_OUTPUT_LINE * 2 + 10;
    spawnWith(h, "w", 1, `head -c ${n} /dev/zero | tr '\\0' 'z'; echo`);
    const lines = (await results()).out.split("\n").slice(0, -1);
    expect(lines.map((l) => l.length)).toEqual([MAX_OUTPUT_LINE + 4, MAX_OUTPUT_LINE + 4, 10 + 4]);
    expect(lines.every((l) => /^w \| z+$/.test(l))).toBe(true);
  });

  test("to a pipe, a long line comes out in prefixed pieces of at most PIPE_BUF bytes, newline included", async () => {
    const { h, results } = hub();
    const n = 10_000;
    spawnWith(h, "web", 5, `head -c ${n} /dev/zero | tr '\\0' 'z'; echo; echo short`);
    const lines = (await results()).out.split("\n").slice(0, -1);
    const piece = PIPE_BUF - "web   | ".length - 1;
    expect(lines.map((l) => l.length)).toEqual([PIPE_BUF - 1, PIPE_BUF - 1, n - 2 * piece + 8, 5 + 8]);
    expect(lines.slice(0, 3).every((l) => /^web {3}\| z+$/.test(l))).toBe(true);
    expect(lines[3]).toBe("web   | short");
  });

  test("two children writing long lines at once: every line whole, each server's lines in order", async () => {
    const { h, results } = hub();
    const script = (tag: string) => `p=${tag}; i=0; while [ $i -lt 10 ]; do p=$p$p; i=$((i+1)); done; ` +
      `i=0; while [ $i -lt 400 ]; do echo "${tag}-$i-$p"; i=$((i+1)); done`;
    spawnWith(h, "a", 1, script("a"));
    spawnWith(h, "b", 1, script("b"));
    const lines = (await results()).out.split("\n").slice(0, -1);
    expect(lines).toHaveLength(800);
    const a = "a".repeat(1024);
    const b = "b".repeat(1024);
    for (const tag of ["a", "b"]) {
      const mine = lines.filter((l) => l.startsWith(`${tag} | `));
      expect(mine).toEqual(Array.from({ length: 400 }, (_, i) => `${tag} | ${tag}-${i}-${tag === "a" ? a : b}`));
    }
  });

  test("resume: an fd inherited across a re-exec is read on as before", async () => {
    const { h, results } = hub();
    const p = pipe();
    writeSync(p.write, "before the exec\nhalf a li");
    const info = { pid: 4242, fd: p.read, name: "old", stream: "stderr", terminal: { kind: "prefix", width: 3, color: null }, log: null, ready: null } as const;
    h.resume(info);
    expect(h.list()).toEqual([info]);
    writeSync(p.write, "ne\nafter\n");
    closeSync(p.write);
    expect((await results()).err).toBe("old | before the exec\nold | half a line\nold | after\n");
  });
});

describe("OutputHub: readiness by a line of output (ready = { log = … })", () => {
  /** A hub writing to one pipe read all along, its match listener recording pids. */
  function hub() {
    const out = pipe();
    const sink = new Sink(out.write, { tty: false, pipe: true });
    const h = new OutputHub({ stdout: sink, stderr: sink, colour: false });
    const matched: number[] = [];
    h.onMatch = (pid) => matched.push(pid);
    const got = readAll(out.read);
    return {
      h,
      matched,
      /** What the hub wrote, once every reader has ended and the match listener has had its turn. */
      async results(): Promise<string> {
        await h.drain(5000, 60_000);
        expect(h.idle).toBe(true);
        await new Promise<void>((resolve) => setImmediate(resolve));
        sink.close();
        closeSync(out.write);
        return got;
      },
    };
  }

  function spawnWith(h: OutputHub, ready: string | null, script: string, terminal: TerminalSpec = { kind: "plain" }): number {
    const pipes = h.open({ kind: "piped", name: "srv", terminal, log: null, ready });
    if ("error" in pipes) throw new Error(pipes.error);
    const proc = Bun.spawn({ cmd: ["/bin/sh", "-c", script], stdio: ["ignore", pipes.stdout, pipes.stderr] });
    pipes.started(proc.pid);
    return proc.pid;
  }

  test("told once, with the pid, at the first line that matches (stdout or stderr); the lines go on, unprefixed", async () => {
    const { h, matched, results } = hub();
    const pid = spawnWith(h, "listening on :(\\d+)$", "echo starting; echo 'listening on :8080' >&2; echo 'listening on :8081'; echo done");
    expect(h.list().map((r) => r.ready)).toEqual(["listening on :(\\d+)$", "listening on :(\\d+)$"]);
    const out = await results();
    expect(matched).toEqual([pid]);
    expect(out.split("\n").sort()).toEqual(["", "done", "listening on :8080", "listening on :8081", "starting"]);
  });

  test("no line matches: never told; prefixed and discarded output are tested alike", async () => {
    const { h, matched, results } = hub();
    spawnWith(h, "^ready$", "echo not ready; echo 'ready?'; printf 'almost ready'", { kind: "prefix", width: 3, color: null });
    spawnWith(h, "^ready$", "echo nope", { kind: "none" });
    expect(await results()).toBe("srv | not ready\nsrv | ready?\nsrv | almost ready\n");
    expect(matched).toEqual([]);
  });

  test("a line ending in CRLF matches a pattern anchored at its end; a last line without a newline is tested too", async () => {
    const { h, matched, results } = hub();
    const a = spawnWith(h, "ready$", "printf 'ready\\r\\n'");
    const b = spawnWith(h, "^up", "printf 'x\\nup and running'");
    const c = spawnWith(h, null, "echo ready");
    await results();
    expect(matched.sort()).toEqual([a, b].sort());
    expect(matched).not.toContain(c);
  });

  test("a pattern that takes too long on a line (it backtracks badly) is given up for that child, with one problem, and its later lines are not tested", async () => {
    const { h, matched, results } = hub();
    const problems: string[] = [];
    h.onProblem = (text) => problems.push(text);
    // (a+)+$ on a run of a's that ends in '!' backtracks until JavaScriptCore gives up (about a second); 'aaa' would match.
    const slow = spawnWith(h, "^(a+)+$", `echo ${"a".repeat(30)}!; echo aaa`);
    const fine = spawnWith(h, "^(a+)+$", "echo aaa");
    await results();
    expect(matched).toEqual([fine]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^'srv' \\(pid ${slow}\\): its ready pattern "\\^\\(a\\+\\)\\+\\$" took \\d+ ms on one line of its output, which holds up lazarus: it is tested no more`));
  });

  test("many lines that each take the pattern a while (none of them too long alone) are given up too: their sum would hold up lazarus", async () => {
    const { h, matched, results } = hub();
    const problems: string[] = [];
    h.onProblem = (text) => problems.push(text);
    // (a+)+$ on 18 a's and a '!' takes some milliseconds a line (well under a second; far less than
    // JavaScriptCore's limit): 300 of them, written at once, took seconds of the event loop in one go.
    const lines = Array.from({ length: 300 }, () => `${"a".repeat(18)}!`).join("\\n");
    const slow = spawnWith(h, "^(a+)+$", `printf '${lines}\\naaa\\n'`);
    await results();
    expect(matched).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^'srv' \\(pid ${slow}\\): its ready pattern "\\^\\(a\\+\\)\\+\\$" took \\d+ ms on \\d+ lines of its output, which holds up lazarus: it is tested no more`));
  });

  test("a line longer than MAX_OUTPUT_LINE is tested on its first piece only", async () => {
    const { h, matched, results } = hub();
    const long = `head -c ${MAX_OUTPUT_LINE + 100} /dev/zero | tr '\\0' 'z'`;
    // the mark is in the second piece: no match; a later short line matches
    const late = spawnWith(h, "MARK", `${long}; echo MARK-late; echo; echo 'then MARK'`);
    const never = spawnWith(h, "MARK", `${long}; echo MARK`);
    // the mark in the first piece matches
    const first = spawnWith(h, "^MARK", `printf MARK; ${long}; echo`);
    await results();
    expect(matched.sort()).toEqual([late, first].sort());
    expect(matched).not.toContain(never);
  });

  test("tested only until the first match: handed across a re-exec while unmatched, and not after", async () => {
    const { h, matched, results } = hub();
    const p = pipe();
    const q = pipe();
    h.resume({ pid: 4242, fd: p.read, name: "old", stream: "stdout", terminal: { kind: "none" }, log: null, ready: "^go$" });
    h.resume({ pid: 4242, fd: q.read, name: "old", stream: "stderr", terminal: { kind: "none" }, log: null, ready: "^go$" });
    const before = h.handOver();
    before.undo();
    expect(JSON.parse(before.env ?? "[]").map((e: { ready: unknown }) => e.ready)).toEqual(["^go$", "^go$"]);
    writeSync(q.write, "go\n");
    // Wait for the match (an event, not a time).
    while (matched.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(matched).toEqual([4242]);
    expect(h.list().map((r) => r.ready)).toEqual([null, null]);
    const env = h.handOver();
    env.undo();
    expect(JSON.parse(env.env ?? "[]").map((e: { ready: unknown }) => e.ready)).toEqual([null, null]);
    writeSync(p.write, "go\n");
    closeSync(p.write);
    closeSync(q.write);
    await results();
    expect(matched).toEqual([4242]);
  });

  test("a child whose end was reported is tested no more: its late lines never tell the readiness of a new child given its pid", async () => {
    const { h, matched, results } = hub();
    const old = pipe();
    const neu = pipe();
    h.resume({ pid: 4242, fd: old.read, name: "old", stream: "stdout", terminal: { kind: "none" }, log: null, ready: "^go$" });
    // It wrote its ready line and died; the port reaped it (told the hub) before the line was read.
    writeSync(old.write, "go\n");
    h.childEnded(4242);
    // The kernel hands 4242 to the next child, with its own pattern.
    h.resume({ pid: 4242, fd: neu.read, name: "new", stream: "stdout", terminal: { kind: "none" }, log: null, ready: "^go$" });
    closeSync(old.write);
    // Wait for the old stream's reader to end (its lines read): an event, not a time.
    while (h.list().some((r) => r.fd === old.read)) await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(matched).toEqual([]);
    expect(h.list().map((r) => r.ready)).toEqual(["^go$"]);
    // The new child's own line is what makes it ready.
    writeSync(neu.write, "go\n");
    closeSync(neu.write);
    await results();
    expect(matched).toEqual([4242]);
  });

  test("a reader of an ended child stays untested across a re-exec, also when a new child has its pid", async () => {
    const { h } = hub();
    const old = pipe();
    const neu = pipe();
    h.resume({ pid: 4242, fd: old.read, name: "old", stream: "stdout", terminal: { kind: "none" }, log: null, ready: "^go$" });
    // Reaped; a grandchild of it still holds its pipe. The kernel hands 4242 to the next child.
    h.childEnded(4242);
    h.resume({ pid: 4242, fd: neu.read, name: "new", stream: "stdout", terminal: { kind: "none" }, log: null, ready: "^go$" });
    const handed = h.handOver();
    handed.undo();
    const entries = JSON.parse(handed.env ?? "[]") as { fd: number; ready: string | null; gone?: boolean }[];
    expect(entries.map((e) => [e.fd === old.read ? "old" : "new", e.ready, e.gone ?? false])).toEqual([["old", null, true], ["new", "^go$", false]]);
    // The new image reads the same entries (on pipes of its own, standing for the fds kept across the exec).
    const b = hub();
    const oldAfter = pipe();
    const neuAfter = pipe();
    expect(b.h.takeOver(JSON.stringify(entries.map((e) => ({ ...e, fd: e.fd === old.read ? oldAfter.read : neuAfter.read }))))).toEqual([]);
    writeSync(oldAfter.write, "go\n");
    closeSync(oldAfter.write);
    while (b.h.list().some((r) => r.fd === oldAfter.read)) await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(b.matched).toEqual([]);
    writeSync(neuAfter.write, "go\n");
    closeSync(neuAfter.write);
    closeSync(old.write);
    closeSync(neu.write);
    await b.results();
    expect(b.matched).toEqual([4242]);
  });

  test("an invalid pattern: the child cannot be given pipes (the config refuses it first)", () => {
    const { h } = hub();
    expect(h.open({ kind: "piped", name: "srv", terminal: { kind: "plain" }, log: null, ready: "(" })).toEqual({ error: "invalid ready pattern \"(\"" });
  });
});

describe("OutputHub.takeOver: what a re-exec'd image is told to read", () => {
  const takeOverOutput = (text: string) => {
    const sink = new Sink(pipe().write, { tty: false });
    return new OutputHub({ stdout: sink, stderr: sink, colour: false }).takeOver(text);
  };
  test("anything it cannot vouch for is refused, one problem each, and nothing is read from it", () => {
    expect(takeOverOutput("{")).toEqual(["LAZARUS_OUTPUT is not valid JSON; the output of servers from before the re-exec is not read."]);
    expect(takeOverOutput("{}")).toEqual(["LAZARUS_OUTPUT is not a list; the output of servers from before the re-exec is not read."]);
    const good = { pid: 42, fd: 0, name: "web", stream: "stdout", width: 3, color: null };
    const bad = [
      { ...good, fd: 2 }, { ...good, fd: 1.5 }, { ...good, pid: 0 }, { ...good, name: "" }, { ...good, stream: "both" },
      { ...good, width: -1 }, { ...good, color: "31m\u001b" }, null, "x",
    ];
    const problems = takeOverOutput(JSON.stringify(bad));
    expect(problems).toHaveLength(bad.length);
    expect(problems.every((p) => /^an entry of LAZARUS_OUTPUT is invalid \(.*\); that output is not read\.$/.test(p))).toBe(true);
    // an fd that is open but not a pipe (a file), and one that is not open at all
    const f = openSync(import.meta.path, "r");
    opened.push(f);
    expect(takeOverOutput(JSON.stringify([{ ...good, fd: f }, { ...good, fd: 987 }]))).toEqual([
      `fd ${f} (the stdout of 'web') is not an open pipe; that output is not read.`,
      "fd 987 (the stdout of 'web') is not an open pipe; that output is not read.",
    ]);
  });

  test("a ready pattern: absent (an older image) or null is none; one that is not a valid pattern is refused", () => {
    const p = pipe();
    closeSync(p.write);
    const good = { pid: 42, fd: p.read, name: "web", stream: "stdout", terminal: { kind: "plain" }, log: null };
    for (const ready of ["(", 5, ["x"]]) {
      expect(takeOverOutput(JSON.stringify([{ ...good, ready }]))).toEqual([`an entry of LAZARUS_OUTPUT is invalid (${JSON.stringify({ ...good, ready })}); that output is not read.`]);
    }
    expect(takeOverOutput(JSON.stringify([{ ...good, ready: "^up$" }]))).toEqual([]);
  });

  test("an open pipe is read (here: one whose writer is gone, so it ends at once, writing nothing)", () => {
    const p = pipe();
    closeSync(p.write);
    expect(takeOverOutput(JSON.stringify([{ pid: 42, fd: p.read, name: "web", stream: "stdout", width: 3, color: "36" }]))).toEqual([]);
  });
});
