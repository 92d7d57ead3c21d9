// What the core says (src/core/records.ts, describe.ts, status.ts): the text
// lines of docs/spec.md and the fields of the JSON log, record by record, and
// the one view behind the dump and `ctl status`.
import { describe, expect, test } from "bun:test";
import { describeExit, seconds, shortExit, stateWords } from "../../src/core/describe.ts";
import * as say from "../../src/core/records.ts";
import { SIGKILL, SIGSEGV, SIGTERM } from "../../src/core/signals.ts";
import { dumpLines, statusOf } from "../../src/core/status.ts";
import { newServer } from "../../src/core/step.ts";
import type { Server } from "../../src/core/types.ts";
import { code, Driver, sig, specs } from "../helpers/driver.ts";

const server = (argv: string[], extra: Partial<Server["spec"]> = {}): Server => newServer({ argv, name: "web", ...extra });

describe("records", () => {
  test("X is the label, else the command word as written, else the name", () => {
    expect(say.label(server(["/bin/sh", "-c", "x"], { label: "web" }))).toBe("web");
    expect(say.label(server(["./srv", "a"]))).toBe("./srv");
  });

  test("counts agree with their nouns", () => {
    expect(say.supervisor.started("lazarus", 1).text).toBe("lazarus started, supervising 1 server.");
    expect(say.supervisor.started("lazarus", 2).text).toBe("lazarus started, supervising 2 servers.");
    expect(say.supervisor.started("lazarus", 0).text).toBe("lazarus started, supervising 0 servers.");
    expect(say.supervisor.resumed("lazarus 1.0", 1).text).toBe("re-exec complete: lazarus 1.0 running, adopted 1 running server.");
    expect(say.supervisor.resumed("lazarus 1.0", 3).text).toBe("re-exec complete: lazarus 1.0 running, adopted 3 running servers.");
    expect(say.reply.revivedAll(1)).toBe("revived 1 server");
    expect(say.reply.revivedAll(0)).toBe("revived 0 servers");
  });

  test("every record about a server names it, and says where it went", () => {
    const s = server(["srv"]);
    const cases = [
      [say.server.spawned(3, s, 42), { event: "spawned", server: 3, name: "web", pid: 42, from: "starting", to: "alive", text: "'srv' started with pid 42." }],
      [say.server.spawnFailed(3, s, "ENOENT"), { event: "spawn-failed", server: 3, name: "web", from: "starting", to: "buried", text: "could not spawn 'srv': ENOENT; burying." }],
      [say.server.exit(3, s, 42, code(3)), { event: "exit", server: 3, name: "web", pid: 42, code: 3, text: "'srv' exited with code 3." }],
      [say.server.exit(3, s, 42, sig(SIGSEGV)), { event: "exit", server: 3, name: "web", pid: 42, signal: "SIGSEGV", text: "'srv' died by signal 11 (SIGSEGV)." }],
      [say.server.exit(3, s, 42, { kind: "unknown" }), { event: "exit", server: 3, name: "web", pid: 42, text: "'srv' ended with an unknown status." }],
      [say.server.buried(3, s, 42, code(1)), { event: "buried", server: 3, name: "web", pid: 42, code: 1, from: "alive", to: "buried", text: "'srv' died abnormally, burying because it died too fast." }],
      [say.server.respawn(3, s, 42, code(1)), { event: "respawn", server: 3, name: "web", pid: 42, code: 1, from: "alive", to: "starting", text: "'srv' died abnormally, respawning." }],
      [say.server.cremated(3, s, 42, sig(SIGTERM)), { event: "cremated", server: 3, name: "web", pid: 42, signal: "SIGTERM", from: "alive", to: "cremated", text: "child process 'srv' exited normally, cremating." }],
      [say.server.stopped(3, s, 42, sig(SIGKILL), false), { event: "stopped", server: 3, name: "web", pid: 42, signal: "SIGKILL", from: "alive", to: "cremated", text: "'srv' stopped, cremating." }],
      [say.server.stopped(3, s, 42, code(0), true), { event: "stopped", server: 3, name: "web", pid: 42, code: 0, from: "alive", to: "cremated", text: "child process 'srv' exited normally, cremating." }],
      [say.server.stopTimeout(3, s, 42, 2500), { event: "stop-timeout", server: 3, name: "web", pid: 42, text: "'srv' did not stop within 2.500 s, killing it." }],
      [say.server.stoppedNow(3, s, "buried"), { event: "stopped", server: 3, name: "web", from: "buried", to: "cremated", text: "'srv' stopped, cremating." }],
      [say.server.signal(3, s, 42, 1), { event: "signal", server: 3, name: "web", pid: 42, signal: "SIGHUP", text: "sending SIGHUP to 'srv' (pid 42)." }],
    ] as const;
    for (const [record, want] of cases) expect(record).toEqual(want);
  });

  test("the supervisor's records carry their numbers", () => {
    expect(say.supervisor.exiting(142)).toEqual({ event: "exiting", code: 142, text: "exiting with status 142." });
    expect(say.supervisor.unknownChild(77)).toEqual({ event: "unknown-child", pid: 77, text: "joined with unknown child process: 77" });
    expect(say.supervisor.logDropped(3, 0)).toEqual({
      event: "log-dropped", dropped: { log: 3, output: 0 }, text: "3 lines could not be written and were dropped: the reader of lazarus's output did not keep up.",
    });
    expect(say.supervisor.logDropped(1, 0).text).toBe("1 line could not be written and was dropped: the reader of lazarus's output did not keep up.");
    expect(say.supervisor.logFileResumed("a.log", 1).text).toBe("a.log can be written again; 1 line could not be written and was dropped.");
    expect(say.supervisor.logFileResumed("a.log", 2).text).toBe("a.log can be written again; 2 lines could not be written and were dropped.");
    expect(say.supervisor.logDropped(1, 2).dropped).toEqual({ log: 1, output: 2 });
    expect(say.supervisor.logDropped(1, 2).text).toStartWith("1 line of lazarus's log and 2 lines of server output could not be written");
    expect(say.supervisor.stray(13)).toEqual({ event: "ignored", signal: "SIGPIPE", text: "signal 13 (SIGPIPE) received, ignored." });
    expect(say.reply.shuttingDown(false)).toBe("shutting down");
    expect(say.reply.shuttingDown(true)).toBe("already shutting down");
  });
});

describe("words", () => {
  test("state words of docs/spec.md", () => {
    expect(["unborn", "starting", "alive", "buried", "cremated"].map((k) => stateWords(k as never))).toEqual([
      "not started yet", "being started", "up and running", "requires SIGUSR2 to respawn", "will never respawn",
    ]);
  });

  test("exits and seconds", () => {
    expect(describeExit(sig(9))).toBe("died by signal 9 (SIGKILL)");
    expect(shortExit(code(3))).toBe("code 3");
    expect(shortExit(sig(11))).toBe("SIGSEGV");
    expect(shortExit({ kind: "unknown" })).toBe("unknown");
    expect(shortExit(null)).toBe("-");
    expect(seconds(1500)).toBe("1.500");
    expect(seconds(5)).toBe("0.005");
  });
});

describe("the status view (the dump and ctl status)", () => {
  test("per server: state, pid, since, uptime (alive only), restarts, last exit, stopping (under a stop order only); alive counts the alive only", () => {
    const d = new Driver(specs(["a"], ["b"], ["c"], ["d"]), { intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 0 });
    d.start(0);
    d.exit(d.pid(1), code(1), 100); // buried at 100
    d.exit(d.pid(2), code(1), 2000); // respawned at 2000
    d.feed({ type: "control", at: 2500, id: 1, command: { op: "stop", server: 0 } });
    d.manualSpawns = true;
    d.exit(d.pid(3), code(1), 3000); // respawn in flight: starting
    const st = statusOf(d.state, 4000);
    expect(st.alive).toBe(2);
    expect(st.managed).toBe(4);
    expect(st.servers.map((s) => [s.state, s.pid !== null, s.since, s.uptime, s.restarts, s.lastExit, s.stopping])).toEqual([
      ["alive", true, 0, 4000, 0, null, true],
      ["buried", false, 100, null, 0, "code 1", false],
      ["alive", true, 2000, 2000, 1, "code 1", false],
      ["starting", false, null, null, 1, "code 1", false],
    ]);
    const lines = dumpLines({ ...st, revivePending: true });
    expect(lines.slice(0, 5)).toEqual([
      "current time: 4.000 s (monotonic)", "interval: 1.000 s", "servers: 4 managed, 2 alive", "revive pending: yes", "phase: running",
    ]);
    expect(dumpLines(st)[3]).toBe("revive pending: no");
    expect(lines[6]).toBe("server 1: name b, pid -, requires SIGUSR2 to respawn, since 0.100 s, restarts 0, command: b");
  });
});
