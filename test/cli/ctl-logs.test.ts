// `ctl rotate`, `ctl reopen`, `ctl logs` and the status table's log column
// (issue 16), through a fake CtlIo: what is asked of whom, and what is printed.
import { describe, expect, test } from "bun:test";
import { type ClientResult, ctl, type CtlIo, ctlRequest, type LogSource, statusTable } from "../../src/cli/ctl.ts";
import { parseRequest } from "../../src/control/protocol.ts";

function fakeIo(about: Record<string, unknown> | null, config: string | null = null): { io: CtlIo; asked: Record<string, unknown>[]; shown: { sources: readonly LogSource[]; lines: number; follow: boolean }[] } {
  const asked: Record<string, unknown>[] = [];
  const shown: { sources: readonly LogSource[]; lines: number; follow: boolean }[] = [];
  const io: CtlIo = {
    cwd: "/srv/app",
    place: { env: {}, uid: 1000, tmpdir: "/tmp" },
    now: () => 0,
    sleep: () => Promise.resolve(),
    listDir: (dir) => (dir === "/var/log/app" ? ["web.log", "web.log.1", "a%2Fb.log", "notes.txt"] : null),
    pidAlive: () => true,
    unlink: () => {},
    request: (_path, body): Promise<ClientResult> => {
      asked.push(body);
      if (body.cmd === "about" && about !== null) return Promise.resolve({ ok: true, reply: { ok: true, about } });
      return Promise.resolve({ ok: true, reply: { ok: true, message: "done" } });
    },
    showLogs: (opts) => {
      shown.push(opts);
      return Promise.resolve(null);
    },
    readText: (path) => (path === "/srv/app/lazarus.toml" ? config : null),
  };
  return { io, asked, shown };
}

const ABOUT = {
  pid: 42, version: "0.1.0", cwd: "/srv/app", config: null, procfile: null, servers: 3, uptimeMs: 1000, socket: "/run/l.sock",
  logs: [{ name: "web", path: "/srv/app/logs/web.log" }, { name: "db", path: "/srv/app/logs/db.log" }], eventLog: "/srv/app/events.jsonl",
};

describe("ctl rotate and reopen", () => {
  test("every log file, or one server's", () => {
    expect(ctlRequest(["rotate"])).toEqual({ cmd: "rotate" });
    expect(ctlRequest(["rotate", "web"])).toEqual({ cmd: "rotate", server: "web" });
    expect(ctlRequest(["reopen", "0"])).toEqual({ cmd: "reopen", server: "0" });
    expect(ctlRequest(["rotate", "a", "b"])).toBe("rotate takes at most one argument (SERVER)");
    const servers = [{ argv: ["x"], name: "web" }];
    expect(parseRequest(JSON.stringify({ cmd: "rotate" }), servers)).toEqual({ kind: "logs", id: null, op: "rotate", server: null });
    expect(parseRequest(JSON.stringify({ cmd: "reopen", server: "web", id: 3 }), servers)).toEqual({ kind: "logs", id: 3, op: "reopen", server: 0 });
    expect(parseRequest(JSON.stringify({ cmd: "rotate", server: "nope" }), servers)).toEqual({ kind: "error", id: null, error: "no server named \"nope\"" });
  });

  test("sent to the supervisor, its answer printed", async () => {
    const { io, asked } = fakeIo(ABOUT);
    expect(await ctl(["--control=/run/l.sock", "rotate", "web"], io)).toEqual({ status: 0, stdout: "done\n", stderr: "" });
    expect(asked).toEqual([{ cmd: "rotate", server: "web" }]);
  });
});

describe("ctl logs", () => {
  test("the supervisor says where its files are; every log (lazarus's event log too), or one, the last 10 lines by default", async () => {
    const { io, asked, shown } = fakeIo(ABOUT);
    expect(await ctl(["--control=/run/l.sock", "logs"], io)).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(asked).toEqual([{ cmd: "about" }]);
    expect(shown[0]).toEqual({
      sources: [{ name: "web", path: "/srv/app/logs/web.log" }, { name: "db", path: "/srv/app/logs/db.log" }, { name: "lazarus", path: "/srv/app/events.jsonl" }],
      lines: 10, follow: false,
    });
    await ctl(["--control=/run/l.sock", "logs", "db", "-n", "5", "-f"], io);
    expect(shown[1]).toEqual({ sources: [{ name: "db", path: "/srv/app/logs/db.log" }], lines: 5, follow: true });
    await ctl(["--control=/run/l.sock", "logs", "-n0", "lazarus"], io);
    expect(shown[2]).toEqual({ sources: [{ name: "lazarus", path: "/srv/app/events.jsonl" }], lines: 0, follow: false });
  });

  test("with --log-dir: the files there (names unescaped), no supervisor asked", async () => {
    const { io, asked, shown } = fakeIo(null);
    expect((await ctl(["--log-dir=/var/log/app", "logs", "--lines=3"], io)).status).toBe(0);
    expect(asked).toEqual([]);
    expect(shown[0]).toEqual({ sources: [{ name: "a/b", path: "/var/log/app/a%2Fb.log" }, { name: "web", path: "/var/log/app/web.log" }], lines: 3, follow: false });
    expect(await ctl(["--log-dir=/nowhere", "logs"], io)).toEqual({ status: 1, stdout: "", stderr: "lazarus: ctl: no log files (NAME.log) in /nowhere\n" });
  });

  test("no supervisor running: the log_dir of the lazarus.toml here (relative to it); without one, the usual error", async () => {
    const { io, asked, shown } = fakeIo(null, 'log_dir = "../../var/log/app"\n[servers.web]\ncmd = ["x"]\n');
    expect(await ctl(["logs", "web", "-f"], io)).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(asked).toEqual([]);
    expect(shown[0]).toEqual({ sources: [{ name: "web", path: "/var/log/app/web.log" }], lines: 10, follow: true });
    const bare = fakeIo(null, "[servers.web]\ncmd = [\"x\"]\n");
    expect((await ctl(["logs"], bare.io)).status).toBe(1);
    expect(bare.shown).toEqual([]);
  });

  test("usage errors, and a server without a log file", async () => {
    const { io } = fakeIo(ABOUT);
    expect((await ctl(["--control=/run/l.sock", "logs", "-n"], io)).stderr).toBe("lazarus: ctl: -n needs a number of lines (logs takes [SERVER] [-n N] [-f]) (see lazarus ctl --help)\n");
    expect((await ctl(["--control=/run/l.sock", "logs", "-x"], io)).status).toBe(2);
    expect((await ctl(["--control=/run/l.sock", "logs", "a", "b"], io)).status).toBe(2);
    expect(await ctl(["--control=/run/l.sock", "logs", "cache"], io)).toEqual({
      status: 1, stdout: "", stderr: "lazarus: ctl: no log file for \"cache\"; there are: web, db, lazarus\n",
    });
    expect((await ctl(["--log-dir=/x", "status"], io)).stderr).toBe("lazarus: ctl: --log-dir is for logs (see lazarus ctl --help)\n");
    const none = fakeIo({ ...ABOUT, logs: [], eventLog: null });
    expect((await ctl(["--control=/run/l.sock", "logs"], none.io)).stderr).toBe("lazarus: ctl: the supervisor (pid 42) keeps no log files (log_dir, --log-dir, event_log)\n");
  });
});

describe("the status table", () => {
  const server = (name: string, log: unknown) => ({
    index: 0, name, command: ["x"], state: "alive" as const, words: "up and running", pid: 7, since: 0, uptime: 1500, restarts: 0, lastExit: null, stopping: false, log,
  });

  test("a LOG DROPS column when a server has a log file: its count, and whether it fails now", () => {
    const text = statusTable({
      pid: 42, version: "0.1.0", phase: "running",
      servers: [
        server("web", { path: "/l/web.log", dropped: 12, failing: "cannot write /l/web.log: no space left on device (ENOSPC)" }),
        { ...server("db", { path: "/l/db.log", dropped: 0, failing: null }), index: 1 },
        { ...server("cache", null), index: 2 },
      ],
      eventLog: { path: "/l/events.jsonl", dropped: 3, failing: null },
    } as never);
    expect(text).toBe([
      "lazarus 0.1.0 (pid 42), running",
      "#  NAME   STATE  PID  UPTIME  RESTARTS  LAST EXIT  LOG DROPS     COMMAND",
      "0  web    alive  7    1.5s    0         -          12 (failing)  x",
      "1  db     alive  7    1.5s    0         -          0             x",
      "2  cache  alive  7    1.5s    0         -          -             x",
      "log of web: cannot write /l/web.log: no space left on device (ENOSPC)",
      "event log /l/events.jsonl: 3 lines dropped",
      "",
    ].join("\n"));
  });

  test("STATE says not ready, whom a waiting server waits for, a backoff's retry, a stop in progress", () => {
    const base = { ...server("web", null), ready: true, waitingFor: [], retryAt: null, retries: 0, healthFails: 0, note: null };
    const text = statusTable({
      pid: 1, version: "v", phase: "running",
      servers: [
        { ...base, ready: false },
        { ...base, index: 1, name: "api", state: "waiting", pid: null, ready: null, waitingFor: ["web", "db"] },
        { ...base, index: 2, name: "job", state: "backoff", pid: null, ready: null, retries: 2 },
        { ...base, index: 3, name: "old", stopping: true },
      ],
    } as never);
    expect(text.split("\n").slice(2, 6).map((l) => l.split(/ {2,}/)[2])).toEqual([
      "starting (not ready)", "waiting (web, db)", "backoff (retry 2)", "alive (stopping)",
    ]);
  });

  test("a reload's new spec waiting for a process to end, and the rolling restart under way", () => {
    const base = { ...server("web.1", null), ready: true, waitingFor: [], retryAt: null, retries: 0, healthFails: 0, note: null, pendingSpec: false };
    const text = statusTable({
      pid: 1, version: "v", phase: "running", rolling: "web",
      servers: [
        { ...base, pendingSpec: true },
        { ...base, index: 1, name: "web.2", pendingSpec: true, stopping: true },
        { ...base, index: 2, name: "db" },
      ],
    } as never);
    expect(text.split("\n")[0]).toBe("lazarus v (pid 1), running, rolling restart of web under way");
    expect(text.split("\n").slice(2, 5).map((l) => l.split(/ {2,}/)[2])).toEqual(["alive (changed: old spec)", "alive (stopping, changed)", "alive"]);
  });

  test("the tables ctl scale holds at 0 copies, under the table (none of their servers is a row)", () => {
    const text = statusTable({ pid: 1, version: "v", phase: "running", servers: [server("db", null)], scaledToZero: ["web", "worker"] } as never);
    expect(text.split("\n").slice(3)).toEqual(["scaled to 0: web, worker (ctl scale NAME N runs copies again)", ""]);
    expect(statusTable({ pid: 1, version: "v", phase: "running", servers: [server("db", null)] } as never)).not.toContain("scaled to 0");
  });

  test("a USER column when a server runs as another user ('-' for those that run as lazarus)", () => {
    const text = statusTable({ pid: 1, version: "v", phase: "running", servers: [{ ...server("web", null), user: "www" }, { ...server("db", null), index: 1 }] } as never);
    expect(text.split("\n").slice(1, 4)).toEqual([
      "#  NAME  STATE  PID  USER  UPTIME  RESTARTS  LAST EXIT  COMMAND",
      "0  web   alive  7    www   1.5s    0         -          x",
      "1  db    alive  7    -     1.5s    0         -          x",
    ]);
    expect(statusTable({ pid: 1, version: "v", phase: "running", servers: [server("web", null)] } as never)).not.toContain("USER");
  });

  test("no such column without log files", () => {
    expect(statusTable({ pid: 1, version: "v", phase: "running", servers: [server("web", null)] } as never)).not.toContain("LOG DROPS");
  });
});
