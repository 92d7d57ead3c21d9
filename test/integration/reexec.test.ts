// docs/spec.md ("Live re-exec"), the live re-exec, on the real supervisor: SIGUSR1 replaces its image
// while every child keeps running, and the new image takes them over.
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, cpSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { replay } from "../../src/core/replay.ts";
import type { Event } from "../../src/core/types.ts";
import { lives } from "../helpers/pid-lives.ts";
import { childrenOf, ctl, eventually, MAIN, ROOT, Run, SERVER, waitGone, perTest } from "../helpers/run.ts";

const { start, track, tempDir } = perTest({ prefix: ["--control=none"], tmp: "lazarus-reexec-" });

const S = SERVER;
const X = `'${S}'`;

/** Send SIGUSR1 and wait for the new image to say it took over. */
async function reexec(r: Run): Promise<string> {
  const mark = r.lines.length;
  r.signal("SIGUSR1");
  return r.waitFor(/re-exec complete|"event":"reexec-done"/, { from: mark });
}

/** The dump's line for server i (sends SIGQUIT and waits for it). */
async function dumpLine(r: Run, i: number): Promise<string> {
  const mark = r.lines.length;
  r.signal("SIGQUIT");
  return r.waitFor(new RegExp(`info: server ${i}:`), { from: mark });
}

function inputs(r: Run): Event[] {
  return r.lines.filter((l) => l.startsWith("{")).flatMap((l) => {
    const o = JSON.parse(l) as { input?: Event };
    return o.input === undefined ? [] : [o.input];
  });
}

describe("live re-exec on SIGUSR1", () => {
  test("alive children keep their pids, the buried are revived, the cremated stay; SIGTERM still stops all", async () => {
    const r = start(["--interval=5", "{", S, "tag=live", "}", "{", S, "--life=0.1", "--exit=4", "--initial-spawn", "tag=buried", "}", "{", S, "--life=0.1", "tag=clean", "}"]);
    await r.waitFor("burying because it died too fast.");
    await r.waitFor(`child process ${X} exited normally, cremating.`);
    const liveBefore = await dumpLine(r, 0);
    const livePid = Number(/pid (\d+)/.exec(liveBefore)?.[1]);
    const mark = r.lines.length;
    const done = await reexec(r);
    expect(done).toBe("lazarus: re-exec complete: lazarus 0.1.0 running, adopted 1 running server.");
    expect(readFileSync(`/proc/${r.pid}/cmdline`, "utf8").split("\0")).toContain("--re-exec");
    // the buried one is revived, with --respawn
    const revived = await r.waitFor(/--respawn tag=buried/, { from: mark });
    expect(revived).toContain("argv: --life=0.1 --exit=4 --respawn tag=buried");
    await r.waitFor("burying because it died too fast.", { from: mark });
    // the alive one kept its pid and its start time; the clean one stays cremated
    const liveAfter = await dumpLine(r, 0);
    expect(liveAfter).toBe(liveBefore.replace(/^lazarus: info: server 0:/, "lazarus: info: server 0:"));
    expect(await dumpLine(r, 2)).toContain("will never respawn");
    expect(r.lines.filter((l) => l.includes("tag=clean") && l.startsWith("fixture:"))).toHaveLength(1);
    r.signal("SIGTERM");
    expect(await r.ended()).toEqual({ code: 0, signal: null });
    expect(r.own).toContain(`child process ${X} exited normally, cremating.`);
    expect(await waitGone([livePid, ...r.fixturePids()])).toEqual([]);
  });

  test("an adopted child's crash is classified with its original start time", async () => {
    const d = tempDir();
    const crash = join(d, "crash");
    const r = start(["--interval=1", "{", S, `--crash-when=${crash}`, "tag=x", "}"]);
    await r.waitFor(/tag=x/);
    await Bun.sleep(1100); // the scenario: it has now lived longer than the interval
    await reexec(r);
    const mark = r.lines.length;
    writeFileSync(crash, ""); // it crashes ~0-50 ms after the re-exec: short since the exec, long since its start
    await r.waitFor(`${X} exited with code 3.`, { from: mark });
    expect(await r.waitFor(/died abnormally, (respawning|burying)/, { from: mark })).toBe(`lazarus: ${X} died abnormally, respawning.`);
    // its respawn finds the file and crashes at once: buried; then a clean shutdown
    await r.waitFor("burying because it died too fast.", { from: mark });
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone(r.fixturePids())).toEqual([]);
  });

  test("children that crash while the supervisor re-executes are seen and handled, each exactly once", async () => {
    const r = start(["--log-format=json", "--interval=0", "{", S, "tag=a", "}", "{", S, "tag=b", "}"]);
    await r.waitForCount(/"event":"spawned"/, 2);
    const killed: number[] = [];
    for (const delay of [0, 1, 3, 6, 10, 20]) {
      const alive = inputs(r).filter((e) => e.type === "spawned").map((e) => (e as { pid: number }).pid).filter((p) => !inputs(r).some((e) => e.type === "exited" && e.pid === p));
      const victim = alive[delay % alive.length]!;
      const mark = r.lines.length;
      r.signal("SIGUSR1");
      if (delay > 0) await Bun.sleep(delay); // the crash lands at varying points of the exec
      process.kill(victim, "SIGSEGV");
      killed.push(victim);
      await r.waitFor(/"event":"reexec-done"/, { from: mark });
      await r.waitFor(new RegExp(`"input":\\{"type":"exited","at":[0-9.]+,"pid":${victim},`), { from: mark - 50 > 0 ? mark - 50 : 0 });
    }
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    const ev = inputs(r);
    for (const pid of killed) {
      const ends = ev.filter((e) => e.type === "exited" && e.pid === pid);
      expect(ends).toHaveLength(1);
      expect((ends[0] as { status: unknown }).status).toEqual({ kind: "signal", signal: 11 });
    }
    expect(await waitGone(r.fixturePids())).toEqual([]);
  });

  test("50 re-execs in a row while children crash and respawn lose nothing and leave no zombie", async () => {
    const r = start(["--log-format=json", "--interval=0", "{", S, "--life=0.03", "--exit=1", "}", "{", S, "--life=0.05", "--signal=ABRT", "}", "{", S, "}"]);
    await r.waitForCount(/"event":"spawned"/, 3);
    for (let k = 0; k < 50; k++) await reexec(r);
    // no zombie under the supervisor once things settle
    await eventually(() => childrenOf(r.pid).every((c) => c.state !== "Z") || null, "no zombie children");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    const ev = inputs(r);
    const spawned = ev.flatMap((e) => (e.type === "spawned" ? [e.pid] : []));
    expect(spawned.length).toBeGreaterThan(20);
    // (by life, not by pid: fifty re-execs of crash loops on a busy machine may hand a pid out again)
    for (const life of lives(ev)) expect({ pid: life.pid, exits: life.exits.length }).toEqual({ pid: life.pid, exits: 1 });
    // every fixture that started was recorded as spawned
    for (const pid of r.fixturePids()) expect(spawned).toContain(pid);
    expect(ev.filter((e) => e.type === "start")).toHaveLength(51);
    // and the whole multi-image log replays through the core to the same records
    const report = replay(r.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)));
    expect(report.images).toBe(51);
    expect(report.problems).toEqual([]);
    expect(report.mismatches).toEqual([]);
    expect(await waitGone(r.fixturePids())).toEqual([]);
  });

  test("the script replaced on disk between two re-execs: the new code runs, the children keep their pids", async () => {
    const d = tempDir();
    cpSync(join(ROOT, "src"), join(d, "src"), { recursive: true });
    const r = start(["{", S, "}", "{", S, "--fork=1", "}"], { argv0: [process.execPath, "run", join(d, "src/main.ts")] });
    await r.waitForCount(/started with pid/, 2);
    const before = [await dumpLine(r, 0), await dumpLine(r, 1)];
    expect(await reexec(r)).toContain("lazarus 0.1.0 running");
    writeFileSync(join(d, "src/version.ts"), 'export const VERSION = "0.1.0-next";\n');
    expect(await reexec(r)).toBe("lazarus: re-exec complete: lazarus 0.1.0-next running, adopted 2 running servers.");
    expect([await dumpLine(r, 0), await dumpLine(r, 1)]).toEqual(before);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone(r.fixturePids())).toEqual([]);
  });

  test("servers whose output readers are too many for one variable (LAZARUS_OUTPUT over 128 KiB) re-exec: it goes in pieces", async () => {
    // 240 servers of 200-character names, their output prefixed: 480 readers handed across, some 250 KiB of LAZARUS_OUTPUT. In one
    // variable the exec failed with E2BIG ("re-exec failed: execve …: Argument list too long"), as 500 servers of short names did.
    const d = tempDir();
    const tables = [0, 1, 2, 3].map((t) => `[servers.${"abcd"[t]?.repeat(200)}]\ncmd = ["${S}", "--quiet"]\ninstances = 60\noutput = "prefix"\n`);
    writeFileSync(join(d, "lazarus.toml"), tables.join(""));
    const sock = join(d, "ctl.sock");
    const r = track(new Run([`--control=${sock}`, `--config=${join(d, "lazarus.toml")}`]));
    await r.waitForCount(/started with pid/, 240, 60_000);
    const said = (mark: number) => r.waitFor(/re-exec (complete|failed)/, { from: mark });
    let mark = r.lines.length;
    r.signal("SIGUSR1");
    expect(await said(mark)).toBe("lazarus: re-exec complete: lazarus 0.1.0 running, adopted 240 running servers.");
    // Its output is still read (by the new image), and the pieces are lazarus's own: a server started now has none of them.
    mark = r.lines.length;
    writeFileSync(join(d, "lazarus.toml"), `${tables.join("")}[servers.probe]\ncmd = ["${S}", "--print-env=LAZARUS_OUTPUT_2", "--print-env=LAZARUS_OUTPUT"]\n`);
    expect((await ctl(`--control=${sock}`, "reload")).out).toStartWith("reloaded: 1 added (probe), 0 changed, 0 removed, 240 unchanged");
    expect(await r.waitFor(/env LAZARUS_OUTPUT_2/, { from: mark })).toMatch(/env LAZARUS_OUTPUT_2 unset$/);
    expect(await r.waitFor(/env LAZARUS_OUTPUT\b/, { from: mark })).toMatch(/env LAZARUS_OUTPUT unset$/);
    // And again: the new image hands them across too.
    mark = r.lines.length;
    r.signal("SIGUSR1");
    expect(await said(mark)).toBe("lazarus: re-exec complete: lazarus 0.1.0 running, adopted 241 running servers.");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 120_000);

  test("an exec that fails leaves the old image running, with a line saying why", async () => {
    const d = tempDir();
    const bun = join(d, "bun");
    copyFileSync(process.execPath, bun);
    chmodSync(bun, 0o755);
    const r = start(["{", S, "}"], { argv0: [bun, "run", MAIN] });
    const pid = await r.startedPid();
    unlinkSync(bun); // the runtime lazarus would re-execute is gone
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    const line = await r.waitFor("re-exec failed:", { from: mark });
    expect(line).toBe(`lazarus: re-exec failed: the new image cannot be started: ENOENT: no such file or directory, posix_spawn '${bun}'; still running the old image.`);
    expect(await dumpLine(r, 0)).toContain(`pid ${pid}, up and running`);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone([pid])).toEqual([]);
  });

  test("a broken upgrade (the new code does not start) is refused: the old image goes on, children untouched", async () => {
    const d = tempDir();
    cpSync(join(ROOT, "src"), join(d, "src"), { recursive: true });
    const r = start(["{", S, "}"], { argv0: [process.execPath, "run", join(d, "src/main.ts")] });
    const pid = await r.startedPid();
    writeFileSync(join(d, "src/version.ts"), "export const VERSION = ;\n"); // a syntax error in the upgrade
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    expect(await r.waitFor("re-exec failed:", { from: mark })).toMatch(/^lazarus: re-exec failed: the new image fails its start-up check \(exit status 1\): .+; still running the old image\.$/);
    expect(await dumpLine(r, 0)).toContain(`pid ${pid}, up and running`);
    // the files mended, the next upgrade goes through
    writeFileSync(join(d, "src/version.ts"), 'export const VERSION = "0.1.0-mended";\n');
    expect(await reexec(r)).toContain("lazarus 0.1.0-mended running, adopted 1 running server.");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone([pid])).toEqual([]);
  });

  test("a start-up check that fails on lazarus's own error quotes it without its full stop (the token file gone)", async () => {
    const d = tempDir();
    const token = join(d, "token");
    writeFileSync(token, `${"x".repeat(32)}\n`);
    const r = start(["--http=127.0.0.1:0", `--http-token-file=${token}`, "{", S, "}"]);
    const pid = await r.startedPid();
    rmSync(token);
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    // It was "… no such file (ENOENT).; still running the old image."
    expect(await r.waitFor("re-exec failed:", { from: mark })).toBe(
      `lazarus: re-exec failed: the new image fails its start-up check (exit status 2): --http-token-file=${token}: cannot read it: no such file (ENOENT); still running the old image.`,
    );
    expect(await dumpLine(r, 0)).toContain(`pid ${pid}, up and running`);
  });

  test("a control socket the new image cannot open is said, and supervision goes on without it", async () => {
    const d = tempDir();
    const sock = join(d, "ctl.sock");
    const r = track(new Run([`--control=${sock}`, "{", S, "}"]));
    const pid = await r.startedPid();
    // Someone puts a plain file where the socket was: the new image cannot listen there.
    rmSync(sock);
    writeFileSync(sock, "not a socket");
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    expect(await r.waitFor(/re-exec complete|re-exec failed/, { from: mark })).toContain("re-exec complete");
    expect(r.lines.slice(mark)).toContain(`lazarus: control socket: ${sock} exists and is not a socket; supervising without a control socket.`);
    expect(await dumpLine(r, 0)).toContain(`pid ${pid}, up and running`);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone([pid])).toEqual([]);
  });

  test("a signal sent while it re-executes never kills it", async () => {
    const r = start(["{", S, "}"]);
    const pid = await r.startedPid();
    for (const delay of [0, 1, 2, 3, 5, 8]) {
      const mark = r.lines.length;
      r.signal("SIGUSR1");
      if (delay > 0) await Bun.sleep(delay);
      r.signal("SIGQUIT"); // a dump: harmless when handled, fatal (core dump) when not
      await r.waitFor(/re-exec complete/, { from: mark });
      expect(r.proc.exitCode).toBeNull();
    }
    expect(await dumpLine(r, 0)).toContain(`pid ${pid}, up and running`);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});

describe("--re-exec with a handover that cannot be read", () => {
  test("a clear error, exit 1, and nothing started", async () => {
    const r = new Run(["--re-exec", "--control=none", "{", S, "}"], { env: { LAZARUS_HANDOVER: "lazarus-handover/1 00000000000000 {}" } });
    expect((await r.ended()).code).toBe(1);
    expect(r.lines).toEqual([
      "lazarus: unreadable re-exec state: checksum mismatch (truncated or corrupt); the children of the previous image are left running, unsupervised.",
    ]);
  });
});
