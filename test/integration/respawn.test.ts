// The real supervisor on real fixtures, checked from the outside: its stderr,
// its exit status, the fixtures' own start lines (pid and argv), and /proc.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childrenOf, eventually, Run, SERVER, waitGone, perTest } from "../helpers/run.ts";

const { start } = perTest({ prefix: ["--control=none"] });

const S = SERVER;
const X = "'" + S + "'";
/** Fixture start lines carrying `tag=T`. */
const started = (r: Run, tag: string) => r.lines.filter((l) => l.startsWith("fixture: pid=") && l.includes(`tag=${tag}`) && l.includes("argv:"));
const pidOf = (line: string) => Number(/pid=(\d+)/.exec(line)?.[1]);

async function stopAndCheckClean(r: Run): Promise<void> {
  r.signal("SIGTERM");
  const end = await r.ended();
  expect(end).toEqual({ code: 0, signal: null });
  expect(await waitGone(r.fixturePids())).toEqual([]);
}

describe("when a server's process ends", () => {
  test("a clean exit (status 0) cremates and is never restarted", async () => {
    const r = start(["--interval=0.2", "{", S, "--life=0.3", "tag=clean", "}", "{", S, "tag=keep", "}"]);
    await r.waitFor(`child process ${X} exited normally, cremating.`);
    // A dump after the exit shows the decision already taken: cremated, not restarting.
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(/info: server 0: .*will never respawn/, { from: mark });
    r.signal("SIGUSR2"); // a revive does not touch the cremated
    await r.waitFor("revive signal received.", { from: mark });
    await stopAndCheckClean(r);
    expect(started(r, "clean")).toHaveLength(1);
  });

  test("death by SIGTERM or SIGINT is clean: both cremated, and with nothing left the supervisor exits 0", async () => {
    const r = start(["--interval=0.1", "{", S, "--life=0.3", "--signal=TERM", "tag=t", "}", "{", S, "--life=0.3", "--signal=INT", "tag=i", "}"]);
    const end = await r.ended();
    expect(end).toEqual({ code: 0, signal: null });
    expect(r.own.filter((l) => l === `child process ${X} exited normally, cremating.`)).toHaveLength(2);
    expect(r.own).toContain("every server is cremated, exiting.");
    expect(started(r, "t")).toHaveLength(1);
    expect(started(r, "i")).toHaveLength(1);
  });

  test("a crash after the interval is respawned at once, with --respawn for --initial-spawn", async () => {
    const r = start(["--interval=0.3", "{", S, "--life=0.6", "--exit=3", "--initial-spawn", "--initial-spawn=x", "tag=c", "}"]);
    const first = await r.waitFor(/tag=c/);
    expect(first).toContain("argv: --life=0.6 --exit=3 --initial-spawn --initial-spawn=x tag=c");
    await r.waitFor(`${X} exited with code 3.`);
    await r.waitFor(`${X} died abnormally, respawning.`);
    const second = await r.waitFor(/--respawn .*tag=c/);
    expect(second).toContain("argv: --life=0.6 --exit=3 --respawn --initial-spawn=x tag=c");
    expect(pidOf(second)).not.toBe(pidOf(first));
    await stopAndCheckClean(r);
  });

  test("a crash by signal before the interval buries the server and it is not restarted", async () => {
    const r = start(["--interval=5", "{", S, "--life=0.1", "--signal=SEGV", "tag=b", "}", "{", S, "tag=keep", "}"]);
    await r.waitFor(`${X} died by signal 11 (SIGSEGV).`);
    await r.waitFor(`${X} died abnormally, burying because it died too fast.`);
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(/info: server 0: .*requires SIGUSR2 to respawn/, { from: mark });
    await stopAndCheckClean(r);
    expect(started(r, "b")).toHaveLength(1);
  });
});

describe("spawn failures and revive", () => {
  test("a missing command: clear error, buried, the other servers unaffected", async () => {
    const r = start(["{", "/nonexistent/lazarus-test-cmd", "}", "{", S, "tag=keep", "}"]);
    const line = await r.waitFor("could not spawn '/nonexistent/lazarus-test-cmd'");
    expect(line).toMatch(/^lazarus: could not spawn '\/nonexistent\/lazarus-test-cmd': .*ENOENT.*; burying\.$/);
    await r.waitFor(/tag=keep/);
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(/info: server 0: .*requires SIGUSR2 to respawn/, { from: mark });
    await r.waitFor(/info: server 1: .*up and running/, { from: mark });
    await stopAndCheckClean(r);
  });

  test("SIGUSR2 revives a buried server at once, though no other child dies", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lazarus-test-"));
    try {
      const fixed = join(dir, "fixed");
      const r = start(["--interval=5", "{", S, "--life=0.1", "--exit=1", `--stay-if=${fixed}`, "--initial-spawn", "tag=f", "}", "{", S, "tag=keep", "}"]);
      await r.waitFor("burying because it died too fast.");
      writeFileSync(fixed, "");
      const mark = r.lines.length;
      r.signal("SIGUSR2");
      await r.waitFor("revive signal received.", { from: mark });
      const again = await r.waitFor(/--respawn tag=f/, { from: mark });
      expect(again).toContain(`--stay-if=${fixed} --respawn tag=f`);
      const q = r.lines.length;
      r.signal("SIGQUIT");
      await r.waitFor(new RegExp(`info: server 0: name server, pid ${pidOf(again)}, up and running`), { from: q });
      await stopAndCheckClean(r);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("with every server buried it waits for a revive instead of exiting, then revives", async () => {
    const r = start(["--interval=5", "{", S, "--life=0.1", "--exit=1", "tag=w", "}"]);
    await r.waitFor("every remaining server is buried, waiting for a revive (SIGUSR2).");
    const mark = r.lines.length;
    r.signal("SIGUSR2");
    await r.waitFor(/tag=w/, { from: mark });
    await r.waitFor("every remaining server is buried, waiting for a revive (SIGUSR2).", { from: mark });
    expect(r.proc.exitCode).toBeNull();
    await stopAndCheckClean(r);
    expect(started(r, "w")).toHaveLength(2);
  });
});

describe("shutdown", () => {
  test("SIGTERM: every child gets SIGTERM, a stubborn one SIGKILL after --stop-timeout; exit 0; nothing left", async () => {
    const r = start(["--stop-timeout=0.5", "{", S, "tag=plain", "}", "{", S, "--ignore-term", "tag=stubborn", "}", "{", S, "--fork=2", "tag=forks", "}"]);
    await r.waitForCount(/started with pid/, 3);
    await r.waitForCount(/grandchild=/, 2);
    // "started with pid" is lazarus's line; each fixture's own start line (its pid) comes from the fixture, maybe later.
    await r.waitForCount(/fixture: pid=\d+ name=\S+ argv:/, 3);
    const pids = r.fixturePids();
    expect(pids).toHaveLength(5);
    r.signal("SIGTERM");
    const end = await r.ended();
    expect(end).toEqual({ code: 0, signal: null });
    expect(r.own).toContain("terminate signal received.");
    expect(r.own).toContain(`${X} did not stop within 0.500 s, killing it.`);
    expect(r.own).toContain(`${X} died by signal 9 (SIGKILL).`);
    expect(r.own.filter((l) => l === `child process ${X} exited normally, cremating.`)).toHaveLength(2);
    expect(r.own[r.own.length - 1]).toBe("exiting with status 0.");
    expect(await waitGone(pids)).toEqual([]);
  });

  test("SIGINT shuts down too; with nothing stubborn it does not wait for the timeout", async () => {
    const r = start(["--stop-timeout=30", "{", S, "}", "{", S, "}"]);
    await r.waitForCount(/started with pid/, 2);
    r.signal("SIGINT");
    const end = await r.ended(); // 20 s: a wait for the 30 s timeout would still fail it
    expect(end.code).toBe(0);
    expect(r.own.some((l) => l.includes("did not stop within"))).toBe(false);
    expect(await waitGone(r.fixturePids())).toEqual([]);
  });

  test("a second SIGTERM skips the rest of the wait", async () => {
    const r = start(["--stop-timeout=60", "{", S, "--ignore-term", "}"]);
    // The fixture's own start line, not lazarus's "started with pid": it comes once its shell has set
    // `trap '' TERM`; a SIGTERM before that kills it, and lazarus is gone before the second one.
    await r.waitFor(/^fixture: pid=\d+ name=\S+ argv: --ignore-term$/);
    r.signal("SIGTERM");
    await r.waitFor("terminate signal received.");
    r.signal("SIGTERM");
    const end = await r.ended(); // 20 s: a wait for the 60 s timeout would still fail it
    expect(end.code).toBe(0);
    expect(r.own).toContain("terminate signal received again, not waiting any longer.");
    expect(await waitGone(r.fixturePids())).toEqual([]);
  });

  test("--alarm kills every server and exits 142", async () => {
    const r = start(["--alarm=0.5", "{", S, "}", "{", S, "--ignore-term", "}"]);
    const end = await r.ended();
    expect(end.code).toBe(142);
    expect(r.own).toContain("alarm: forced abort, killing every server.");
    expect(await waitGone(r.fixturePids())).toEqual([]);
  });

  test("crashing children are reaped: no zombie under the supervisor", async () => {
    const r = start(["--interval=0.05", "{", S, "--life=0.1", "--exit=2", "}", "{", S, "--life=0.15", "--signal=ABRT", "}"]);
    await r.waitForCount(/died abnormally, respawning\./, 8);
    // Between an exit and its reaping a child is briefly a zombie; it must not stay one.
    await eventually(() => childrenOf(r.pid).every((c) => c.state !== "Z") || null, "no zombie children");
    await stopAndCheckClean(r);
  });
});

describe("the dump (SIGQUIT)", () => {
  test("dumps time, interval, counts and every server with its full command line", async () => {
    const r = start(["--interval=2.5", "{", S, "--x", "two words", "}", "{", "/nonexistent/y", "}"]);
    await r.waitFor(/started with pid/);
    await r.waitFor("could not spawn");
    const pid = pidOf((await r.waitFor(/^fixture: pid=/)));
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(/info: server 1:/, { from: mark });
    const info = r.lines.slice(mark).filter((l) => l.startsWith("lazarus: info: "));
    expect(info[0]).toMatch(/^lazarus: info: current time: \d+\.\d{3} s \(monotonic\)$/);
    expect(info.slice(1, 4)).toEqual([
      "lazarus: info: interval: 2.500 s",
      "lazarus: info: servers: 2 managed, 1 alive",
      "lazarus: info: revive pending: no",
    ]);
    expect(info[5]).toMatch(new RegExp(`^lazarus: info: server 0: name server, pid ${pid}, up and running, since \\d+\\.\\d{3} s, restarts 0, command: ${S} --x 'two words'$`));
    expect(info[6]).toMatch(/^lazarus: info: server 1: name y, pid -, requires SIGUSR2 to respawn, since .*, command: \/nonexistent\/y$/);
    await stopAndCheckClean(r);
  });
});
