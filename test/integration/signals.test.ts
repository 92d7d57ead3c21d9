// Signals lazarus does not use must never kill it (and so orphan every server),
// nohup is respected, children start with default dispositions, and at its end
// nothing it had is left running, however deep an orphan's family goes.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAIN, type Run, SERVER, waitGone, perTest } from "../helpers/run.ts";

const { start } = perTest({ prefix: ["--control=none"] });

/** A process as this test knows it: its pid and its start time (a pid reused by another process is not it). */
function identity(pid: number): { pid: number; start: string | null } {
  return { pid, start: startTime(pid) };
}

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Wait (polling /proc, bounded) until each of these processes has ended and been reaped; returns the pids of those still there. */
async function waitEnded(procs: readonly { pid: number; start: string | null }[]): Promise<number[]> {
  const still = () => procs.filter((p) => p.start !== null && startTime(p.pid) === p.start);
  const deadline = Date.now() + 10_000;
  while (still().length > 0 && Date.now() < deadline) await Bun.sleep(20);
  return still().map((p) => p.pid);
}

describe("signals", () => {
  test("SIGPIPE, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO and real-time signals are ignored, not fatal", async () => {
    const r = start(["{", SERVER, "}"]);
    const pid = await r.startedPid();
    for (const sig of ["SIGPIPE", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO"] as const) {
      const mark = r.lines.length;
      r.signal(sig);
      await r.waitFor(`(${sig}) received, ignored.`, { from: mark });
    }
    // SIGRTMIN+2 (36), mds-respawn's dump signal, and the last real-time one: Bun cannot catch them.
    for (const sig of [36, 64]) expect(Bun.spawnSync(["kill", `-${sig}`, String(r.pid)]).exitCode).toBe(0);
    const mark = r.lines.length;
    r.signal("SIGQUIT"); // still alive and answering
    await r.waitFor(`info: server 0: name server, pid ${pid}, up and running`, { from: mark });
    expect(r.proc.exitCode).toBeNull();
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("SIGALRM shuts down gracefully (its default action would orphan every server)", async () => {
    const r = start(["{", SERVER, "}"]);
    const pid = await r.startedPid();
    r.signal("SIGALRM");
    expect(await r.ended()).toEqual({ code: 0, signal: null });
    expect(r.own).toContain("terminate signal received.");
    expect(await waitGone([pid])).toEqual([]);
  });

  test("under nohup a SIGHUP does not shut it down", async () => {
    const r = start(["{", SERVER, "}"], { argv0: ["nohup", process.execPath, "run", MAIN] });
    const pid = await r.startedPid();
    r.signal("SIGHUP");
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(`info: server 0: name server, pid ${pid}, up and running`, { from: mark });
    expect(r.own).not.toContain("terminate signal received.");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("after a live re-exec SIGHUP still shuts it down (the exec's own SIG_IGN is not taken for nohup)", async () => {
    const r = start(["{", SERVER, "}"]);
    const pid = await r.startedPid();
    for (let i = 1; i <= 2; i++) {
      const mark = r.lines.length;
      r.signal("SIGUSR1");
      await r.waitFor("re-exec complete", { from: mark });
    }
    r.signal("SIGHUP");
    expect(await r.ended()).toEqual({ code: 0, signal: null });
    expect(r.own).toContain("terminate signal received.");
    expect(await waitGone([pid])).toEqual([]);
  });

  test("under nohup a SIGHUP does not shut it down, after a live re-exec too", async () => {
    const r = start(["{", SERVER, "}"], { argv0: ["nohup", process.execPath, "run", MAIN] });
    const pid = await r.startedPid();
    let mark = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor("re-exec complete", { from: mark });
    r.signal("SIGHUP");
    mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(`info: server 0: name server, pid ${pid}, up and running`, { from: mark });
    expect(r.own).not.toContain("terminate signal received.");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("started with stdin, stdout and stderr closed, servers get /dev/null there (never a closed fd their first open() would take)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lazarus-stdio-"));
    try {
      const out = join(dir, "fds.txt");
      // What the server (the shell, $$) has: the subshell that looks, and its redirections, are a child of it.
      const r = start(["{", "sh", "-c", `(for f in 0 1 2; do readlink /proc/$$/fd/$f || echo closed; done) >${out} 2>/dev/null; true`, "}"], {
        argv0: ["sh", "-c", 'exec "$@" <&- >&- 2>&-', "sh", process.execPath, "run", MAIN],
      });
      expect((await r.ended()).code).toBe(0);
      expect(readFileSync(out, "utf8")).toBe("/dev/null\n/dev/null\n/dev/null\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("servers start with no signal ignored or blocked, whatever lazarus ignores itself", async () => {
    // grep reads its own status (a shell's own would show what it blocks around its fork of grep).
    const r = start(["{", "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", "}"]);
    expect((await r.ended()).code).toBe(0);
    expect(r.stdout).toContain("SigIgn:\t0000000000000000\n");
    expect(r.stdout).toContain("SigBlk:\t0000000000000000\n");
  });
});

describe("nothing left behind at the end", () => {
  /** The pids a `NAME: x=PID y=PID` line of the test's own shell commands says (on stderr): pids this test owns. */
  async function pidsSaid(r: Run, name: string): Promise<number[]> {
    const line = await r.waitFor(new RegExp(`^${name}:( \\w+=\\d+)+$`));
    return [...line.matchAll(/=(\d+)/g)].map((m) => Number(m[1]));
  }

  test("an orphan's own children, in a session of their own, are killed and reaped when lazarus exits", async () => {
    // the server forks a shell into a session of its own (which starts a sleep and says both pids), then becomes a sleep itself
    const r = start(["{", "sh", "-c", 'setsid sh -c "sleep 1000 & echo family: orphan=\\$\\$ inner=\\$! >&2; wait" & exec sleep 1000', "}"]);
    const server = await r.startedPid();
    const family = await pidsSaid(r, "family");
    expect(family).toHaveLength(2);
    const owned = [server, ...family].map(identity);
    expect(owned.every((x) => x.start !== null)).toBe(true);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(await waitEnded(owned)).toEqual([]);
  });

  test("a server that daemonizes itself: once it is cremated lazarus exits, and first says that it kills the daemon left (pid, name); the JSON log still replays", async () => {
    const LINE = (pid: number) => `killing what the servers left running in sessions of their own: pid ${pid} (sleep); ` +
      "a server that puts itself in the background (daemonizes) must be run in the foreground to be supervised.";
    for (const format of ["text", "json"] as const) {
      // the server puts a sleep into a session of its own (as a daemon does), says its pid, and exits 0
      const r = start([`--log-format=${format}`, "{", "sh", "-c", "setsid sleep 1000 </dev/null & echo daemon: pid=$! >&2; sleep 0.3", "}"]);
      const [daemon] = await pidsSaid(r, "daemon");
      const owned = [identity(daemon!)];
      expect((await r.ended()).code).toBe(0);
      expect(await waitEnded(owned)).toEqual([]);
      if (format === "text") {
        expect(r.own.slice(-3)).toEqual(["every server is cremated, exiting.", LINE(daemon!), "exiting with status 0."]);
        continue;
      }
      const records = r.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { event?: string; text?: string }).filter((x) => x.event !== undefined);
      expect(records.slice(-2).map((x) => [x.event, x.text])).toEqual([["left-behind", LINE(daemon!)], ["exiting", "exiting with status 0."]]);
      const dir = mkdtempSync(join(tmpdir(), "lazarus-left-"));
      try {
        writeFileSync(join(dir, "log.jsonl"), `${r.lines.join("\n")}\n`);
        const replay = Bun.spawnSync([process.execPath, "run", MAIN, "replay", join(dir, "log.jsonl")], { stdio: ["ignore", "pipe", "pipe"] });
        expect(replay.stdout.toString()).toMatch(/the core agrees with every recorded step/);
        expect(replay.exitCode).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  test("helpers left in a crashed server's group are asked to stop", async () => {
    // the server starts a helper in its own group, says its pid, then crashes; the helper ignores nothing
    const r = start(["--interval=60", "{", "sh", "-c", "sleep 1000 & echo helper: pid=$! >&2; sleep 0.3; exit 3", "}", "{", SERVER, "}"]);
    const [helper] = await pidsSaid(r, "helper");
    const owned = [identity(helper!)];
    await r.waitFor("burying because it died too fast.");
    expect(await waitEnded(owned)).toEqual([]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});
