// The LogFile's promises: rotation keeps every line whole, once, in order, in
// keep+1 files; other rotators and cut lines are handled; and it is never in
// the way: a hung "disk" (a FIFO nobody reads) holds neither the event loop nor
// more than one thread of Bun's pool, a full disk (a tiny tmpfs), a removed or
// unwritable directory drop lines that are counted and reported, and writing
// resumes once the trouble is gone.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { chmodSync, closeSync, constants, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { stat as statAsync } from "node:fs/promises";
import { join } from "node:path";
import { IoLane, laneFor } from "../../src/os/io-lane.ts";
import { LogFile, WRITE_MAX } from "../../src/os/log-file.ts";
import { budget } from "../properties/budget.ts";
import { Events, feed, mountTmpfs, numbered, perTestDirs, readSet, remount, removeDir, tempDir, unmount } from "../helpers/log-files.ts";
import { BUN, ROOT } from "../helpers/run.ts";

const { cleanups, dir } = perTestDirs();

const LINE = /^line (\d{6})$/;
/** The numbers of the lines of `text`, checking that every line is whole ("line NNNNNN"). */
function numbers(text: string, stamp = false): number[] {
  expect(text === "" || text.endsWith("\n")).toBe(true);
  return text.split("\n").slice(0, -1).map((l) => {
    const body = stamp ? l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /, "") : l;
    const m = LINE.exec(body);
    if (m === null) throw new Error(`not a whole line: ${JSON.stringify(l)}`);
    return Number(m[1]);
  });
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("rotation", () => {
  for (const timestamps of [false, true]) {
    test(`100,000 numbered lines through dozens of rotations${timestamps ? " (with timestamps)" : ""}: keep+1 files hold the newest lines, each once, in order, none split`, async () => {
      const d = dir("rot");
      const path = join(d, "web.log");
      const maxBytes = timestamps ? 96 * 1024 : 32 * 1024;
      const keep = 5;
      const log = new LogFile(path, { maxBytes, keep, timestamps });
      await feed(log, 1, 100_000, 250);
      expect(await log.close(60_000)).toBe(0);
      expect(log.state).toEqual({ path, dropped: 0, failing: null, droppedNow: 0 });
      const set = readSet(path);
      expect(set.map((f) => f.file)).toEqual([5, 4, 3, 2, 1].map((k) => `${path}.${k}`).concat(path));
      for (const f of set) expect(Buffer.byteLength(f.text)).toBeLessThanOrEqual(maxBytes);
      const got = set.flatMap((f) => numbers(f.text, timestamps));
      const first = got[0] as number;
      expect(first).toBeGreaterThan(1); // more rotations than kept files: the oldest lines are gone
      expect(got).toEqual(range(first, 100_000));
      // Full files: a rotated file has no room left for one more line.
      const lineBytes = Buffer.byteLength(set[0]?.text.split("\n")[0] ?? "") + 1;
      for (const f of set.slice(0, -1)) expect(Buffer.byteLength(f.text) + lineBytes).toBeGreaterThan(maxBytes);
    });
  }

  test("(property) the files are what greedy packing of whole lines gives, for any line sizes, maxBytes, keep and batches", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 150 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 40 }),
        async (sizes, maxBytes, keep, per) => {
          const d = tempDir("prop");
          try {
            const path = join(d, "p.log");
            const lines = sizes.map((n, i) => `${i}:${"x".repeat(n)}\n`);
            // The model: a line that would take a non-empty file past maxBytes starts a new one.
            const files: string[] = [""];
            for (const l of lines) {
              const cur = files[files.length - 1] as string;
              if (cur.length > 0 && cur.length + l.length > maxBytes) files.push(l);
              else files[files.length - 1] = cur + l;
            }
            const log = new LogFile(path, { maxBytes, keep, queueBytes: 1 << 24 });
            for (let i = 0; i < lines.length; i += per) log.append(Buffer.from(lines.slice(i, i + per).join("")));
            expect(await log.close(60_000)).toBe(0);
            expect(readSet(path).map((f) => f.text)).toEqual(files.slice(-(keep + 1)));
          } finally {
            removeDir(d);
          }
        },
      ),
      budget(25),
    );
  });

  test("rotateNow rotates after what is queued (ctl rotate); an empty file is not rotated", async () => {
    const d = dir("now");
    const path = join(d, "web.log");
    const log = new LogFile(path, { keep: 2 });
    log.append(numbered(1, 3));
    expect(await log.rotateNow()).toBeNull();
    log.append(numbered(4, 4));
    expect(await log.rotateNow()).toBeNull();
    expect(await log.rotateNow()).toBeNull(); // nothing written since: no new file
    log.append(numbered(5, 5));
    await log.close(10_000);
    expect(readSet(path).map((f) => numbers(f.text))).toEqual([[1, 2, 3], [4], [5]]);
  });

  test("keep = 0: a full file is removed; a line longer than maxBytes gets a file of its own", async () => {
    const d = dir("keep0");
    const path = join(d, "web.log");
    const log = new LogFile(path, { maxBytes: 40, keep: 0 });
    log.append(Buffer.from(`short\n${"y".repeat(100)}\nlast\n`));
    await log.close(10_000);
    expect(readSet(path).map((f) => f.text)).toEqual(["last\n"]);
    const log2 = new LogFile(join(d, "w2.log"), { maxBytes: 40, keep: 3 });
    log2.append(Buffer.from(`short\n${"y".repeat(100)}\nlast\n`));
    await log2.close(10_000);
    expect(readSet(join(d, "w2.log")).map((f) => f.text)).toEqual(["short\n", `${"y".repeat(100)}\n`, "last\n"]);
  });

  test("maxBytes = 0 never rotates; a batch bigger than one write goes in several, whole", async () => {
    const d = dir("norot");
    const path = join(d, "web.log");
    const log = new LogFile(path, { maxBytes: 0, queueBytes: 1 << 24 });
    log.append(numbered(1, 100_000)); // 1.2 MB: several writes of at most WRITE_MAX
    expect(100_000 * 12).toBeGreaterThan(WRITE_MAX);
    await log.close(10_000);
    expect(readSet(path).map((f) => numbers(f.text))).toEqual([range(1, 100_000)]);
  });
});

describe("lines", () => {
  test("an unterminated last line gets its newline; a file that ends inside a line (a crash, an exec) is ended first", async () => {
    const d = dir("cut");
    const path = join(d, "web.log");
    writeFileSync(path, "line 000001\nline 0000"); // cut in the middle of a write
    const log = new LogFile(path);
    log.append(Buffer.from("line 000003"));
    await log.close(10_000);
    expect(readFileSync(path, "utf8")).toBe("line 000001\nline 0000\nline 000003\n");
  });

  test("the caller's buffer may be reused at once: the lines are copied", async () => {
    const d = dir("copy");
    const path = join(d, "web.log");
    const log = new LogFile(path);
    const buf = Buffer.from("line 000001\n");
    log.append(buf);
    buf.write("line 999999\n");
    await log.close(10_000);
    expect(readFileSync(path, "utf8")).toBe("line 000001\n");
  });

  test("lines as a LineSplitter gives them (an array), in one append", async () => {
    const d = dir("array");
    const path = join(d, "web.log");
    const log = new LogFile(path, { timestamps: true, now: () => 0 });
    log.append([Buffer.from("line 000001\n"), Buffer.from("line 000002\n"), Buffer.from("line 000003")]);
    log.append([]);
    await log.close(10_000);
    expect(numbers(readFileSync(path, "utf8"), true)).toEqual([1, 2, 3]);
  });

  test("timestamps: the clock's time in front of every line", async () => {
    const d = dir("stamp");
    const path = join(d, "web.log");
    let now = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const log = new LogFile(path, { timestamps: true, now: () => now });
    log.append(Buffer.from("a\nb\n"));
    now += 1000;
    log.append(Buffer.from("c\n"));
    await log.close(10_000);
    expect(readFileSync(path, "utf8")).toBe("2026-01-02T03:04:05.006Z a\n2026-01-02T03:04:05.006Z b\n2026-01-02T03:04:06.006Z c\n");
  });
});

describe("other rotators", () => {
  test("logrotate's rename (with or without `create`): the path is checked and opened again; reopenNow does it at once", async () => {
    const d = dir("ext");
    const path = join(d, "web.log");
    const log = new LogFile(path, { checkMs: 0 });
    log.append(numbered(1, 2));
    await log.flush(10_000);
    renameSync(path, `${path}.old`); // no `create`: nothing at the path
    log.append(numbered(3, 4));
    await log.flush(10_000);
    renameSync(path, `${path}.older`);
    writeFileSync(path, ""); // `create`: a new empty file at the path
    log.append(numbered(5, 5));
    await log.close(10_000);
    expect(numbers(readFileSync(`${path}.old`, "utf8"))).toEqual([1, 2]);
    expect(numbers(readFileSync(`${path}.older`, "utf8"))).toEqual([3, 4]);
    expect(numbers(readFileSync(path, "utf8"))).toEqual([5]);

    // With the default check period, a `postrotate` hook says so (reopenNow).
    const path2 = join(d, "api.log");
    const log2 = new LogFile(path2);
    log2.append(numbered(1, 1));
    await log2.flush(10_000);
    renameSync(path2, `${path2}.1`);
    log2.reopenNow();
    log2.append(numbered(2, 2));
    await log2.close(10_000);
    expect(numbers(readFileSync(`${path2}.1`, "utf8"))).toEqual([1]);
    expect(numbers(readFileSync(path2, "utf8"))).toEqual([2]);
  });

  test("copytruncate: the smaller size is noticed, and rotation goes by the file's real size", async () => {
    const d = dir("trunc");
    const path = join(d, "web.log");
    const log = new LogFile(path, { checkMs: 0, maxBytes: 36, keep: 3 }); // 3 lines of 12 bytes per file
    log.append(numbered(1, 2));
    await log.flush(10_000);
    truncateSync(path, 0);
    log.append(numbered(3, 5)); // fits: the file is empty again
    await log.close(10_000);
    expect(readSet(path).map((f) => numbers(f.text))).toEqual([[3, 4, 5]]);
  });
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/**
 * A FIFO at `path` (a LogFile opens it O_RDWR, so its open never waits) with
 * a reader that reads nothing until asked: a disk that hangs once the pipe
 * (64 KiB) is full. `read(n)` reads until at least `n` bytes came (polling
 * the non-blocking reader: a pipe offers no event to await here).
 */
function hungFile(path: string): { read: (atLeast: number) => Promise<string>; close: () => void } {
  expect(Bun.spawnSync(["mkfifo", path]).exitCode).toBe(0);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(1 << 16);
  let closed = false;
  return {
    async read(atLeast) {
      let text = "";
      while (text.length < atLeast) {
        let n = 0;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        }
        // Nothing yet (EAGAIN; or 0 while no writer has the FIFO open yet): let the loop turn.
        if (n > 0) text += buf.toString("latin1", 0, n);
        else await tick();
      }
      return text;
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}

describe("never in the way", () => {
  test("a hung disk: append never blocks, the loop turns, the queue stays bounded, drops are counted and reported, then everything kept arrives", async () => {
    const d = dir("slow");
    const path = join(d, "web.log");
    const fifo = hungFile(path);
    cleanups.push(fifo.close);
    const events = new Events();
    const queueBytes = 64 * 1024;
    const log = new LogFile(path, { maxBytes: 0, queueBytes, onEvent: events.listener });
    // Lines keep coming, the loop turning between batches (a timer fires each time), until
    // the pipe (64 KiB) and the queue are full: the writer now hangs in write(2).
    let total = 0;
    while (log.state.dropped === 0) {
      log.append(numbered(total + 1, total + 100));
      total += 100;
      expect(log.queuedBytes).toBeLessThanOrEqual(queueBytes);
      await tick();
    }
    for (let i = 0; i < 10; i++) {
      log.append(numbered(total + 1, total + 100)); // dropped: the queue is full
      total += 100;
      await tick(); // and the loop goes on turning while the write hangs
    }
    expect(log.queuedBytes).toBeGreaterThan(queueBytes / 2);
    await statAsync(d); // other file calls too
    const dropping = await events.next("dropping");
    expect(dropping.reason).toContain("the disk is slow");
    const dropped = log.state.dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(log.state.failing).toBe(dropping.reason);
    // The reader comes back: the kept lines arrive whole and in order, then the loss is reported once.
    const kept = total - dropped;
    const text = await fifo.read(kept * 12);
    expect((await events.next("resumed")).dropped).toBe(dropped);
    const got = numbers(text);
    expect(got.length).toBe(kept);
    for (let i = 1; i < got.length; i++) expect(got[i] as number).toBeGreaterThan(got[i - 1] as number);
    expect(got[0]).toBe(1); // what was accepted first was written first
    expect(log.state).toEqual({ path, dropped, failing: null, droppedNow: 0 });
    expect(events.all.map((e) => e.kind)).toEqual(["dropping", "resumed"]);
    await log.close(10_000);
  });

  test("bounded patience (whenRoom): a healthy disk loses nothing under a flood; a hung one holds the reader once, then never until it moves", async () => {
    const d = dir("room");
    const path = join(d, "web.log");
    const log = new LogFile(path, { maxBytes: 64 * 1024, queueBytes: 32 * 1024 });
    for (let i = 1; i <= 100_000; i += 100) {
      log.append(numbered(i, i + 99));
      if (log.pressing) expect(await log.whenRoom(60_000)).toBe(true);
    }
    await log.close(60_000);
    expect(log.state.dropped).toBe(0);

    const hung = join(d, "hung.log");
    const fifo = hungFile(hung);
    cleanups.push(fifo.close);
    const stuck = new LogFile(hung, { maxBytes: 0, queueBytes: 256 * 1024 });
    stuck.append(Buffer.alloc(100 * 1024, "z\n")); // more than the pipe holds (64 KiB): the write hangs
    let bytes = 100 * 1024;
    while (!stuck.pressing) {
      stuck.append(numbered(1, 100));
      bytes += 1200;
      await tick();
    }
    expect(await stuck.whenRoom(20)).toBe(false); // waited 20 ms, no more
    expect(await stuck.whenRoom(60_000)).toBe(false); // at once now (else this test would time out)
    const moved = fifo.read(bytes); // the disk moves again
    await stuck.flush(60_000);
    expect(stuck.state.dropped).toBe(0);
    expect(await stuck.whenRoom(60_000)).toBe(true);
    await moved;
    await stuck.close(10_000);
  });

  test("hung files in one directory hold one thread of Bun's pool, not all of them: other file calls go on", async () => {
    const d = dir("pool");
    // More hung files than the pool has threads (max(CPUs, 2), or UV_THREADPOOL_SIZE).
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 0) || Math.max(navigator.hardwareConcurrency, 2);
    const files = Array.from({ length: threads + 1 }, (_, i) => {
      const path = join(d, `s${i}.log`);
      const fifo = hungFile(path);
      cleanups.push(fifo.close);
      return { fifo, log: new LogFile(path, { maxBytes: 0 }) };
    });
    // Every file open and written once (the lane lets each through in turn)...
    for (const { log } of files) log.append(Buffer.from("z\n"));
    for (const { fifo } of files) await fifo.read(2);
    // ...then more than a pipe holds to each: the first such write hangs. Without the lane every
    // file's would (each on a pool thread), all the threads would be held, and the stat below
    // would never complete (the test hangs). With it, the other files wait their turn.
    for (const { log } of files) log.append(Buffer.alloc(200 * 1024, "z\n"));
    for (let i = 0; i < 20; i++) await tick();
    expect(laneFor(join(d, "s0.log"))).toBe(laneFor(join(d, "s1.log")));
    await statAsync(d);
    // Unblock them all (each write goes through once the one before it is done), so no thread stays held.
    for (const { fifo } of files) await fifo.read(200 * 1024);
    for (const { log } of files) await log.close(10_000);
  });

  test("a full disk (ENOSPC on a tiny tmpfs): lines are dropped and counted, none is cut, and writing resumes once space is freed", async () => {
    const d = dir("full");
    const why = mountTmpfs(d, "64k");
    if (why !== null) {
      // Not root, or not allowed to mount here: said, and checked to be that.
      console.log(`log-file ENOSPC test not run: ${why}`);
      expect(why).toMatch(/not root|not permitted|failed/);
      return;
    }
    cleanups.push(() => unmount(d));
    writeFileSync(join(d, "filler"), Buffer.alloc(48 * 1024, 1)); // 16 KiB left
    const path = join(d, "web.log");
    const events = new Events();
    const log = new LogFile(path, { maxBytes: 0, onEvent: events.listener });
    let n = 0;
    const batch = async (k: number) => {
      log.append(numbered(n + 1, n + k));
      n += k;
      await log.flush(60_000);
    };
    while (events.all.length === 0) await batch(50); // until the disk is full
    const dropping = await events.next("dropping");
    expect(dropping.reason).toContain("ENOSPC");
    for (let i = 0; i < 5; i++) await batch(10); // still full: dropped, counted
    expect(log.state.failing).not.toBeNull();
    rmSync(join(d, "filler"));
    while (events.all.length < 2) await batch(10);
    const r = await events.next("resumed");
    const got = numbers(readFileSync(path, "utf8")); // every line whole
    expect(r.dropped).toBe(log.state.dropped);
    expect(got.length + log.state.dropped).toBe(n);
    for (let i = 1; i < got.length; i++) expect(got[i] as number).toBeGreaterThan(got[i - 1] as number);
    expect(got.at(-1)).toBe(n); // written after the resume
    await log.close(10_000);
  });

  test("a removed directory: dropped and reported (not made again); once it is back, writing resumes", async () => {
    const d = dir("gone");
    const logs = join(d, "logs"); // made by the first open
    const path = join(logs, "web.log");
    const events = new Events();
    const log = new LogFile(path, { checkMs: 0, onEvent: events.listener });
    log.append(numbered(1, 10));
    await log.flush(10_000);
    rmSync(logs, { recursive: true });
    log.append(numbered(11, 20));
    const dropping = await events.next("dropping");
    expect(dropping.reason).toBe(`cannot open ${path}: no such file or directory (ENOENT)`);
    await log.flush(10_000);
    expect(log.state.dropped).toBe(10);
    mkdirSync(logs);
    log.append(numbered(21, 30));
    expect((await events.next("resumed")).dropped).toBe(10);
    await log.close(10_000);
    expect(numbers(readFileSync(path, "utf8"))).toEqual(range(21, 30));
  });

  test("a directory that is not writable: dropped and reported; once it is writable, writing resumes", async () => {
    const d = dir("ro");
    let makeWritable: () => void;
    let expected: RegExp;
    if (process.getuid?.() === 0) {
      // root writes anywhere a mode allows nobody to: a read-only mount stands in for it.
      const why = mountTmpfs(d, "1m", true);
      if (why !== null) {
        console.log(`log-file read-only directory test not run: ${why}`);
        expect(why).toMatch(/not permitted|failed/);
        return;
      }
      cleanups.push(() => unmount(d));
      makeWritable = () => remount(d, "rw");
      expected = /EROFS/;
    } else {
      chmodSync(d, 0o555);
      cleanups.push(() => chmodSync(d, 0o755));
      makeWritable = () => chmodSync(d, 0o755);
      expected = /EACCES/;
    }
    const path = join(d, "web.log");
    const events = new Events();
    const log = new LogFile(path, { onEvent: events.listener });
    log.append(numbered(1, 5));
    expect((await events.next("dropping")).reason).toMatch(expected);
    await log.flush(10_000);
    makeWritable();
    log.append(numbered(6, 8));
    expect((await events.next("resumed")).dropped).toBe(5);
    await log.close(10_000);
    expect(numbers(readFileSync(path, "utf8"))).toEqual([6, 7, 8]);
  });
});

describe("exit and exec", () => {
  test("close gives a hung disk the time it is given, counts what is left, and the new image's file reports it once writing works", async () => {
    const d = dir("close");
    const path = join(d, "web.log");
    const fifo = hungFile(path);
    cleanups.push(fifo.close);
    const log = new LogFile(path, { maxBytes: 0, queueBytes: 1 << 20 });
    log.append(Buffer.alloc(200 * 1024, "z\n")); // hangs once 64 KiB are in the pipe
    for (let i = 0; i < 20; i++) await tick();
    log.append(numbered(1, 100));
    const lost = await log.close(50);
    expect(lost).toBeGreaterThanOrEqual(100);
    const state = log.handOver();
    expect(state.dropped).toBe(lost);
    expect(state.droppedNow).toBe(lost);
    expect(state.failing).toContain("still waiting");
    log.append(numbered(101, 101)); // after close: dropped, counted
    expect(log.state.dropped).toBe(lost + 1);
    // The new image (here: a new LogFile in another directory, as the hung one still holds its lane).
    const d2 = dir("close2");
    const events = new Events();
    const next = new LogFile(join(d2, "web.log"), { restore: JSON.parse(JSON.stringify(state)), onEvent: events.listener });
    expect(next.state.failing).toBe(state.failing);
    next.append(numbered(1, 1));
    expect((await events.next("resumed")).dropped).toBe(lost);
    expect(next.state).toEqual({ path: join(d2, "web.log"), dropped: lost, failing: null, droppedNow: 0 });
    await next.close(10_000);
    // Let the hung write finish, so no pool thread stays held.
    await fifo.read(200 * 1024);
  });

  test("a real execve in the middle of a flood: the file holds every line once, in order, none split", async () => {
    const d = dir("exec");
    const path = join(d, "web.log");
    const proc = Bun.spawn({ cmd: [BUN, join(ROOT, "test/helpers/exec-logfile.ts"), path], stdio: ["ignore", "pipe", "pipe"] });
    const [out, err, status] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(err).toBe("");
    expect(status).toBe(0);
    const pids = [...out.matchAll(/stage \d: pid (\d+)/g)].map((m) => m[1]);
    expect(pids).toHaveLength(2);
    expect(pids[0]).toBe(pids[1]); // an exec, not a new process
    expect(out).toContain("stage 1: lost 0");
    expect(out).toContain('stage 2: {"dropped":0,"failing":null,"droppedNow":0}');
    const got = readSet(path).flatMap((f) => numbers(f.text));
    expect(got).toEqual(range(1, 60_000));
    // As many files as without the exec: the new image went on from the live file's size.
    expect(readSet(path).length).toBe(Math.ceil(60_000 / Math.floor((32 * 1024) / 12)));
  });
});

describe("the lane", () => {
  test("one call at a time, in order; a call that throws or fails does not stop the next", async () => {
    const lane = new IoLane();
    const order: string[] = [];
    let running = 0;
    const job = (name: string, fail = false) =>
      lane.run<string>((done) => {
        running++;
        expect(running).toBe(1);
        order.push(name);
        setTimeout(() => {
          running--;
          done(fail ? Object.assign(new Error(name), { code: "EIO" }) : null, name);
        }, 1);
      });
    const thrower = lane.run<string>(() => {
      throw new Error("sync");
    });
    const results = await Promise.allSettled([job("a"), job("b", true), thrower, job("c")]);
    expect(order).toEqual(["a", "b", "c"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(lane.length).toBe(0);
  });
});
