// The Sink's promises to the supervisor: it never blocks, it bounds what waits,
// it counts what it drops and says so once writing works again, and it gives up
// a stalled destination within the time it is given.
import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { makePipe } from "../../src/os/libc.ts";
import { type Drops, LOG_CAP, Sink, STALL_MS } from "../../src/os/sink.ts";

const opened: number[] = [];
const sinks: Sink[] = [];
afterEach(() => {
  for (const s of sinks.splice(0)) s.close();
  for (const fd of opened.splice(0)) {
    try { closeSync(fd); } catch { /* closed */ }
  }
});

/** A pipe already full: the next write to it would block. */
function fullPipe(): { read: number; write: number } {
  const p = makePipe();
  if ("error" in p) throw new Error(p.error);
  opened.push(p.read, p.write);
  const filler = openSync(`/proc/self/fd/${p.write}`, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    for (;;) writeSync(filler, Buffer.alloc(4096, 120));
  } catch { /* EAGAIN: full */ }
  closeSync(filler);
  return p;
}

function sink(fd: number): Sink {
  const s = new Sink(fd, { tty: false });
  sinks.push(s);
  return s;
}

async function readAll(fd: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of Bun.file(fd).stream()) chunks.push(c.slice());
  return Buffer.concat(chunks).toString("utf8");
}

const line = (i: number) => Buffer.from(`line ${i} ${"y".repeat(90)}\n`);

describe("log lines (offer)", () => {
  test("to a full pipe: offer never blocks, keeps at most LOG_CAP bytes waiting, drops and counts the rest, and reports once drained", async () => {
    const p = fullPipe();
    const s = sink(p.write);
    const reports: Drops[] = [];
    s.onDropped = (d) => reports.push(d);
    const n = 2000; // about 200 KB: more than LOG_CAP
    for (let i = 0; i < n; i++) s.offer(line(i)); // (a blocking write would never return: the test's timeout)
    let kept = 0;
    for (let bytes = 0; bytes + line(kept).length <= LOG_CAP; kept++) bytes += line(kept).length;
    expect(s.pendingDrops.log).toBe(n - kept);
    expect(reports).toEqual([]);
    // The reader comes back: what was kept is written, whole and in order, then the loss is reported.
    const got = readAll(p.read);
    const reported = new Promise<void>((resolve) => { s.onDropped = (d) => { reports.push(d); resolve(); }; });
    await reported;
    expect(reports).toEqual([{ log: n - kept, output: 0 }]);
    s.close();
    closeSync(p.write);
    const text = (await got).replace(/^x+/, "");
    expect(text).toBe(Array.from({ length: kept }, (_, i) => line(i).toString()).join(""));
  });

  test("one batch over LOG_CAP (a turn's lines) with nothing waiting is taken whole: to a file, every line arrives, none is dropped", async () => {
    const path = `/tmp/lazarus-sink-${process.pid}-${Math.random().toString(36).slice(2)}.log`;
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    opened.push(fd);
    const s = sink(fd);
    const batch = Buffer.concat(Array.from({ length: 1000 }, (_, i) => line(i))); // about 100 KB: over LOG_CAP
    expect(batch.length).toBeGreaterThan(LOG_CAP);
    s.offer(batch);
    expect(s.pendingDrops).toEqual({ log: 0, output: 0 });
    expect(s.idle).toBe(true);
    expect(await Bun.file(path).text()).toBe(batch.toString());
    await Bun.file(path).delete();
  });

  test("one batch over the room left while the log waits: the whole lines that fit are kept, the rest dropped and counted", async () => {
    const p = fullPipe();
    const s = sink(p.write);
    s.offer(line(0)); // waits: the pipe is full
    const batch = Buffer.concat(Array.from({ length: 1000 }, (_, i) => line(i + 1)));
    s.offer(batch);
    let kept = 0;
    for (let bytes = line(0).length; bytes + line(kept + 1).length <= LOG_CAP; kept++) bytes += line(kept + 1).length;
    expect(s.pendingDrops.log).toBe(1000 - kept);
    const got = readAll(p.read);
    await new Promise<void>((resolve) => { s.onDropped = () => resolve(); });
    s.close();
    closeSync(p.write);
    expect((await got).replace(/^x+/, "")).toBe(Array.from({ length: kept + 1 }, (_, i) => line(i).toString()).join(""));
  });

  test("flushSync gives a stalled destination the time it is given, no more, and says how much is lost", () => {
    const p = fullPipe();
    const s = sink(p.write);
    for (let i = 0; i < 10; i++) s.offer(line(i));
    const t0 = performance.now();
    expect(s.flushSync(100)).toBe(10);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(90);
    // Not a speed check: a flush that waited for the destination (as a blocking write would) never returns.
    expect(took).toBeLessThan(10_000);
    expect(s.flushSync(0)).toBe(0); // nothing left waiting
  });

  test("flushSync writes everything when the destination takes it", async () => {
    const p = makePipe();
    if ("error" in p) throw new Error(p.error);
    opened.push(p.read, p.write);
    const s = sink(p.write);
    const got = readAll(p.read);
    for (let i = 0; i < 100; i++) s.offer(line(i));
    expect(s.flushSync(1000)).toBe(0);
    s.close();
    closeSync(p.write);
    expect(await got).toBe(Array.from({ length: 100 }, (_, i) => line(i).toString()).join(""));
  });

  test("a destination that is gone (EPIPE) drops silently, without throwing or waiting", () => {
    const p = makePipe();
    if ("error" in p) throw new Error(p.error);
    opened.push(p.write);
    closeSync(p.read);
    const s = sink(p.write);
    for (let i = 0; i < 10; i++) s.offer(line(i));
    expect(s.idle).toBe(true);
  });
});

describe("server output (write)", () => {
  test("a stalled destination sheds the output of ended servers, never of live ones", async () => {
    const p = fullPipe();
    const s = sink(p.write);
    let live = false;
    let settled = 0;
    const pending = s.write(Buffer.from("live server line\n"), () => live).then(() => { settled++; });
    const dead = s.write(Buffer.from("last words\nof a dead one\n"), () => true).then(() => { settled++; });
    // Not yet stalled for STALL_MS: nothing is shed.
    s.shed();
    expect(s.pendingDrops.output).toBe(0);
    await Bun.sleep(STALL_MS + 50);
    expect(s.stalled).toBe(true);
    s.shed();
    await dead;
    expect(s.pendingDrops.output).toBe(2);
    expect(settled).toBe(1);
    // A new batch of an ended server is dropped at once while stalled; the live one still waits.
    await s.write(Buffer.from("more\n"), () => true);
    expect(s.pendingDrops.output).toBe(3);
    live = false;
    const got = readAll(p.read);
    await pending;
    s.close();
    closeSync(p.write);
    expect((await got).replace(/^x+/, "")).toBe("live server line\n");
  });
});
