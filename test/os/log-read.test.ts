// Reading log files back (`ctl logs`): the last N lines of a rotated set, read
// from the end; several servers merged by time; following across rotations.
import { describe, expect, test } from "bun:test";
import { appendFileSync, closeSync, openSync, renameSync, truncateSync, writeFileSync, ftruncateSync } from "node:fs";
import { join } from "node:path";
import { stampText } from "../../src/logs/lines.ts";
import { LogFile } from "../../src/os/log-file.ts";
import { Follower, lastLines, lastLinesMerged, logSources, rotatedSet, showLogs } from "../../src/os/log-read.ts";
import { feed, numbered, perTestDirs, readSet } from "../helpers/log-files.ts";

const { dir } = perTestDirs();

const text = (lines: readonly Uint8Array[]) => Buffer.concat(lines).toString();
const nums = (s: string) => s.split("\n").slice(0, -1).map((l) => Number(/(\d{6})$/.exec(l)?.[1]));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A rotated set of lines 1..n written by a LogFile (12-byte lines). */
async function writeSet(path: string, n: number, maxBytes: number, keep: number): Promise<void> {
  const log = new LogFile(path, { maxBytes, keep });
  await feed(log, 1, n, 100);
  expect(await log.close(60_000)).toBe(0);
}

describe("rotatedSet and lastLines", () => {
  test("logSources: DIR/NAME.log for each server (names escaped), and the event log", () => {
    expect(logSources("/var/log/app", ["web", "a/b"], "/var/log/app/lazarus.jsonl")).toEqual([
      { name: "web", path: "/var/log/app/web.log" },
      { name: "a/b", path: "/var/log/app/a%2Fb.log" },
      { name: "lazarus", path: "/var/log/app/lazarus.jsonl" },
    ]);
  });

  test("the set is oldest first and ignores other files; the last N lines come from as many files as they need", async () => {
    const d = dir("tail");
    const path = join(d, "web.log");
    await writeSet(path, 10_000, 1200, 20); // 100 lines a file: web.log.20 … web.log.1, web.log
    writeFileSync(join(d, "web.log.old"), "x\n");
    writeFileSync(join(d, "web.log.0"), "x\n");
    writeFileSync(join(d, "web.logs"), "x\n");
    writeFileSync(join(d, "api.log.1"), "x\n");
    const set = rotatedSet(path);
    expect(set).toEqual([...range(1, 20).reverse().map((k) => `${path}.${k}`), path]);
    expect(nums(text(lastLines(path, 5).lines))).toEqual(range(9996, 10_000));
    expect(nums(text(lastLines(path, 100).lines))).toEqual(range(9901, 10_000));
    expect(nums(text(lastLines(path, 250).lines))).toEqual(range(9751, 10_000));
    expect(nums(text(lastLines(path, 1_000_000).lines))).toEqual(range(10_000 - 2100 + 1, 10_000));
    expect(lastLines(path, 0).lines).toEqual([]);
    expect(lastLines(join(d, "none.log"), 5)).toEqual({ lines: [], end: null });
  });

  test("from the end of a big file: a sparse 64 GiB file with ten lines at its end gives its last five at once", () => {
    const d = dir("big");
    const path = join(d, "web.log");
    writeFileSync(path, "");
    truncateSync(path, 64 * 1024 ** 3); // (reading it all would take 64 GiB of memory)
    appendFileSync(path, numbered(1, 10));
    expect(nums(text(lastLines(path, 5).lines))).toEqual(range(6, 10));
  });

  test("an unterminated last line of the live file is left to the follower; a rotated file's is ended", () => {
    const d = dir("partial");
    const path = join(d, "web.log");
    writeFileSync(`${path}.1`, "old 1\nold 2 cut");
    writeFileSync(path, "new 1\nnew 2\nhalf a li");
    const { lines, end } = lastLines(path, 10);
    expect(text(lines)).toBe("old 1\nold 2 cut\nnew 1\nnew 2\n");
    expect(end?.offset).toBe(12);
    const f = new Follower(path, end);
    expect(text(f.poll().lines)).toBe("");
    appendFileSync(path, "ne\n");
    expect(text(f.poll().lines)).toBe("half a line\n");
    f.close();
  });

  test("many servers merged by time, with name prefixes; the last N of all of them", async () => {
    const d = dir("merge");
    const at = (ms: number, s: string) => `${stampText(Date.UTC(2026, 0, 1) + ms)}${s}\n`;
    writeFileSync(join(d, "web.log.1"), at(1, "web a") + at(4, "web b"));
    writeFileSync(join(d, "web.log"), at(6, "web c"));
    writeFileSync(join(d, "api.log"), at(2, "api a") + at(5, "api b") + "api b continued\n" + at(7, "api c"));
    const sources = [{ name: "web", path: join(d, "web.log") }, { name: "api", path: join(d, "api.log") }];
    const { lines } = lastLinesMerged(sources, 5);
    expect(lines.map((l) => `${l.name}: ${Buffer.from(l.line).toString().replace(/^\S+Z /, "").trim()}`)).toEqual([
      "web: web b",
      "api: api b",
      "api: api b continued",
      "web: web c",
      "api: api c",
    ]);
    let out = "";
    await showLogs({ sources, lines: 3, follow: false, write: (b) => { out += Buffer.from(b).toString(); } });
    expect(out.replace(/\S+Z /g, "")).toBe("api | api b continued\nweb | web c\napi | api c\n");
    out = "";
    await showLogs({ sources: sources.slice(0, 1), lines: 2, follow: false, write: (b) => { out += Buffer.from(b).toString(); } });
    expect(out.replace(/\S+Z /g, "")).toBe("web b\nweb c\n"); // one server: no prefix
  });
});

describe("Follower", () => {
  test("sees lines written after it started, across one rotation and across several between two polls", async () => {
    const d = dir("follow");
    const path = join(d, "web.log");
    const log = new LogFile(path, { maxBytes: 1200, keep: 50 }); // 100 lines a file
    log.append(numbered(1, 50));
    await log.flush(10_000);
    const f = new Follower(path, null); // from the end: 50 lines already there are not shown
    expect(f.poll().lines).toEqual([]);
    log.append(numbered(51, 120)); // rotates at 100
    await log.flush(10_000);
    expect(nums(text(f.poll().lines))).toEqual(range(51, 120));
    await feed(log, 121, 1000, 100); // nine more rotations before the next poll
    expect(rotatedSet(path).length).toBe(10);
    const r = f.poll();
    expect(r.missed).toBe(false);
    expect(nums(text(r.lines))).toEqual(range(121, 1000));
    expect(f.poll().lines).toEqual([]);
    await log.close(10_000);
    f.close();
  });

  test("more rotations than kept files between two polls: says lines may have been missed, and goes on with the oldest kept", async () => {
    const d = dir("missed");
    const path = join(d, "web.log");
    const log = new LogFile(path, { maxBytes: 1200, keep: 2 });
    log.append(numbered(1, 10));
    await log.flush(10_000);
    const f = new Follower(path, null);
    await feed(log, 11, 1000, 100);
    const r = f.poll();
    expect(r.missed).toBe(true);
    const got = nums(text(r.lines));
    expect(got.slice(-200)).toEqual(range(801, 1000)); // web.log.2 … web.log: all of what is kept
    await log.close(10_000);
    f.close();
  });

  test("starts with the first file when there is none yet; reads a truncated file (copytruncate) from its start", () => {
    const d = dir("nofile");
    const path = join(d, "web.log");
    const f = new Follower(path, null);
    expect(f.poll().lines).toEqual([]);
    writeFileSync(path, "one\ntwo\n");
    expect(text(f.poll().lines)).toBe("one\ntwo\n");
    const fd = openSync(path, "r+");
    ftruncateSync(fd, 0);
    closeSync(fd);
    appendFileSync(path, "three\n");
    expect(text(f.poll().lines)).toBe("three\n");
    // Renamed away with nothing at the path yet (logrotate without `create`): waits, then the new file.
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, "four\n");
    expect(text(f.poll().lines)).toBe("four\n");
    writeFileSync(path, "five\n");
    expect(text(f.poll().lines)).toBe("five\n");
    f.close();
  });

  test("showLogs -f: the last lines, then every new line once, across rotations, until aborted", async () => {
    const d = dir("show");
    const path = join(d, "web.log");
    const log = new LogFile(path, { maxBytes: 1200, keep: 100 });
    log.append(numbered(1, 10));
    await log.flush(10_000);
    const stop = new AbortController();
    let out = "";
    let started!: () => void;
    const first = new Promise<void>((resolve) => { started = resolve; });
    let finished!: () => void;
    const all = new Promise<void>((resolve) => { finished = resolve; });
    const shown = showLogs({
      sources: [{ name: "web", path }],
      lines: 3,
      follow: true,
      pollMs: 5,
      signal: stop.signal,
      write: (b) => {
        out += Buffer.from(b).toString();
        started();
        if (out.endsWith("line 003000\n")) finished();
      },
    });
    await first; // the last three lines are out: following from here
    await feed(log, 11, 3000, 100); // about thirty rotations
    await all;
    stop.abort();
    await shown;
    expect(nums(out)).toEqual(range(8, 3000));
    expect(readSet(path).length).toBeGreaterThan(25);
    await log.close(10_000);
  });
});
