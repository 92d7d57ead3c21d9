// The log files of a supervisor (src/os/log-files.ts) and servers' output
// into them (src/os/output.ts), on real files and pipes: one LogFile per path,
// events told, lines held while closed for an exec and handed across (counts
// and held lines), the readers' pause and gather before an exec, and what a
// re-exec carries (an unfinished line, what Bun had read ahead) taken first
// by the new image.
import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, existsSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { LogTarget } from "../../src/logs/target.ts";
import { CarryWriter } from "../../src/os/carry.ts";
import { makePipe } from "../../src/os/libc.ts";
import type { LogFileEvent } from "../../src/os/log-file.ts";
import { LogFiles } from "../../src/os/log-files.ts";
import { OutputHub, type ReaderInfo } from "../../src/os/output.ts";
import { Sink } from "../../src/os/sink.ts";
import { eventually } from "../helpers/run.ts";
import { removeDir, tempDir } from "../helpers/log-files.ts";

const dirs: string[] = [];
const fds: number[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
  for (const fd of fds.splice(0)) {
    try { closeSync(fd); } catch { /* closed by the code under test */ }
  }
});
function dir(): string {
  const d = tempDir("logfiles");
  dirs.push(d);
  return d;
}
function pipe(): { read: number; write: number } {
  const p = makePipe();
  if ("error" in p) throw new Error(p.error);
  fds.push(p.read, p.write);
  return p;
}
const target = (path: string, over: Partial<LogTarget> = {}): LogTarget => ({ path, maxBytes: 0, keep: 5, timestamps: false, ...over });
const bytes = (s: string) => Buffer.from(s);
const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");

describe("LogFiles", () => {
  test("one LogFile per path, opened on first use; a directory that cannot be made is told at once", async () => {
    const d = dir();
    const events: LogFileEvent[] = [];
    const logs = new LogFiles((e) => events.push(e));
    const t = target(join(d, "a.log"));
    expect(logs.open(t)).toBe(logs.open(t));
    expect(logs.size).toBe(1);
    logs.append(t, [bytes("one\n"), bytes("two\n")]);
    await eventually(() => read(t.path) === "one\ntwo\n", "the lines in the file");
    expect(logs.state(t.path)).toEqual({ path: t.path, dropped: 0, failing: null, droppedNow: 0 });
    expect(logs.state(join(d, "other.log"))).toBeNull();
    // A parent that is a file: the open fails at once, with no line written yet.
    const bad = target(join(t.path, "sub", "b.log"));
    logs.open(bad);
    await eventually(() => events.length > 0, "an event");
    expect(events[0]).toMatchObject({ kind: "dropping", path: bad.path });
    expect((events[0] as { reason: string }).reason).toMatch(/\(ENOTDIR\)$/);
    await logs.closeAll(1000);
  });

  test("rotate and reopen by path; a path that is not open is a problem", async () => {
    const d = dir();
    const logs = new LogFiles(() => {});
    const t = target(join(d, "a.log"));
    logs.append(t, bytes("old\n"));
    expect(await logs.rotate([t.path, join(d, "nope.log")])).toEqual([`${join(d, "nope.log")} is not open`]);
    expect(read(`${t.path}.1`)).toBe("old\n");
    logs.append(t, bytes("new\n"));
    await eventually(() => read(t.path) === "new\n", "the new line in the new file");
    await logs.closeAll(1000);
  });

  test("held for an exec: closed, later lines kept (not written), handed across with the counts, and appended first by the new image", async () => {
    const d = dir();
    const logs = new LogFiles(() => {});
    const t = target(join(d, "a.log"), { timestamps: false });
    logs.append(t, bytes("before\n"));
    await logs.hold(1000);
    expect(read(t.path)).toBe("before\n");
    logs.append(t, [bytes("held 1\n"), bytes("held 2\n")]);
    expect(logs.pressing(t)).toBe(false);
    expect(await logs.whenRoom(t, 10)).toBe(true);
    expect(await logs.rotate([t.path])).toEqual([`${t.path}: a re-exec is under way`]);
    await Bun.sleep(0);
    expect(read(t.path)).toBe("before\n");
    const carry = new CarryWriter();
    const handed = logs.handOver(carry);
    expect(handed).toEqual([{ target: t, state: { path: t.path, dropped: 0, failing: null, droppedNow: 0 }, carry: [0, 14] }]);
    // The new image: the same file, its counts, the held lines first.
    const blob = new Uint8Array(Buffer.concat([bytes("held 1\n"), bytes("held 2\n")]));
    const next = new LogFiles(() => {});
    expect(next.takeOver(JSON.stringify(handed), blob)).toEqual([]);
    next.append(t, bytes("after\n"));
    await eventually(() => read(t.path) === "before\nheld 1\nheld 2\nafter\n", "every line once, in order");
    await next.closeAll(1000);
  });

  test("the exec did not happen: release opens the files again and writes what was held", async () => {
    const d = dir();
    const logs = new LogFiles(() => {});
    const t = target(join(d, "a.log"));
    logs.append(t, bytes("before\n"));
    await logs.hold(1000);
    logs.append(t, bytes("held\n"));
    logs.release();
    logs.append(t, bytes("after\n"));
    await eventually(() => read(t.path) === "before\nheld\nafter\n", "every line once, in order");
    expect(logs.state(t.path)?.dropped).toBe(0);
    await logs.closeAll(1000);
  });

  test("takeOver refuses what it cannot vouch for, one problem each", () => {
    const logs = new LogFiles(() => {});
    expect(logs.takeOver("{", null)).toEqual(["the log files' counts handed across the re-exec are not valid JSON; they start again from 0."]);
    expect(logs.takeOver("{}", null)).toEqual(["the log files' counts handed across the re-exec are not a list; they start again from 0."]);
    const good = { target: target("/tmp/x.log"), state: { path: "/tmp/x.log", dropped: 3, failing: null, droppedNow: 0 } };
    const bad = [
      { ...good, target: { ...good.target, path: "relative.log" } }, { ...good, state: { ...good.state, path: "/tmp/y.log" } },
      { ...good, state: { ...good.state, dropped: -1 } }, { ...good, target: { ...good.target, keep: 5000 } }, null, 7,
    ];
    const problems = logs.takeOver(JSON.stringify(bad), null);
    expect(problems).toHaveLength(bad.length);
    expect(problems.every((p) => p.startsWith("a log file handed across the re-exec is invalid"))).toBe(true);
    expect(logs.takeOver(JSON.stringify([{ ...good, carry: [0, 5] }]), null)).toEqual(["the lines held for /tmp/x.log across the re-exec could not be found; they are lost."]);
    expect(logs.state("/tmp/x.log")?.dropped).toBe(3);
  });
});

describe("OutputHub with log files", () => {
  function hub(logs: LogFiles) {
    const out = pipe();
    const sink = new Sink(out.write, { tty: false, pipe: true });
    const got: Uint8Array[] = [];
    const reading = (async () => { for await (const c of Bun.file(out.read).stream()) got.push(c.slice()); })();
    const h = new OutputHub({ stdout: sink, stderr: sink, colour: false, logs });
    return {
      h,
      async terminal(): Promise<string> {
        await h.drain(5000, 30_000);
        sink.close();
        closeSync(out.write);
        await reading;
        return Buffer.concat(got).toString();
      },
    };
  }
  const info = (fd: number, terminal: ReaderInfo["terminal"], log: LogTarget | null): ReaderInfo => ({ pid: 4242, fd, name: "web", stream: "stdout", terminal, log, ready: null });

  test("to the log file and the terminal (plain, prefixed) or the log file alone", async () => {
    const d = dir();
    const logs = new LogFiles(() => {});
    const { h, terminal } = hub(logs);
    const cases = [
      { terminal: { kind: "plain" } as const, file: join(d, "plain.log") },
      { terminal: { kind: "prefix", width: 4, color: null } as const, file: join(d, "prefix.log") },
      { terminal: { kind: "none" } as const, file: join(d, "none.log") },
    ];
    for (const c of cases) {
      const p = pipe();
      h.resume(info(p.read, c.terminal, target(c.file)));
      writeSync(p.write, `${c.terminal.kind} one\n${c.terminal.kind} two, unfinished`);
      closeSync(p.write);
    }
    const text = await terminal();
    expect(text.split("\n").sort()).toEqual(["", "plain one", "plain two, unfinished", "web  | prefix one", "web  | prefix two, unfinished"]);
    for (const c of cases) await eventually(() => read(c.file) === `${c.terminal.kind} one\n${c.terminal.kind} two, unfinished\n`, `${c.file}`);
    await logs.closeAll(1000);
  });

  test("before an exec: paused readers read no more; gather takes what Bun had read; handOver carries it with the unfinished line", async () => {
    const d = dir();
    const logs = new LogFiles(() => {});
    const { h } = hub(logs);
    const t = target(join(d, "a.log"));
    const p = pipe();
    h.resume(info(p.read, { kind: "none" }, t));
    writeSync(p.write, "one\ntw");
    await eventually(() => read(t.path) === "one\n", "the first line in the file");
    h.pause();
    await logs.hold(1000);
    // Written while paused: Bun may read it ahead of the reader; gather takes it, none goes to the file.
    writeSync(p.write, "o\nthree\nfo");
    await h.gather(1000);
    const carry = new CarryWriter();
    const handed = h.handOver(carry);
    const entries = JSON.parse(handed.env as string) as (ReaderInfo & { carry?: [number, number] })[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ fd: p.read, name: "web", terminal: { kind: "none" }, log: t });
    const blobParts: Uint8Array[] = [];
    // What the carry holds (the blob's bytes, in order) plus what is still in the pipe is exactly what was not written.
    const opened = carry.open();
    if ("error" in opened) throw new Error(opened.error);
    const size = readFileSync(`/proc/self/fd/${opened.fd}`).length;
    blobParts.push(readFileSync(`/proc/self/fd/${opened.fd}`));
    opened.close();
    handed.undo();
    expect(size).toBe(carry.size);
    const carried = Buffer.concat(blobParts).toString();
    // "tw" was the unfinished line; whatever gather got follows it; the rest stays in the pipe.
    expect(carried.startsWith("tw")).toBe(true);
    expect("two\nthree\nfo".startsWith(carried)).toBe(true);
    // The exec did not happen: everything goes on, in order, nothing lost or doubled.
    logs.release();
    h.unpause();
    writeSync(p.write, "ur\n");
    closeSync(p.write);
    await eventually(() => read(t.path) === "one\ntwo\nthree\nfour\n", "every line once, in order");
    await logs.closeAll(1000);
  });

  test("the new image takes the carried bytes before the pipe's (an older image's entries too)", async () => {
    const d = dir();
    const logs = new LogFiles(() => {});
    const { h, terminal } = hub(logs);
    const t = target(join(d, "a.log"));
    const p = pipe();
    const blob = new Uint8Array(Buffer.from("xxhalf a li"));
    writeSync(p.write, "ne\nnext\n");
    closeSync(p.write);
    const q = pipe();
    writeSync(q.write, "old style\n");
    closeSync(q.write);
    const entries = [
      { ...info(p.read, { kind: "prefix", width: 3, color: null }, t), carry: [2, 9] },
      { pid: 4242, fd: q.read, name: "old", stream: "stdout", width: 3, color: null },
    ];
    expect(h.takeOver(JSON.stringify(entries), blob)).toEqual([]);
    const text = await terminal();
    expect(text.split("\n").sort()).toEqual(["", "old | old style", "web | half a line", "web | next"]);
    await eventually(() => read(t.path) === "half a line\nnext\n", "the carried bytes first in the file");
    await logs.closeAll(1000);
  });
});
