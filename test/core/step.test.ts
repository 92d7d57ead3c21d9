// Unit tests of the reducer: one or more per behaviour of docs/spec.md (spawning, ends, revive, shutdown, the dump, re-exec).
import { describe, expect, test } from "bun:test";
import { SIGABRT, SIGINT, SIGKILL, SIGQUIT, SIGSEGV, SIGTERM } from "../../src/core/signals.ts";
import { ALARM_STATUS, initialState, step } from "../../src/core/step.ts";
import type { Effect, Handover } from "../../src/core/types.ts";
import { code, Driver, exits, kills, logs, SETTINGS, sig, spawns, specs } from "../helpers/driver.ts";

const A = ["a", "--initial-spawn", "--initial-spawn=x", "x"];
const B = ["b"];

describe("spawning", () => {
  test("start spawns every server in order, argv as given, --initial-spawn untouched the first time", () => {
    const d = new Driver(specs(A, B));
    const fx = d.start(0);
    expect(spawns(fx)).toEqual([{ server: 0, argv: A }, { server: 1, argv: B }]);
    expect(d.kinds()).toEqual(["alive", "alive"]);
    expect(logs(fx)).toEqual(["lazarus started, supervising 2 servers.", "'a' started with pid 100.", "'b' started with pid 101."]);
  });

  test("a respawn replaces exactly the word --initial-spawn by --respawn, and --initial-spawn=x is kept", () => {
    const d = new Driver(specs(A));
    d.start(0);
    const fx = d.exit(d.pid(0), code(1), 1000);
    expect(spawns(fx)).toEqual([{ server: 0, argv: ["a", "--respawn", "--initial-spawn=x", "x"] }]);
  });

  test("a server without --initial-spawn is respawned with its argv unchanged", () => {
    const d = new Driver(specs(B));
    d.start(0);
    expect(spawns(d.exit(d.pid(0), code(1), 5000))).toEqual([{ server: 0, argv: B }]);
  });

  test("a spawn that fails buries the server at once with the reason; the others are unaffected", () => {
    const d = new Driver(specs(A, B));
    d.failNext.set(0, "ENOENT: no such file");
    const fx = d.start(0);
    expect(d.kinds()).toEqual(["buried", "alive"]);
    expect(logs(fx)).toContain("could not spawn 'a': ENOENT: no such file; burying.");
    expect(exits(fx)).toEqual([]);
  });

  test("a spawn failure on respawn buries too, and a revive tries again", () => {
    const d = new Driver(specs(A));
    d.start(0);
    d.failNext.set(0, "EACCES");
    d.exit(d.pid(0), code(2), 2000);
    expect(d.kind(0)).toBe("buried");
    const fx = d.feed({ type: "revive", at: 3000 });
    expect(spawns(fx)).toEqual([{ server: 0, argv: ["a", "--respawn", "--initial-spawn=x", "x"] }]);
    expect(d.kind(0)).toBe("alive");
  });
});

describe("when a server's process ends", () => {
  test("exit status 0 cremates, with the mds-respawn line, and is never restarted", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    const fx = d.exit(d.pid(0), code(0), 100);
    expect(d.kind(0)).toBe("cremated");
    expect(logs(fx)).toEqual(["child process 'a' exited normally, cremating."]);
    expect(spawns(fx)).toEqual([]);
    expect(spawns(d.feed({ type: "revive", at: 200 }))).toEqual([]);
  });

  test.each([["SIGTERM", SIGTERM], ["SIGINT", SIGINT]])("death by %s is clean: cremated", (_n, s) => {
    const d = new Driver(specs(A, B));
    d.start(0);
    const fx = d.exit(d.pid(0), sig(s), 10_000);
    expect(d.kind(0)).toBe("cremated");
    expect(logs(fx)).toEqual(["child process 'a' exited normally, cremating."]);
  });

  test("an abnormal exit code after the interval respawns at once, logging the code then respawning", () => {
    const d = new Driver(specs(A));
    d.start(0);
    const fx = d.exit(d.pid(0), code(3), 1500);
    expect(logs(fx)).toEqual(["'a' exited with code 3.", "'a' died abnormally, respawning.", "'a' started with pid 101."]);
    expect(d.pid(0)).toBe(101);
  });

  test("a death by signal after the interval respawns, naming the signal", () => {
    const d = new Driver(specs(A));
    d.start(0);
    const fx = d.exit(d.pid(0), sig(SIGSEGV), 1500);
    expect(logs(fx).slice(0, 2)).toEqual(["'a' died by signal 11 (SIGSEGV).", "'a' died abnormally, respawning."]);
  });

  test("an abnormal end before the interval buries", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    const fx = d.exit(d.pid(0), sig(SIGABRT), 999);
    expect(d.kind(0)).toBe("buried");
    expect(logs(fx)).toEqual(["'a' died by signal 6 (SIGABRT).", "'a' died abnormally, burying because it died too fast."]);
    expect(spawns(fx)).toEqual([]);
  });

  test("exactly the interval of life is not 'less than the interval': respawned", () => {
    const d = new Driver(specs(A));
    d.start(250);
    d.exit(d.pid(0), code(1), 1250);
    expect(d.kind(0)).toBe("alive");
  });

  test("one millisecond less than the interval buries (millisecond precision, not whole seconds)", () => {
    const d = new Driver(specs(A));
    d.start(999.5);
    d.exit(d.pid(0), code(1), 1998.5);
    expect(d.kind(0)).toBe("buried");
  });

  test("life is measured from the start of that process, not of the first one", () => {
    const d = new Driver(specs(A));
    d.start(0);
    d.exit(d.pid(0), code(1), 5000); // respawned at 5000
    d.exit(d.pid(0), code(1), 5500); // lived 500 ms
    expect(d.kind(0)).toBe("buried");
  });

  test("an end with an unknown status is abnormal", () => {
    const d = new Driver(specs(A));
    d.start(0);
    const fx = d.exit(d.pid(0), { kind: "unknown" }, 5000);
    expect(logs(fx)[0]).toBe("'a' ended with an unknown status.");
    expect(d.kind(0)).toBe("alive");
    expect(spawns(fx)).toHaveLength(1);
  });

  test("an exit report for an unknown pid is logged and changes nothing", () => {
    const d = new Driver(specs(A));
    d.start(0);
    const before = d.state;
    const fx = d.exit(4242, code(1), 10);
    expect(fx).toEqual([{ type: "log", record: { event: "unknown-child", pid: 4242, text: "joined with unknown child process: 4242" } }]);
    expect(d.state).toEqual(before);
  });

  test("a pid of a server that already ended is unknown: its end is never counted twice", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    const old = d.pid(0);
    d.exit(old, code(1), 2000);
    const fx = d.exit(old, code(1), 2001);
    expect(logs(fx)).toEqual([`joined with unknown child process: ${old}`]);
    expect(spawns(fx)).toEqual([]);
  });
});

describe("revive", () => {
  test("revive spawns every buried server with --respawn, and nothing else", () => {
    const d = new Driver(specs(A, B, ["c"]));
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    d.exit(d.pid(2), code(1), 10);
    const fx = d.feed({ type: "revive", at: 20 });
    expect(logs(fx)[0]).toBe("revive signal received.");
    expect(spawns(fx)).toEqual([
      { server: 0, argv: ["a", "--respawn", "--initial-spawn=x", "x"] },
      { server: 2, argv: ["c"] },
    ]);
    expect(d.kinds()).toEqual(["alive", "alive", "alive"]);
  });

  test("revive with nothing buried only logs", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    d.exit(d.pid(1), code(0), 10);
    const before = d.state;
    const fx = d.feed({ type: "revive", at: 20 });
    expect(fx).toEqual([{ type: "log", record: { event: "revive", text: "revive signal received." } }]);
    expect(d.state).toEqual(before);
  });

  test("revive works when every server is buried (mds-respawn waited for a death)", () => {
    const d = new Driver(specs(A));
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    expect(d.kind(0)).toBe("buried");
    d.feed({ type: "revive", at: 20 });
    expect(d.kind(0)).toBe("alive");
  });

  test("a revive during shutdown spawns nothing", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    d.feed({ type: "terminate", at: 20, signal: SIGTERM });
    const fx = d.feed({ type: "revive", at: 30 });
    expect(spawns(fx)).toEqual([]);
    expect(logs(fx)).toEqual(["revive signal received.", "revive ignored: shutting down."]);
  });
});

describe("lifetime and shutdown", () => {
  test("exits 0 when every server is cremated", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    expect(exits(d.exit(d.pid(0), code(0), 10))).toEqual([]);
    const fx = d.exit(d.pid(1), sig(SIGTERM), 20);
    expect(exits(fx)).toEqual([0]);
    expect(d.state.phase).toEqual({ kind: "exited", status: 0 });
  });

  test("while every remaining server is buried it keeps running and says once that it waits", () => {
    const d = new Driver(specs(A, B, ["c"]));
    d.start(0);
    d.exit(d.pid(2), code(0), 5);
    d.exit(d.pid(0), code(1), 10);
    const fx = d.exit(d.pid(1), code(1), 10);
    expect(exits(fx)).toEqual([]);
    expect(logs(fx)).toContain("every remaining server is buried, waiting for a revive (SIGUSR2).");
    expect(logs(d.feed({ type: "info", at: 11 })).join("\n")).not.toContain("waiting for a revive");
    // revived, buried again: it says so again
    d.feed({ type: "revive", at: 20 });
    d.exit(d.pid(0), code(1), 30);
    const again = d.exit(d.pid(1), code(1), 30);
    expect(logs(again)).toContain("every remaining server is buried, waiting for a revive (SIGUSR2).");
  });

  test("a server that cannot be spawned at all keeps the supervisor waiting for a revive", () => {
    const d = new Driver(specs(A));
    d.failNext.set(0, "ENOENT");
    const fx = d.start(0);
    expect(exits(fx)).toEqual([]);
    expect(logs(fx)).toContain("every remaining server is buried, waiting for a revive (SIGUSR2).");
  });

  test("SIGTERM: log, SIGTERM every live server's group, arm each one's stop timeout; exit 0 once all ended", () => {
    const d = new Driver(specs(A, B, ["c"]));
    d.start(0);
    d.exit(d.pid(2), code(1), 10); // buried
    const [p0, p1] = [d.pid(0), d.pid(1)];
    const fx = d.feed({ type: "terminate", at: 100, signal: SIGTERM });
    expect(logs(fx)).toEqual(["terminate signal received."]);
    expect(kills(fx)).toEqual([{ pid: p0, signal: SIGTERM, group: true }, { pid: p1, signal: SIGTERM, group: true }]);
    expect(fx).toContainEqual({ type: "arm", timer: "stop:0", at: 5100 });
    expect(fx).toContainEqual({ type: "arm", timer: "stop:1", at: 5100 });
    const first = d.exit(p0, sig(SIGTERM), 150);
    expect(exits(first)).toEqual([]);
    expect(first).toContainEqual({ type: "disarm", timer: "stop:0" });
    const last = d.exit(p1, code(1), 1600); // abnormal, after the interval: still not respawned
    expect(spawns(last)).toEqual([]);
    expect(logs(last)).toEqual(["'b' exited with code 1.", "'b' stopped, cremating.", "exiting with status 0."]);
    expect(exits(last)).toEqual([0]);
    expect(last).toContainEqual({ type: "disarm", timer: "stop:1" });
  });

  test("a stubborn server is SIGKILLed when the stop timeout fires; then the supervisor exits 0", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    const [p0, p1] = [d.pid(0), d.pid(1)];
    d.feed({ type: "terminate", at: 100, signal: SIGINT });
    d.exit(p0, sig(SIGTERM), 120);
    expect(d.feed({ type: "timer", at: 5100, timer: "stop:0" })).toEqual([]); // it already ended
    const fx = d.feed({ type: "timer", at: 5100, timer: "stop:1" });
    expect(logs(fx)).toEqual(["'b' did not stop within 5.000 s, killing it."]);
    expect(kills(fx)).toEqual([{ pid: p1, signal: SIGKILL, group: true }]);
    expect(exits(fx)).toEqual([]);
    const end = d.exit(p1, sig(SIGKILL), 5101);
    expect(logs(end)).toEqual(["'b' died by signal 9 (SIGKILL).", "'b' stopped, cremating.", "exiting with status 0."]);
    expect(exits(end)).toEqual([0]);
  });

  test("a second SIGTERM/SIGINT skips the rest of the wait", () => {
    const d = new Driver(specs(A));
    d.start(0);
    d.feed({ type: "terminate", at: 100, signal: SIGTERM });
    const fx = d.feed({ type: "terminate", at: 200, signal: SIGINT });
    expect(kills(fx)).toEqual([{ pid: d.pid(0), signal: SIGKILL, group: true }]);
    // the stop timer firing afterwards sends nothing more
    expect(d.feed({ type: "timer", at: 5100, timer: "stop:0" })).toEqual([]);
  });

  test("shutdown with nothing alive exits 0 at once, even with buried servers", () => {
    const d = new Driver(specs(A));
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    const fx = d.feed({ type: "terminate", at: 20, signal: SIGTERM });
    expect(exits(fx)).toEqual([0]);
  });

  test("nothing is spawned once shutdown began, whatever ends", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    d.feed({ type: "terminate", at: 5000, signal: SIGTERM });
    const fx = [...d.exit(d.pid(0), code(1), 9000), ...d.feed({ type: "revive", at: 9001 })];
    expect(spawns(fx)).toEqual([]);
  });

  test("after the exit effect nothing happens any more", () => {
    const d = new Driver(specs(A));
    d.start(0);
    d.exit(d.pid(0), code(0), 10);
    expect(d.feed({ type: "revive", at: 20 })).toEqual([]);
    expect(d.feed({ type: "exited", at: 20, pid: 5, status: code(0) })).toEqual([]);
  });

  test("--alarm: armed at start; when it fires every live server is SIGKILLed and the exit status is 142", () => {
    const d = new Driver(specs(A, B), { ...SETTINGS, alarmMs: 3000 });
    const start = d.start(100);
    expect(start).toContainEqual({ type: "arm", timer: "alarm", at: 3100 });
    const [p0, p1] = [d.pid(0), d.pid(1)];
    const fx = d.feed({ type: "timer", at: 3100, timer: "alarm" });
    expect(logs(fx)).toEqual(["alarm: forced abort, killing every server."]);
    expect(kills(fx)).toEqual([{ pid: p0, signal: SIGKILL, group: true }, { pid: p1, signal: SIGKILL, group: true }]);
    d.exit(p0, sig(SIGKILL), 3101);
    expect(exits(d.exit(p1, sig(SIGKILL), 3102))).toEqual([ALARM_STATUS]);
  });

  test("without --alarm no alarm timer is armed", () => {
    const d = new Driver(specs(A));
    expect(d.start(0).some((e) => e.type === "arm")).toBe(false);
  });
});

describe("the dump", () => {
  test("prints time, interval, counts, pending revive, and per server index, pid, state words, start, restarts, command line", () => {
    const d = new Driver(specs(["srv", "--port", "80 80"], B, ["c"], ["d"]));
    d.failNext.set(3, "ENOENT");
    d.start(1000);
    d.exit(d.pid(1), code(1), 3000); // respawned once
    d.exit(d.pid(2), code(0), 3000);
    const lines = logs(d.feed({ type: "info", at: 4000 }));
    expect(lines).toEqual([
      "info: current time: 4.000 s (monotonic)",
      "info: interval: 1.000 s",
      "info: servers: 4 managed, 2 alive",
      "info: revive pending: no",
      "info: phase: running",
      "info: server 0: name srv, pid 100, up and running, since 1.000 s, restarts 0, command: srv --port '80 80'",
      "info: server 1: name b, pid 103, up and running, since 3.000 s, restarts 1, command: b",
      "info: server 2: name c, pid -, will never respawn, since 3.000 s, restarts 0, command: c",
      "info: server 3: name d, pid -, requires SIGUSR2 to respawn, since 1.000 s, restarts 0, command: d",
    ]);
  });

  test("the dump changes no state and also works before start and during shutdown", () => {
    const d = new Driver(specs(A));
    const before = d.state;
    const fx = d.feed({ type: "info", at: 0 });
    expect(logs(fx)).toContain("info: server 0: name a, pid -, not started yet, since -, restarts 0, command: a --initial-spawn --initial-spawn=x x");
    expect(d.state).toEqual(before);
    d.start(0);
    d.feed({ type: "terminate", at: 1, signal: SIGTERM });
    expect(logs(d.feed({ type: "info", at: 2 }))).toContain("info: phase: stopping");
    void SIGQUIT;
  });
});

describe("live re-exec: the core's part", () => {
  test("reexec emits one reexec effect with every server's life; ignored during shutdown", () => {
    const d = new Driver(specs(A, B, ["c"]));
    d.start(0);
    d.exit(d.pid(1), code(1), 10);
    d.exit(d.pid(2), code(0), 10);
    const fx = d.feed({ type: "reexec", at: 50 });
    expect(fx.filter((e) => e.type === "reexec")).toEqual([{
      type: "reexec",
      handover: {
        pendingRevive: false,
        alarmAt: null,
        execAt: 50,
        servers: [
          { kind: "alive", spawns: 1, lastExit: null, pid: 100, since: 0, stop: null },
          { kind: "buried", spawns: 1, lastExit: code(1), since: 10, why: "crash-loop" },
          { kind: "cremated", spawns: 1, lastExit: code(0), since: 10, why: "clean-exit" },
        ],
      },
    }]);
    d.feed({ type: "terminate", at: 60, signal: SIGTERM });
    expect(d.feed({ type: "reexec", at: 70 }).some((e) => e.type === "reexec")).toBe(false);
  });

  test("the new image adopts the alive (same pid, same start), revives the buried, keeps the cremated", () => {
    const d = new Driver(specs(A, B, ["c"]));
    const fx = d.start(500, {
      pendingRevive: false,
      alarmAt: null,
      execAt: 480,
      servers: [
        { kind: "alive", spawns: 3, lastExit: code(2), pid: 77, since: 10, stop: null },
        { kind: "buried", spawns: 1, lastExit: code(1), since: 20, why: "crash-loop" },
        { kind: "cremated", spawns: 1, lastExit: code(0), since: 30, why: "clean-exit" },
      ],
    });
    expect(fx).toContainEqual({ type: "adopt", server: 0, pid: 77 });
    expect(spawns(fx)).toEqual([{ server: 1, argv: B }]);
    expect(d.kinds()).toEqual(["alive", "alive", "cremated"]);
    // the last exits are kept across the re-exec
    expect(d.state.servers.map((s) => s.lastExit)).toEqual([code(2), code(1), code(0)]);
    // the adopted child's end is classified with its original start time: 10 + 1000 > 600, so buried
    d.exit(77, code(1), 600);
    expect(d.kind(0)).toBe("buried");
  });

  test("a child found ended at the take-over is timed at the exec instant: a burial near the boundary stays one", () => {
    // interval 1000; started at 0; the exec at 990 (it was alive then); the new image reaps it at 1030
    const handover = (execAt: number | null): Handover => ({
      pendingRevive: false, alarmAt: null, execAt, servers: [{ kind: "alive", spawns: 1, lastExit: null, pid: 77, since: 0, stop: null }],
    });
    const d = new Driver(specs(A));
    d.start(1020, handover(990));
    d.feed({ type: "exited", at: 1030, pid: 77, status: code(1), atTakeover: true });
    expect(d.kind(0)).toBe("buried");
    // reaped later by a SIGCHLD (not at the take-over): it really lived that long
    const e = new Driver(specs(A));
    e.start(1020, handover(990));
    e.feed({ type: "exited", at: 1030, pid: 77, status: code(1) });
    expect(e.kind(0)).toBe("alive");
    // an older image that did not record the exec instant: the reaping time is all there is
    const f = new Driver(specs(A));
    f.start(1020, handover(null));
    f.feed({ type: "exited", at: 1030, pid: 77, status: code(1), atTakeover: true });
    expect(f.kind(0)).toBe("alive");
  });

  test("an invalid server record is cremated with a log line naming it", () => {
    const d = new Driver(specs(A));
    const fx = d.start(0, { pendingRevive: false, alarmAt: null, execAt: null, servers: [{ kind: "invalid", spawns: 0, lastExit: null, reason: "bad pid" }] });
    expect(logs(fx)).toContain("'a' has invalid re-exec state (bad pid), cremating.");
    expect(d.kind(0)).toBe("cremated");
    expect(exits(fx)).toEqual([0]);
  });
});

describe("determinism and purity", () => {
  test("step never mutates its input state", () => {
    const s0 = initialState(SETTINGS, specs(A, B));
    const frozen = JSON.stringify(s0);
    const r = step(s0, { type: "start", at: 0, handover: null });
    expect(JSON.stringify(s0)).toBe(frozen);
    const r2 = step(r.state, { type: "spawned", at: 0, server: 0, pid: 5 });
    expect(r.state.servers.at(0)?.life.kind).toBe("starting");
    expect(r2.state.servers.at(0)?.life.kind).toBe("alive");
  });
});

describe("per-server settings (config files)", () => {
  const base = specs(["a"], ["b"]);
  test("a server's own interval overrides --interval", () => {
    const d = new Driver([{ ...base[0]!, intervalMs: 3000 }, base[1]!]);
    d.start(0);
    d.exit(d.pid(0), code(1), 2000); // 2 s < 3 s: buried, though --interval is 1 s
    d.exit(d.pid(1), code(1), 2000); // 2 s >= 1 s: respawned
    expect(d.kinds()).toEqual(["buried", "alive"]);
  });

  test("a server's stop signal and stop timeout are used by a shutdown", () => {
    const d = new Driver([{ ...base[0]!, stopSignal: SIGQUIT, stopTimeoutMs: 200 }, base[1]!]);
    d.start(0);
    const fx = d.feed({ type: "terminate", at: 100, signal: SIGTERM });
    expect(kills(fx)).toEqual([{ pid: 100, signal: SIGQUIT, group: true }, { pid: 101, signal: SIGTERM, group: true }]);
    expect(fx).toContainEqual({ type: "arm", timer: "stop:0", at: 300 });
    expect(fx).toContainEqual({ type: "arm", timer: "stop:1", at: 5100 });
    // dying of its stop signal is a stop, not a crash
    const end = d.exit(100, sig(SIGQUIT), 150);
    expect(logs(end)).toEqual(["'a' died by signal 3 (SIGQUIT).", "'a' stopped, cremating."]);
  });

  test("autostart off: not started, keeps the supervisor running, startable by an operator", () => {
    const d = new Driver([base[0]!, { ...base[1]!, autostart: false }]);
    const fx = d.start(0);
    expect(spawns(fx)).toEqual([{ server: 0, argv: ["a"] }]);
    expect(exits(d.exit(d.pid(0), code(0), 10))).toEqual([]);
    expect(d.kinds()).toEqual(["cremated", "unborn"]);
    d.feed({ type: "control", at: 20, id: 1, command: { op: "start", server: 1 } });
    expect(d.kind(1)).toBe("alive");
  });
});

describe("a revive that arrives before supervision began", () => {
  test("is pending, shown by the dump, and carried out once the start's spawns resolved", () => {
    const d = new Driver(specs(A, B));
    const fx = d.feed({ type: "revive", at: 0 });
    expect(logs(fx)).toEqual(["revive signal received. (pending until the servers are started)"]);
    expect(logs(d.feed({ type: "info", at: 0 }))).toContain("info: revive pending: yes");
    d.failNext.set(0, "ENOENT");
    const start = d.start(1);
    // a's first spawn failed; the pending revive tries it again once b's spawn is in too
    expect(spawns(start).map((s) => s.server)).toEqual([0, 1, 0]);
    expect(logs(start)).toContain("pending revive carried out.");
    expect(d.kinds()).toEqual(["alive", "alive"]);
    expect(d.state.pendingRevive).toBe(false);
  });
});

describe("hardening (independent review)", () => {
  test("a stray signal is said and changes nothing", () => {
    const d = new Driver(specs(A));
    d.start(0);
    const before = d.state;
    expect(d.feed({ type: "stray-signal", at: 5, signal: 13 })).toEqual([
      { type: "log", record: { event: "ignored", signal: "SIGPIPE", text: "signal 13 (SIGPIPE) received, ignored." } },
    ]);
    expect(d.state).toEqual(before);
  });

  test("notes of the shell's start are logged first", () => {
    const d = new Driver(specs(A));
    const fx = d.feed({ type: "start", at: 0, handover: null, notes: ["control socket: busy; supervising without a control socket."] });
    expect(logs(fx)[0]).toBe("control socket: busy; supervising without a control socket.");
  });

  test("a stop timer or the alarm firing early is armed again, not lost", () => {
    const d = new Driver(specs(A), { ...SETTINGS, alarmMs: 3000 });
    d.start(0);
    expect(d.feed({ type: "timer", at: 2999, timer: "alarm" })).toEqual([{ type: "arm", timer: "alarm", at: 3000 }]);
    d.feed({ type: "control", at: 10, id: 1, command: { op: "stop", server: 0 } });
    expect(d.feed({ type: "timer", at: 4000, timer: "stop:0" })).toEqual([{ type: "arm", timer: "stop:0", at: 5010 }]);
    expect(kills(d.feed({ type: "timer", at: 5010, timer: "stop:0" }))).toEqual([{ pid: 100, signal: SIGKILL, group: true }]);
  });

  test("what is left of an ended server's group is asked to stop (SIGTERM); of a stopped one, killed", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    expect(d.exit(100, code(3), 5000)).toContainEqual({ type: "kill-remnants", server: 0, pgid: 100, signal: SIGTERM });
    d.feed({ type: "terminate", at: 6000, signal: SIGTERM });
    expect(d.exit(101, sig(SIGTERM), 6001)).toContainEqual({ type: "kill-remnants", server: 1, pgid: 101, signal: SIGKILL });
  });

  test("with only servers that wait to be started left, the line says so (not SIGUSR2)", () => {
    const d = new Driver([...specs(A), { ...specs(B)[0]!, autostart: false }]);
    d.start(0);
    expect(logs(d.exit(100, code(0), 10))).toContain("every remaining server waits to be started (ctl start).");
  });
});

describe("counts and answers (what an operator reads)", () => {
  const replies = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "reply" ? [[e.ok, e.message]] : []));

  test("ctl revive says how many were buried; ctl shutdown says whether it already was", () => {
    const d = new Driver(specs(A, B, ["c"]));
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    d.exit(d.pid(1), code(1), 10);
    expect(replies(d.feed({ type: "control", at: 20, id: 1, command: { op: "revive", server: null } }))).toEqual([[true, "revived 2 servers"]]);
    expect(replies(d.feed({ type: "control", at: 30, id: 2, command: { op: "revive", server: null } }))).toEqual([[true, "revived 0 servers"]]);
    expect(replies(d.feed({ type: "control", at: 40, id: 3, command: { op: "shutdown" } }))).toEqual([[true, "shutting down"]]);
    expect(replies(d.feed({ type: "control", at: 50, id: 4, command: { op: "shutdown" } }))).toEqual([[true, "already shutting down"]]);
  });

  test("ctl start of a server being stopped: it starts again once its process has ended, as the answer says", () => {
    const d = new Driver(specs(A));
    d.start(0);
    d.feed({ type: "control", at: 10, id: 1, command: { op: "stop", server: 0 } });
    expect(replies(d.feed({ type: "control", at: 20, id: 2, command: { op: "start", server: 0 } }))).toEqual([[true, "a will start again once stopped"]]);
    const fx = d.exit(100, sig(SIGTERM), 30);
    expect(spawns(fx)).toHaveLength(1);
    expect(d.state.servers.at(0)?.life).toMatchObject({ kind: "alive" });
    expect(d.pid(0)).not.toBe(100);
  });

  test("the re-exec'd image says how many running servers it adopted", () => {
    const alive = (pid: number) => ({ kind: "alive" as const, spawns: 1, lastExit: null, pid, since: 0, stop: null });
    const d = new Driver(specs(A, B, ["c"]));
    const fx = d.start(100, { pendingRevive: false, alarmAt: null, execAt: 90, servers: [alive(7), alive(8), { kind: "cremated", spawns: 1, lastExit: code(0), since: 5, why: "clean-exit" }] });
    expect(logs(fx)).toContain("re-exec complete: lazarus running, adopted 2 running servers.");
    const e = new Driver(specs(A));
    expect(logs(e.start(100, { pendingRevive: false, alarmAt: null, execAt: 90, servers: [alive(7)] }))).toContain("re-exec complete: lazarus running, adopted 1 running server.");
  });
});

describe("reports that fit no server (the shell's mistakes) change nothing and are said", () => {
  test("a spawn result for a server that is not being started", () => {
    const d = new Driver(specs(A, B));
    d.start(0);
    const before = d.state;
    expect(logs(d.feed({ type: "spawned", at: 10, server: 0, pid: 555 }))).toEqual(["unexpected spawn report for server 0 (pid 555), ignored."]);
    expect(logs(d.feed({ type: "spawn-failed", at: 10, server: 1, error: "ENOENT" }))).toEqual(["unexpected spawn failure for server 1, ignored."]);
    expect(logs(d.feed({ type: "spawned", at: 10, server: 7, pid: 556 }))).toEqual(["unexpected spawn report for server 7 (pid 556), ignored."]);
    expect(d.state).toEqual(before);
  });

  test("a second start event", () => {
    const d = new Driver(specs(A));
    d.start(0);
    const before = d.state;
    expect(d.feed({ type: "start", at: 10, handover: null })).toEqual([{ type: "log", record: { event: "ignored", text: "start event after start, ignored." } }]);
    expect(d.state).toEqual(before);
  });
});
