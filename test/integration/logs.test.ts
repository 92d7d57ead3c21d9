// Issue 16 on the real supervisor: servers' output in rotated log files, read
// back with `ctl logs` (-n, -f across rotations), `ctl rotate`, kept across a
// live re-exec in the middle of a flood, lazarus's own event log in a rotated
// set that `replay` reads, and log files that fail (a full tmpfs, a directory
// that cannot be made) without getting in the way of supervision.
import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "../../src/os/control-client.ts";
import { makePipe } from "../../src/os/libc.ts";
import { rotatedSet } from "../../src/os/log-read.ts";
import { mountTmpfs, unmount } from "../helpers/log-files.ts";
import { ctl, eventually, MAIN, perTest, ROOT, type Run, SERVER } from "../helpers/run.ts";

const { start, tempDir } = perTest({ tmp: "lazarus-logs-" });

/** A supervisor on this config file (in a fresh directory, with its control socket there). */
async function supervise(toml: string, dir = tempDir(), extra: string[] = []): Promise<{ r: Run; dir: string; sock: string }> {
  const sock = join(dir, "ctl.sock");
  writeFileSync(join(dir, "lazarus.toml"), `control = ${JSON.stringify(sock)}\n${toml}`);
  const r = start([`--config=${join(dir, "lazarus.toml")}`, ...extra]);
  await r.waitFor("started, supervising");
  return { r, dir, sock };
}

/** Poll an asynchronous condition (the status over the socket), bounded. */
async function until(probe: () => Promise<boolean>, what: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

interface LogStatus { path: string; dropped: number; failing: string | null }
async function status(sock: string): Promise<{ servers: { name: string; pid: number | null; restarts: number; log: LogStatus | null }[]; eventLog: LogStatus | null }> {
  const res = await request(sock, { cmd: "status" });
  if (!res.ok) throw new Error(res.error);
  return res.reply.status as never;
}

/**
 * A file's text, or "" where there is none: for probes that poll a log while lazarus may be
 * rotating it (between its rename of NAME.log and its opening of the new one, the path names
 * nothing; each step runs on the thread pool, so the gap is not short).
 */
function textOf(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw e;
  }
}

/**
 * The bytes of a rotated set while it may be rotating: its files listed, then each one's size,
 * again until no file of the listing went away in between (a rotation renames them one by one).
 */
function setBytes(path: string): number {
  for (;;) {
    let total = 0;
    let moved = false;
    for (const f of rotatedSet(path)) {
      try {
        total += statSync(f).size;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        moved = true;
      }
    }
    if (!moved) return total;
  }
}

/** The lines of a rotated set, oldest first, and how many files it has. */
function setLines(path: string): { lines: string[]; files: string[]; whole: boolean } {
  const files = rotatedSet(path);
  const text = files.map((f) => readFileSync(f, "utf8")).join("");
  return { lines: text.split("\n").slice(0, -1), files, whole: text === "" || text.endsWith("\n") };
}

/** "line 000001" … as printed by awk: 12 bytes each with the newline. */
const awk = (from: number, to: number) => `awk 'BEGIN { for (i = ${from}; i <= ${to}; i++) printf "line %06d\\n", i }'`;
const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `line ${String(from + k).padStart(6, "0")}`);

/** The numbers of "line N" lines, checked to be the run from..to, each exactly once, in order, none cut. */
function expectRun(lines: readonly string[], from: number, to: number): void {
  const bad = lines.filter((l) => !/^line \d{6}$/.test(l));
  expect(bad.slice(0, 5)).toEqual([]);
  const nums = lines.map((l) => Number(l.slice(5)));
  const gaps: string[] = [];
  for (let i = 0; i < nums.length; i++) {
    const want = i === 0 ? from : (nums[i - 1] as number) + 1;
    if (nums[i] !== want) gaps.push(`at ${i}: ${nums[i]} after ${i === 0 ? "the start" : nums[i - 1]}`);
    if (gaps.length > 5) break;
  }
  expect(gaps).toEqual([]);
  expect(nums.length).toBe(to - from + 1);
}

describe("log files, rotation, ctl logs", () => {
  test("100,000 numbered lines, 36 rotations: every line once, in order, none cut, in log_keep + 1 files; ctl logs -n 5; the terminal gets them too", async () => {
    // 12 bytes a line: a 32768-byte file holds 2730 lines, so 100,000 lines make 36 full files and one of
    // 1720 lines: with log_keep = 36 that is log_keep + 1 files, and no line is removed by the rotation.
    const { r, dir, sock } = await supervise(`log_dir = "logs"\nlog_max_size = 32768\nlog_keep = 36\n` +
      `[servers.count]\ncmd = ["sh", "-c", ${JSON.stringify(`${awk(1, 100_000)}; exec sleep 1000`)}]\noutput = "inherit"\n`);
    const path = join(dir, "logs", "count.log");
    await eventually(() => textOf(path).endsWith("line 100000\n"), "the last line in the log file", 40_000);
    const { lines, files, whole } = setLines(path);
    expect(whole).toBe(true);
    expectRun(lines, 1, 100_000);
    expect(files).toHaveLength(37);
    expect(files.slice(0, -1).map((f) => readFileSync(f).length)).toEqual(Array.from({ length: 36 }, () => 2730 * 12));
    // Nothing dropped, and said so.
    const st = await status(sock);
    expect(st.servers[0]?.log).toEqual({ path, dropped: 0, failing: null });
    // The last five, as a user asks for them (the supervisor says where the file is).
    expect(await ctl(`--control=${sock}`, "logs", "count", "-n", "5")).toEqual({ code: 0, out: `${numbered(99_996, 100_000).join("\n")}\n`, err: "" });
    expect((await ctl(`--control=${sock}`, "logs", "count", "-n5")).out).toBe(`${numbered(99_996, 100_000).join("\n")}\n`);
    // Inherited output with a log file: the terminal has every line too, unprefixed.
    await eventually(() => r.stdout.endsWith("line 100000\n"), "the last line on the terminal", 20_000);
    expect(r.stdout).toBe(`${numbered(1, 100_000).join("\n")}\n`);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 60_000);

  test("--log-dir on the command line (relative to the working directory), ctl rotate, output = none, and ctl logs --log-dir with no supervisor", async () => {
    const dir = tempDir();
    const sock = join(dir, "ctl.sock");
    const r = start([`--control=${sock}`, "--log-dir=logs", "--output=none", "{", "sh", "-c", "echo one; echo two >&2; exec sleep 1000", "}",
      "{", SERVER, "--quiet", "}"], { cwd: dir });
    await r.waitFor("started, supervising");
    const path = join(dir, "logs", "sh.log");
    await eventually(() => existsSync(path) && readFileSync(path, "utf8").split("\n").length === 3, "two lines in sh.log");
    expect(readFileSync(path, "utf8").split("\n").sort()).toEqual(["", "one", "two"]);
    // output = "none": nothing on the terminal.
    expect(r.lines.some((l) => l === "one" || l.endsWith("| one"))).toBe(false);
    expect(await ctl(`--control=${sock}`, "rotate", "sh")).toEqual({ code: 0, out: "rotated 1 log file\n", err: "" });
    expect(readFileSync(`${path}.1`, "utf8").split("\n").sort()).toEqual(["", "one", "two"]);
    expect(existsSync(path) ? readFileSync(path, "utf8") : "").toBe("");
    expect(await ctl(`--control=${sock}`, "rotate")).toEqual({ code: 0, out: "rotated 2 log files\n", err: "" });
    expect((await ctl(`--control=${sock}`, "rotate", "nope")).err).toBe("lazarus: ctl: refused: no server named \"nope\"\n");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    // The supervisor is gone: the files are still there to read.
    const after = await ctl(`--log-dir=${join(dir, "logs")}`, "logs", "sh", "-n", "2");
    expect(after.code).toBe(0);
    expect(after.out.split("\n").sort()).toEqual(["", "one", "two"]);
  }, 30_000);

  test("ctl logs -f sees lines written after it started, across rotations, until interrupted", async () => {
    // 300-byte files rotate every 30 lines or so, several times a second; 10 kept: a follower misses lines only if it does
    // not poll for ten rotations (it says so then), which a starved process on a loaded machine might not with 2.
    const { r, dir, sock } = await supervise(`log_dir = "logs"\nlog_max_size = 300\nlog_keep = 10\n` +
      `[servers.tick]\ncmd = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.01; done"]\noutput = "none"\n`);
    const path = join(dir, "logs", "tick.log");
    await eventually(() => existsSync(`${path}.1`), "a first rotation");
    const follower = Bun.spawn([process.execPath, "run", MAIN, "ctl", `--control=${sock}`, "logs", "tick", "-f", "-n", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const seen: number[] = [];
    const reading = (async () => {
      let buf = "";
      for await (const chunk of follower.stdout) {
        buf += Buffer.from(chunk).toString();
        const parts = buf.split("\n");
        buf = parts.pop() ?? "";
        for (const l of parts) seen.push(Number(/^tick (\d+)$/.exec(l)?.[1] ?? Number.NaN));
      }
    })();
    // At about 9 bytes a line, 300-byte files rotate every 30 lines or so: 150 lines cross several rotations.
    await eventually(() => seen.length >= 150, "150 lines followed", 30_000);
    const firstInFile = Number(/^tick (\d+)$/m.exec(readFileSync(rotatedSet(path)[0] as string, "utf8"))?.[1]);
    follower.kill("SIGINT");
    expect(await follower.exited).toBe(0);
    await reading;
    // Consecutive, none lost or doubled at the rotations, and written after the follower started.
    expect(seen.every((n, i) => i === 0 || n === (seen[i - 1] as number) + 1)).toBe(true);
    expect(seen[0]).toBeGreaterThan(1);
    expect(seen.at(-1)).toBeGreaterThan(firstInFile);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 60_000);
});

describe("ctl logs -f and a reader that goes away", () => {
  test("ctl logs -f | grep -m1 …: once the reader has gone, ctl ends though no new line comes to fail a write", async () => {
    const { r, sock } = await supervise(`log_dir = "logs"\n[servers.quiet]\ncmd = ["${SERVER}", "--quiet", "--chatter=3"]\noutput = "none"\n`);
    const p = makePipe();
    if ("error" in p) throw new Error(p.error);
    const follower = Bun.spawn([process.execPath, "run", MAIN, "ctl", `--control=${sock}`, "logs", "quiet", "-f"], { cwd: ROOT, stdio: ["ignore", p.write, "pipe"] });
    closeSync(p.write);
    // Its three lines (the server writes no more), read as grep -m1 would before it exits.
    let text = "";
    const buf = Buffer.alloc(65536);
    while ((text.match(/\n/g) ?? []).length < 3) {
      const n = readSync(p.read, buf);
      if (n === 0) throw new Error(`the follower's output ended early: ${JSON.stringify(text.slice(0, 200))}`);
      text += buf.subarray(0, n).toString();
    }
    expect(text.split("\n")[0]).toStartWith("server-0-");
    closeSync(p.read);
    const end = await Promise.race([follower.exited, Bun.sleep(10_000).then(() => "still following")]);
    if (end !== 0) follower.kill("SIGKILL");
    expect(end).toBe(0);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 60_000);
});

describe("other rotators, timestamps, merged logs", () => {
  test("logrotate's way (log_max_size = 0, rename, ctl reopen): no line lost; log_timestamps; ctl logs merges every log by time, with prefixes", async () => {
    const { r, dir, sock } = await supervise(`log_dir = "logs"\nlog_max_size = 0\nlog_timestamps = true\n` +
      `[servers.tick]\ncmd = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.01; done"]\noutput = "none"\n` +
      `[servers.tock]\ncmd = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo tock $i; sleep 0.013; done"]\noutput = "none"\n`);
    const path = join(dir, "logs", "tick.log");
    const ticks = (text: string) => text.split("\n").slice(0, -1).map((l) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) tick (\d+)$/.exec(l);
      if (m === null) throw new Error(`not a stamped tick line: ${JSON.stringify(l)}`);
      return Number(m[2]);
    });
    await eventually(() => existsSync(path) && ticks(readFileSync(path, "utf8")).length >= 20, "ticks in the file");
    // What logrotate does: rename the file, then (postrotate) ctl reopen.
    const before = ticks(readFileSync(path, "utf8")).length;
    renameSync(path, `${path}.rotated`);
    // Until the reopen, lines go on to the renamed file (the open file): none is lost. (Unless lazarus's own
    // check, at most every second, has found the path moved and opened a new file already: the last
    // check below shows that no line was lost that way either.)
    await eventually(() => existsSync(path) || ticks(readFileSync(`${path}.rotated`, "utf8")).length > before + 5, "lines in the renamed file");
    expect(await ctl(`--control=${sock}`, "reopen", "tick")).toEqual({ code: 0, out: "reopening 1 log file before their next line\n", err: "" });
    await eventually(() => existsSync(path) && ticks(readFileSync(path, "utf8")).length >= 20, "ticks in the new file");
    const all = [...ticks(readFileSync(`${path}.rotated`, "utf8")), ...ticks(readFileSync(path, "utf8"))];
    expect(all.every((n, i) => n === i + 1)).toBe(true);
    // Every log, merged by time: prefixed, and each line's time no earlier than the one before.
    const merged = await ctl(`--control=${sock}`, "logs", "-n", "30");
    expect(merged.code).toBe(0);
    const lines = merged.out.split("\n").slice(0, -1);
    expect(lines).toHaveLength(30);
    const parsed = lines.map((l) => /^(tick|tock) \| (\S+) (tick|tock) \d+$/.exec(l));
    expect(parsed.every((m) => m !== null && m[1] === m[3])).toBe(true);
    const times = parsed.map((m) => Date.parse(m?.[2] ?? ""));
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] as number))).toBe(true);
    expect(new Set(parsed.map((m) => m?.[1]))).toEqual(new Set(["tick", "tock"]));
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 30_000);
});

describe("a live re-exec in the middle of a flood", () => {
  test("every line of the file exactly once, in order, none cut: nothing lost or doubled across the exec", async () => {
    // The flood goes on (as fast as lazarus takes it) until the marker exists; it is checked every 5000 lines.
    const dir = tempDir();
    const marker = join(dir, "enough");
    const flood = `awk 'BEGIN { for (i = 1; ; i++) { printf "line %07d\\n", i; if (i % 5000 == 0 && system("test -e ${marker}") == 0) break }; print "done" }'; exec sleep 1000`;
    const { r } = await supervise(`log_dir = "logs"\nlog_max_size = "1MiB"\nlog_keep = 200\n` +
      `[servers.flood]\ncmd = ["sh", "-c", ${JSON.stringify(flood)}]\noutput = "none"\n` +
      `[servers.prefixed]\ncmd = ["sh", "-c", ${JSON.stringify(`${awk(1, 20_000)}; exec sleep 1000`)}]\noutput = "prefix"\n`, dir);
    const path = join(dir, "logs", "flood.log");
    const count = () => setBytes(path) / 13;
    // In the middle of it: some lines written, the flood going on.
    await eventually(() => count() > 100_000, "the flood under way", 20_000);
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor("re-exec complete", { from: mark });
    const atExec = count();
    await eventually(() => count() > atExec + 100_000, "the flood going on after the exec", 20_000);
    writeFileSync(marker, "");
    await eventually(() => textOf(path).endsWith("done\n"), "the end of the flood", 20_000);
    const { lines, whole } = setLines(path);
    expect(whole).toBe(true);
    expect(lines.at(-1)).toBe("done");
    const body = lines.slice(0, -1);
    expect(body.length).toBeGreaterThan(atExec + 100_000);
    const bad = body.filter((l) => !/^line \d{7}$/.test(l));
    expect(bad.slice(0, 5)).toEqual([]);
    const gaps = body.flatMap((l, i) => (Number(l.slice(5)) === i + 1 ? [] : [`${l} at ${i + 1}`])).slice(0, 5);
    expect(gaps).toEqual([]);
    // The other server's lines, prefixed on the terminal and in its file, across the same exec.
    await eventually(() => readFileSync(join(dir, "logs", "prefixed.log"), "utf8").endsWith("line 020000\n"), "the other server's last line");
    expectRun(setLines(join(dir, "logs", "prefixed.log")).lines, 1, 20_000);
    await eventually(() => r.stdout.endsWith("prefixed | line 020000\n"), "its last line on the terminal");
    expectRun(r.stdout.split("\n").slice(0, -1).map((l) => l.replace(/^prefixed \| /, "")), 1, 20_000);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 60_000);
});

describe("lazarus's own event log", () => {
  test("event_log in a rotated set, across a re-exec: replay reads the whole set and the core agrees with every step", async () => {
    const { r, dir } = await supervise(`event_log = "events.jsonl"\nlog_max_size = 4096\nlog_keep = 100\ninterval = 0\n` +
      `[servers.crash]\ncmd = ["${SERVER}", "--life=0.05", "--exit=3"]\n`);
    await r.waitForCount(/'crash' died abnormally, respawning/, 10);
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor("re-exec complete", { from: mark });
    await r.waitForCount(/'crash' died abnormally, respawning/, 20);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    const path = join(dir, "events.jsonl");
    const files = rotatedSet(path);
    expect(files.length).toBeGreaterThan(2);
    // Every line is one JSON object: a header, an input or a record.
    const lines = files.flatMap((f) => readFileSync(f, "utf8").split("\n").slice(0, -1));
    expect(lines.every((l) => l.startsWith("{") && l.endsWith("}"))).toBe(true);
    expect(lines.filter((l) => l.startsWith('{"lazarus":'))).toHaveLength(2);
    // The last record is the exit's (inputs after it, an orphan reaped as it exits, change nothing).
    expect(lines.filter((l) => l.includes('"event":')).at(-1)).toContain('"event":"exiting"');
    const replay = Bun.spawnSync([process.execPath, "run", MAIN, "replay", path], { cwd: ROOT });
    const out = replay.stdout.toString();
    expect(out).toMatch(/^lazarus: replay: \d+ inputs in 2 images: the core agrees with every recorded step\.\n$/);
    expect(replay.exitCode).toBe(0);
    expect(Number(/(\d+) inputs/.exec(out)?.[1])).toBeGreaterThan(40);
  }, 60_000);
});

describe("log files that fail never get in the way", () => {
  /** Supervision goes on: a killed server is respawned, and SIGTERM shuts down cleanly. */
  async function supervisionGoesOn(r: Run, sock: string): Promise<void> {
    const before = (await status(sock)).servers[0];
    const pid = before?.pid as number;
    const mark = r.lines.length;
    process.kill(pid, "SIGKILL");
    await r.waitFor(/'chatty' died abnormally, respawning/, { from: mark });
    await until(async () => ((await status(sock)).servers[0]?.restarts ?? 0) > (before?.restarts ?? 0), "the respawn in the status");
  }

  test("a tiny tmpfs fills up: lines are dropped and counted, said once, supervision goes on, and logging resumes once space is freed", async () => {
    const dir = tempDir();
    const logs = join(dir, "logs");
    mkdirSync(logs);
    // Larger than the 1 MiB a log file may hold waiting: once the filler goes, what waited
    // fits and the file does not fill up again at once (which the checks below would see).
    const why = mountTmpfs(logs, "2048k");
    if (why !== null) {
      // Not root here, or no permission to mount: the reason is printed, and it is one of the expected ones.
      console.log(`tmpfs test not run: ${why}`);
      expect(why).toMatch(/not root|not permitted|failed/);
      return;
    }
    try {
      // Nearly full already: a filler leaves about 40 KiB.
      writeFileSync(join(logs, "filler"), Buffer.alloc(2008 * 1024, 120));
      const { r, sock } = await supervise(`log_dir = "logs"\nlog_max_size = 0\ninterval = 0\n` +
        `[servers.chatty]\ncmd = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; sleep 0.002; done"]\noutput = "none"\n`, dir);
      const failing = await r.waitFor(/dropping \(and counting\) the lines of .*chatty\.log until it can be written again: cannot write .*: no space left on device.* \(ENOSPC\)\./, { timeout: 20_000 });
      expect(failing).toStartWith("lazarus: ");
      await until(async () => ((await status(sock)).servers[0]?.log?.dropped ?? 0) > 0, "drops counted in the status");
      const table = await ctl(`--control=${sock}`, "status");
      expect(table.out).toMatch(/LOG DROPS/);
      expect(table.out).toMatch(/\d+ \(failing\)/);
      await supervisionGoesOn(r, sock);
      // Said once, not once per line.
      expect(r.lines.filter((l) => l.includes("dropping (and counting)"))).toHaveLength(1);
      // Space again: writing resumes, and one line says how many were lost.
      rmSync(join(logs, "filler"));
      const resumed = await r.waitFor(/chatty\.log can be written again; \d+ lines? could not be written and (?:was|were) dropped\./, { timeout: 20_000 });
      expect(Number(/again; (\d+) lines?/.exec(resumed)?.[1])).toBeGreaterThan(0);
      expect((await status(sock)).servers[0]?.log?.failing).toBeNull();
      r.signal("SIGTERM");
      expect((await r.ended()).code).toBe(0);
    } finally {
      unmount(logs);
    }
  }, 60_000);

  test("a log directory that cannot be made: said at once, counted, supervision goes on; once it can be, logging starts", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "blocker"), "a file where the log directory's parent should be\n");
    const { r, sock } = await supervise(`log_dir = "blocker/logs"\ninterval = 0\n` +
      `[servers.chatty]\ncmd = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.01; done"]\noutput = "none"\n`, dir);
    await r.waitFor(/dropping \(and counting\) the lines of .*blocker\/logs\/chatty\.log until it can be written again: cannot mkdir .*\(ENOTDIR\)\./);
    await until(async () => ((await status(sock)).servers[0]?.log?.dropped ?? 0) > 0, "drops counted");
    await supervisionGoesOn(r, sock);
    const answered = await ctl(`--control=${sock}`, "status");
    expect(answered.code).toBe(0);
    // The directory can be made now: lines go to the file again.
    rmSync(join(dir, "blocker"));
    await r.waitFor(/chatty\.log can be written again; \d+ lines? could not be written and (?:was|were) dropped\./, { timeout: 20_000 });
    await eventually(() => existsSync(join(dir, "blocker/logs/chatty.log")) && readFileSync(join(dir, "blocker/logs/chatty.log"), "utf8").includes("\n"), "lines in the file");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 60_000);

  test("a log file that hangs (a FIFO nobody reads: every write waits forever): supervision, the control socket and a shutdown go on", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "logs"));
    const fifo = join(dir, "logs", "chatty.log");
    spawnFifo(fifo);
    const { r, sock } = await supervise(`log_dir = "logs"\ninterval = 0\n` +
      `[servers.chatty]\ncmd = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"]\noutput = "none"\n`, dir);
    // The FIFO takes 64 KiB, then the write waits; 1 MiB queues up; then lines are dropped and counted.
    await r.waitFor(/dropping \(and counting\) the lines of .*chatty\.log until it can be written again: more than 1 MiB of lines wait for .*: the disk is slow\./, { timeout: 30_000 });
    await until(async () => ((await status(sock)).servers[0]?.log?.dropped ?? 0) > 1000, "drops counted");
    await supervisionGoesOn(r, sock);
    r.signal("SIGTERM");
    // The log file gets its bounded time at the exit (2 s), then lazarus exits all the same.
    expect((await r.ended()).code).toBe(0);
  }, 60_000);
});

/** A FIFO at `path` (mkfifo): opened read-write by the log file, it takes 64 KiB and then every write waits. */
function spawnFifo(path: string): void {
  const made = Bun.spawnSync(["mkfifo", path]);
  if (made.exitCode !== 0) throw new Error(`mkfifo ${path}: ${made.stderr.toString()}`);
}
