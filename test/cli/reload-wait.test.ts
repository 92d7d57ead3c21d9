// `lazarus ctl reload --wait` and `scale … --wait`: when a reload has taken
// effect (src/cli/reload-wait.ts), and what ctl asks and prints meanwhile,
// through a fake CtlIo whose clock the test moves.
import { describe, expect, test } from "bun:test";
import { type ClientResult, ctl, type CtlIo } from "../../src/cli/ctl.ts";
import { reloadProgress, type WaitStatus } from "../../src/cli/reload-wait.ts";

type Row = WaitStatus["servers"][number];
const up = (name: string, extra: Partial<Row> = {}): Row =>
  ({ name, state: "alive", words: "up", stopping: false, ready: true, pendingSpec: false, lastExit: null, uptime: 5000, intervalMs: 1000, readyCheck: false, ...extra });
const st = (servers: Row[], extra: Partial<WaitStatus> = {}): WaitStatus => ({ phase: "running", rolling: null, servers, ...extra });
const none = { added: [], changed: [], removed: [] };

describe("reloadProgress", () => {
  test("done when every added and changed server is up and ready and nothing removed runs", () => {
    expect(reloadProgress({ added: ["a"], changed: ["c"], removed: ["r"] }, st([up("a"), up("c"), up("k")]))).toEqual({ kind: "done", servers: 2 });
    expect(reloadProgress(none, st([up("k")]))).toEqual({ kind: "done", servers: 0 });
  });

  test("waits for a new process not ready yet, one being stopped, a spec still pending, a server not started yet", () => {
    const p = reloadProgress({ added: ["a", "b", "w"], changed: ["c", "d"], removed: [] }, st([
      up("a", { ready: false, words: "up, not ready yet" }),
      { ...up("b"), state: "backoff", words: "in backoff", ready: null },
      { ...up("w"), state: "waiting", words: "waiting for db", ready: null },
      up("c", { stopping: true }),
      up("d", { pendingSpec: true, stopping: true }),
    ]));
    expect(p).toEqual({
      kind: "waiting",
      for: ["a (up, not ready yet)", "b (in backoff)", "w (waiting for db)", "c (stopping)", "d (its new spec, once its old process has ended)"],
    });
  });

  test("a server without a readiness check is in effect once it has outlived its interval (an end sooner buries it); with one, once ready", () => {
    const changed = { added: [], changed: ["web"], removed: [] };
    expect(reloadProgress(changed, st([up("web", { uptime: 999 })]))).toEqual({ kind: "waiting", for: ["web (up, within its first 1 s)"] });
    expect(reloadProgress(changed, st([up("web", { uptime: 1000 })]))).toEqual({ kind: "done", servers: 1 });
    expect(reloadProgress(changed, st([up("web", { uptime: 0, readyCheck: true })]))).toEqual({ kind: "done", servers: 1 });
    expect(reloadProgress(changed, st([up("web", { uptime: 50, intervalMs: 0 })]))).toEqual({ kind: "done", servers: 1 });
  });

  test("waits for a rolling restart under way, a process moved aside, a removed server still running", () => {
    expect(reloadProgress({ added: [], changed: ["web.1", "web.2"], removed: [] }, st([up("web.1"), up("web.2", { pendingSpec: true }), up("web.1 (new)", { ready: false })], { rolling: "web" })))
      .toEqual({ kind: "waiting", for: ["the rolling restart of web", "web.2 (its new spec, once its old process has ended)"] });
    expect(reloadProgress({ added: [], changed: ["web.1"], removed: [] }, st([up("web.1"), up("web.1 (old)", { stopping: true, words: "up" })])))
      .toEqual({ kind: "waiting", for: ["web.1 (old) (up)"] });
    // The status's own field, when the supervisor sends it, says which process is aside.
    expect(reloadProgress({ added: [], changed: ["web.1"], removed: [] }, st([up("web.1"), up("web.1 (old)", { stopping: true, words: "up", aside: "old" })])))
      .toEqual({ kind: "waiting", for: ["web.1 (old) (up)"] });
    expect(reloadProgress({ added: [], changed: ["web.1"], removed: [] }, st([up("web.1"), up("web.1 (old)", { stopping: true, words: "up", aside: null })])))
      .toEqual({ kind: "done", servers: 1 });
    expect(reloadProgress({ added: [], changed: [], removed: ["gone"] }, st([up("gone", { stopping: true })])))
      .toEqual({ kind: "waiting", for: ["gone (removed, stopping)"] });
  });

  test("a start or restart of one server is not held up by a rolling restart of others", () => {
    const one = { added: [], changed: ["db"], removed: [] };
    const rolling = st([up("db"), up("web.1", { pendingSpec: true }), up("web.1 (new)", { ready: false })], { rolling: "web" });
    expect(reloadProgress(one, rolling, true)).toEqual({ kind: "done", servers: 1 });
    expect(reloadProgress(one, rolling)).toEqual({ kind: "waiting", for: ["the rolling restart of web"] });
  });

  test("resting servers are in effect: not started automatically, stopped, exited cleanly; a server gone since is not waited for", () => {
    const rest = (name: string, state: "unborn" | "cremated"): Row => ({ ...up(name), state, ready: null, words: state });
    expect(reloadProgress({ added: ["u", "x"], changed: ["z"], removed: [] }, st([rest("u", "unborn"), rest("z", "cremated")]))).toEqual({ kind: "done", servers: 3 });
  });

  test("fails at a buried server, or when lazarus is shutting down", () => {
    expect(reloadProgress({ added: ["a"], changed: ["c"], removed: [] }, st([up("a", { ready: false }), { ...up("c"), state: "buried", ready: null, lastExit: "code 1" }])))
      .toEqual({ kind: "failed", why: "c is buried (its last exit: code 1)" });
    expect(reloadProgress(none, st([], { phase: "stopping" }))).toEqual({ kind: "failed", why: "lazarus is shutting down" });
  });
});

/** A supervisor whose status replies are given in turn (the last one again once they run out); the clock moves by each sleep. */
function fakeIo(reload: Record<string, unknown>, statuses: (WaitStatus | string)[]) {
  let clock = 0;
  const asked: Record<string, unknown>[] = [];
  const slept: number[] = [];
  const io: CtlIo = {
    cwd: "/srv/app",
    place: { env: {}, uid: 1000, tmpdir: "/tmp" },
    now: () => clock,
    sleep: (ms) => {
      slept.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    listDir: () => null,
    pidAlive: () => true,
    unlink: () => {},
    request: (_path, body): Promise<ClientResult> => {
      asked.push(body);
      if (body.cmd !== "status") return Promise.resolve({ ok: true, reply: reload });
      const next = (statuses.length > 1 ? statuses.shift() : statuses[0]) as WaitStatus | string;
      if (typeof next === "string") return Promise.resolve({ ok: false, error: next });
      return Promise.resolve({ ok: true, reply: { ok: true, status: next } });
    },
    showLogs: () => Promise.resolve(null),
    readText: () => null,
  };
  return { io, asked, slept };
}

const RELOADED = { ok: true, message: "reloaded: 1 changed (web), 1 unchanged", reload: { added: [], changed: ["web"], removed: [], unchanged: ["db"] } };

describe("ctl restart --wait, ctl start --wait", () => {
  test("the server it names (by index or by name) until it is up and ready again; buried: exit 1", async () => {
    const restarted = { ok: true, message: "restart of 'web' requested." };
    const rows = (web: Row) => st([{ ...up("db"), index: 0 } as Row, { ...web, index: 1 } as Row]);
    const { io, asked } = fakeIo(restarted, [rows(up("web", { stopping: true })), rows(up("web", { uptime: 10 })), rows(up("web", { uptime: 1000 }))]);
    expect(await ctl(["--control=/run/l.sock", "restart", "1", "--wait"], io)).toEqual({
      status: 0, stdout: "restart of 'web' requested.\nin effect: 'web' is up and ready (or at rest)\n", stderr: "",
    });
    expect(asked).toEqual([{ cmd: "restart", server: "1" }, { cmd: "status" }, { cmd: "status" }, { cmd: "status" }]);
    // Digits are an index, as the supervisor reads them ("01" is server 1), never a name.
    const zero = fakeIo(restarted, [rows(up("web", { stopping: true })), rows(up("web", { uptime: 1000 }))]);
    expect((await ctl(["--control=/run/l.sock", "restart", "01", "--wait"], zero.io)).stdout).toBe("restart of 'web' requested.\nin effect: 'web' is up and ready (or at rest)\n");
    expect(zero.asked.filter((b) => b.cmd === "status").length).toBe(2);
    const missing = fakeIo(restarted, [rows(up("web"))]);
    expect(await ctl(["--control=/run/l.sock", "restart", "7", "--wait"], missing.io)).toEqual({
      status: 1, stdout: "restart of 'web' requested.\n", stderr: "lazarus: ctl: while waiting for the restart to take effect: no server \"7\" in its status\n",
    });
    const started = { ok: true, message: "start of 'web' requested." };
    const buried = fakeIo(started, [rows({ ...up("web"), state: "buried", ready: null, lastExit: "code 2" })]);
    expect(await ctl(["--control=/run/l.sock", "start", "web", "--wait=9"], buried.io)).toEqual({
      status: 1, stdout: "start of 'web' requested.\n", stderr: "lazarus: ctl: did not take effect: web is buried (its last exit: code 2)\n",
    });
  });
});

describe("ctl reload --wait", () => {
  test("asks for the status until the change has taken effect, then says so", async () => {
    const { io, asked, slept } = fakeIo(RELOADED, [st([up("web", { stopping: true })]), st([up("web", { ready: false })]), st([up("web")])]);
    expect(await ctl(["--control=/run/l.sock", "reload", "--wait"], io)).toEqual({
      status: 0,
      stdout: "reloaded: 1 changed (web), 1 unchanged\nchanged: web\nunchanged: db\nin effect: the 1 added or changed server(s) are up and ready (or at rest), nothing removed still runs\n",
      stderr: "",
    });
    expect(asked).toEqual([{ cmd: "reload" }, { cmd: "status" }, { cmd: "status" }, { cmd: "status" }]);
    expect(slept).toEqual([100, 100]);
  });

  test("a buried server: exit 1, naming it; the reload's own text still on stdout", async () => {
    const { io } = fakeIo(RELOADED, [st([{ ...up("web"), state: "buried", ready: null, lastExit: "SIGSEGV" }])]);
    expect(await ctl(["--control=/run/l.sock", "reload", "--wait=5"], io)).toEqual({
      status: 1,
      stdout: "reloaded: 1 changed (web), 1 unchanged\nchanged: web\nunchanged: db\n",
      stderr: "lazarus: ctl: did not take effect: web is buried (its last exit: SIGSEGV)\n",
    });
  });

  test("its time is up: exit 1, saying what it still waits for; --json carries the outcome", async () => {
    const { io, slept } = fakeIo(RELOADED, [st([up("web", { ready: false, words: "up, not ready yet" })])]);
    const r = await ctl(["--control=/run/l.sock", "--json", "reload", "--wait=0.25"], io);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ ...RELOADED, wait: { ok: false, message: "not in effect after 0.25 s: waiting for web (up, not ready yet)" } });
    expect(slept).toEqual([100, 100, 50]);
  });

  test("the supervisor stops answering meanwhile: exit 1 with the reason after 10 failures in a row; fewer are waited out", async () => {
    const { io, asked } = fakeIo(RELOADED, ["cannot connect to /run/l.sock: ECONNREFUSED"]);
    const r = await ctl(["--control=/run/l.sock", "reload", "--wait"], io);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("lazarus: ctl: while waiting for the reload to take effect: cannot connect to /run/l.sock: ECONNREFUSED\n");
    expect(asked.filter((b) => b.cmd === "status").length).toBe(10);
    // A re-exec in between: three refused, then it answers again.
    const refused = "cannot connect to /run/l.sock: ECONNREFUSED";
    const again = fakeIo(RELOADED, [st([up("web", { stopping: true })]), refused, refused, refused, st([up("web")])]);
    expect((await ctl(["--control=/run/l.sock", "reload", "--wait"], again.io)).status).toBe(0);
  });

  test("a reload's rolling restart that stopped (copies keep their old processes, nothing under way): exit 1 at once", async () => {
    const rolled = { ok: true, message: "reloaded: 2 changed (web.1, web.2)", reload: { added: [], changed: ["web.1", "web.2"], removed: [], unchanged: [] } };
    const { io, asked } = fakeIo(rolled, [
      st([up("web.1", { pendingSpec: true }), up("web.2", { pendingSpec: true }), up("web.1 (new)", { ready: false })], { rolling: "web" }),
      st([up("web.1", { pendingSpec: true }), up("web.2", { pendingSpec: true })]),
    ]);
    const r = await ctl(["--control=/run/l.sock", "reload", "--wait"], io);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("lazarus: ctl: did not take effect: web.1 keeps its old process: the rolling restart stopped before it (lazarus's log says why)\n");
    expect(asked.filter((b) => b.cmd === "status").length).toBe(2);
  });

  test("scale NAME 0 --wait: the copies removed, waited for until none still runs; the words and the request", async () => {
    const zero = { ok: true, message: "scaled 'web' to 0: 0 added, 0 changed, 2 removed (web.1, web.2), 0 unchanged", reload: { added: [], changed: [], removed: ["web.1", "web.2"], unchanged: [] } };
    const { io, asked } = fakeIo(zero, [st([up("web.1", { stopping: true }), up("web.2", { stopping: true })]), st([up("web.1", { stopping: true })]), st([])]);
    expect(await ctl(["--control=/run/l.sock", "scale", "web", "0", "--wait=30"], io)).toEqual({
      status: 0,
      stdout: "scaled 'web' to 0: 0 added, 0 changed, 2 removed (web.1, web.2), 0 unchanged\nremoved: web.1, web.2\nin effect: nothing removed still runs\n",
      stderr: "",
    });
    expect(asked[0]).toEqual({ cmd: "scale", server: "web", count: 0 });
    expect(asked.filter((b) => b.cmd === "status").length).toBe(3);
  });

  test("scale takes --wait too; a refused reload is not waited for; bad --wait values are usage errors", async () => {
    const scaled = { ok: true, message: "scaled 'web' to 2: 1 added (web.2)", reload: { added: ["web.2"], changed: [], removed: [], unchanged: ["web.1"] } };
    const { io, asked } = fakeIo(scaled, [st([up("web.1"), up("web.2")])]);
    expect((await ctl(["--control=/run/l.sock", "scale", "web", "2", "--wait=30"], io)).status).toBe(0);
    expect(asked[0]).toEqual({ cmd: "scale", server: "web", count: 2 });
    const refused = fakeIo({ ok: false, error: "a shutdown is under way" }, [st([])]);
    expect(await ctl(["--control=/run/l.sock", "reload", "--wait"], refused.io)).toEqual({ status: 1, stdout: "", stderr: "lazarus: ctl: refused: a shutdown is under way\n" });
    expect(refused.asked).toEqual([{ cmd: "reload" }]);
    for (const [words, message] of [
      [["status", "--wait"], "--wait is for reload, scale, start and restart, not status"],
      [["restart", "web", "--rolling", "--wait"], "restart --rolling waits for its end already: no --wait"],
      [["reload", "--wait", "--wait=3"], "give --wait once"],
      [["reload", "--wait=0"], "--wait=0: not a number of seconds above 0"],
      [["reload", "--wait=soon"], "--wait=soon: not a number of seconds above 0"],
    ] as const) {
      expect(await ctl(["--control=/run/l.sock", ...words], fakeIo(RELOADED, []).io)).toEqual({ status: 2, stdout: "", stderr: `lazarus: ctl: ${message} (see lazarus ctl --help)\n` });
    }
  });
});

describe("ctl reload of a change of policy only (updated in place)", () => {
  const UPDATED = {
    ok: true, message: "reloaded: 0 added, 0 changed, 0 removed, 2 unchanged (1 updated in place: web)",
    reload: { added: [], changed: [], removed: [], unchanged: ["web", "db"], updated: ["web"] },
  };

  test("names the servers updated in place; --wait has nothing to wait for (their processes run on)", async () => {
    const { io, asked } = fakeIo(UPDATED, [st([up("web"), up("db")])]);
    const r = await ctl(["--control=/run/l.sock", "reload", "--wait"], io);
    expect(r.status).toBe(0);
    expect(r.stdout).toStartWith("reloaded: 0 added, 0 changed, 0 removed, 2 unchanged (1 updated in place: web)\nunchanged: web, db\nupdated: web\nin effect: ");
    expect(asked).toEqual([{ cmd: "reload" }, { cmd: "status" }]);
  });
});
