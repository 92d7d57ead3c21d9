// Issue 5 on the real supervisor: process groups and orphans, the control
// socket and its client, hostile clients, the JSON log and its replay.
import { describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { request } from "../../src/os/control-client.ts";
import { MAX_CLIENTS, MAX_REQUEST_LINE } from "../../src/os/control-socket.ts";
import { BUN, childrenOf, ctl, eventually, marked, MAIN, perTest, procState, ROOT, Run, RUN_MARK, SERVER, until, waitGone } from "../helpers/run.ts";
import { lives } from "../helpers/pid-lives.ts";
import { budget } from "../properties/budget.ts";
import { processScenarioArb, runProcessScenario } from "../properties/process.ts";

const S = SERVER;

/** Why `unshare --pid` cannot run here (null: it can). */
const NAMESPACES: string | null = (() => {
  try {
    const p = Bun.spawnSync(["unshare", "--fork", "--pid", "--mount-proc", "true"], { stdio: ["ignore", "ignore", "pipe"] });
    return p.exitCode === 0 ? null : `unshare exited with ${p.exitCode ?? p.signalCode}: ${p.stderr.toString().trim() || "no message"}`;
  } catch (e) {
    return `unshare cannot be run: ${e instanceof Error ? e.message : String(e)}`;
  }
})();
const { start, tempDir } = perTest({ tmp: "lazarus-ctl-" });

/** A supervisor with a control socket in a fresh directory. */
async function supervised(args: string[]): Promise<{ r: Run; sock: string }> {
  const sock = join(tempDir(), "ctl.sock");
  const r = start([`--control=${sock}`, ...args]);
  await r.waitFor("started, supervising");
  return { r, sock };
}

async function status(sock: string): Promise<{ servers: { index: number; name: string; state: string; pid: number | null; since: number | null; restarts: number; command: string[]; words: string; lastExit: string | null }[]; pid: number }> {
  const res = await request(sock, { cmd: "status" });
  if (!res.ok) throw new Error(res.error);
  return res.reply.status as never;
}

describe("process groups and orphans", () => {
  test("stopping a server whose fixture forks grandchildren leaves none of them, even one that ignores SIGTERM", async () => {
    const { r, sock } = await supervised(["{", S, "--fork=2", "--stubborn-child", "}", "{", S, "}"]);
    await r.waitForCount(/grandchild=/, 3);
    const leader = await r.startedPid(0, S);
    const family = r.lines.flatMap((l) => { const m = /^fixture: pid=(\d+) grandchild=(\d+)/.exec(l); return m && Number(m[1]) === leader ? [Number(m[2])] : []; });
    expect(family).toHaveLength(3);
    const res = await ctl(`--control=${sock}`, "stop", "0");
    expect(res).toEqual({ code: 0, out: "stopping server\n", err: "" });
    await r.waitFor(/'[^']*' stopped, cremating\.|child process '[^']*' exited normally, cremating\./);
    expect(await waitGone([leader, ...family])).toEqual([]);
    // an operator's stop is no crash: cremated, and the other server untouched
    const st = await status(sock);
    expect(st.servers.map((s) => s.state)).toEqual(["cremated", "alive"]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("orphaned grandchildren are reparented to lazarus and reaped: no zombie under it", async () => {
    // two servers end at once (cremated), each leaving a grandchild that lives on a little
    const { r } = await supervised(["{", S, "--orphan=0.3", "--life=0.1", "}", "{", S, "--orphan=0.4", "--life=0.1", "}", "{", S, "}"]);
    const orphans = (await r.waitForCount(/^fixture: pid=\d+ orphan=/, 2)).map((l) => Number(/ orphan=(\d+)/.exec(l)?.[1]));
    for (const pid of orphans) await r.waitFor(`joined with unknown child process: ${pid}`);
    await eventually(() => childrenOf(r.pid).every((c) => c.state !== "Z") || null, "no zombie under the supervisor");
    expect(orphans.map(procState)).toEqual(orphans.map(() => null));
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("as PID 1 of a PID namespace: SIGTERM handled, orphans reaped, nothing left (or, where no namespace may be made, why not)", async () => {
    if (NAMESPACES !== null) {
      // Not permitted here (a container without CAP_SYS_ADMIN, a kernel without user namespaces): say so, and show it is that.
      console.log(`skipped: a PID namespace cannot be made here: ${NAMESPACES}`);
      expect(NAMESPACES).toMatch(/not permitted|permission denied|no such file|not found|invalid argument|cannot/i);
      return;
    }
    const r = start(["--control=none", "--interval=0.05", "{", S, "--orphan=0.2", "--life=0.1", "--exit=1", "}", "{", S, "--fork=1", "}"], {
      argv0: ["unshare", "--fork", "--pid", "--mount-proc", process.execPath, "run", MAIN],
    });
    // inside the namespace lazarus is pid 1 and its children count from 2
    await r.waitForCount(/^fixture: pid=\d+ orphan=/, 2);
    // an orphan of the namespace was reaped by lazarus, its pid 1
    await r.waitFor(/joined with unknown child process: \d+/);
    // the supervisor as the outside world sees it: unshare's only child
    const outer = await eventually(() => childrenOf(r.pid)[0]?.pid, "the namespace's pid 1");
    expect(readFileSync(`/proc/${outer}/status`, "utf8")).toMatch(/NSpid:\s+\d+\s+1\n/);
    process.kill(outer, "SIGTERM");
    const end = await r.ended();
    expect(end.code).toBe(0);
    expect(r.own).toContain("terminate signal received.");
    expect(r.own[r.own.length - 1]).toBe("exiting with status 0.");
  });

  test("two PID 1s sharing a directory (two containers, one /tmp): the second refuses to take the first's notify socket, whose servers' READY=1 would go to it", async () => {
    if (NAMESPACES !== null) {
      console.log(`skipped: a PID namespace cannot be made here: ${NAMESPACES}`);
      expect(NAMESPACES).toMatch(/not permitted|permission denied|no such file|not found|invalid argument|cannot/i);
      return;
    }
    const dir = tempDir();
    const config = join(dir, "lazarus.toml");
    writeFileSync(config, `[servers.svc]\ncmd = ["${join(ROOT, "fixtures/ready-server.py")}", "--notify"]\nready = { notify = true }\nready_timeout = 20\n`);
    // Both are pid 1 and both use the default place, TMPDIR/lazarus-UID/1.sock and 1.notify.
    const env = { XDG_RUNTIME_DIR: "", TMPDIR: dir };
    const argv0 = ["unshare", "--fork", "--pid", "--mount-proc", process.execPath, "run", MAIN];
    const first = start([`--config=${config}`], { env, argv0 });
    await first.waitFor("'svc' is ready.");
    // The second cannot have the control socket (in use); told --control=none, it must not take the notify socket either.
    const place = join(dir, `lazarus-${process.getuid?.() ?? 0}`);
    const second = start(["--control=none", `--config=${config}`], { env, argv0 });
    expect((await second.ended()).code).toBe(2);
    expect(second.own).toEqual([`notify socket ${join(place, "1.notify")} is in use by a running process (a lazarus with the same pid in another PID namespace, a container sharing this directory?): give each its own directory (XDG_RUNTIME_DIR or TMPDIR)`]);
    // The first still hears its servers: a restarted one comes up ready.
    const res = await ctl(`--control=${join(place, "1.sock")}`, "restart", "svc", "--wait");
    expect(res).toMatchObject({ code: 0, err: "" });
    const outer = await eventually(() => childrenOf(first.pid)[0]?.pid, "the first namespace's pid 1");
    process.kill(outer, "SIGTERM");
    expect((await first.ended()).code).toBe(0);
  });
});

describe("the control socket", () => {
  test("ctl status --json agrees with the SIGQUIT dump", async () => {
    const { r, sock } = await supervised(["--interval=5", "{", S, "--x", "a b", "}", "{", S, "--life=0.1", "--exit=2", "}", "{", "/nonexistent/z", "}"]);
    await r.waitFor("burying because it died too fast.");
    const mark = r.lines.length;
    r.signal("SIGQUIT");
    await r.waitFor(/info: server 2:/, { from: mark });
    const dump = r.lines.slice(mark).filter((l) => /^lazarus: info: server \d+:/.test(l));
    const res = await ctl(`--control=${sock}`, "--json", "status");
    expect(res.code).toBe(0);
    const st = JSON.parse(res.out).status as Awaited<ReturnType<typeof status>>;
    expect(st.pid).toBe(r.pid);
    const fromStatus = st.servers.map((s) =>
      `lazarus: info: server ${s.index}: name ${s.name}, pid ${s.pid ?? "-"}, ${s.words}, since ${s.since === null ? "-" : `${(s.since / 1000).toFixed(3)} s`}, restarts ${s.restarts}, command: ${s.command.map((w) => (w.includes(" ") ? `'${w}'` : w)).join(" ")}`);
    expect(fromStatus).toEqual(dump);
    // and the human table shows the same servers
    const table = await ctl(`--control=${sock}`, "status");
    expect(table.out.split("\n")[1]).toMatch(/^#\s+NAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+LAST EXIT\s+COMMAND$/);
    expect(table.out).toMatch(/\n1\s+server-2\s+buried\s+-\s+-\s+0\s+code 2\s+/);
  });

  test("every command drives its transition", async () => {
    // The interval is long: server a's second process, killed by a signal at the end, must die too fast however
    // slowly the steps in between go (a dozen ctl runs: seconds on a loaded machine).
    const { r, sock } = await supervised(["--interval=60", "--stop-timeout=0.3", "{", S, "--initial-spawn", "tag=a", "}", "{", S, "--life=0.1", "--exit=1", "tag=b", "}", "{", S, "--ignore-term", "tag=c", "}"]);
    await r.waitFor("burying because it died too fast.");
    // c's own start line: its shell has set `trap '' TERM` by then (a stop before that kills it at once).
    await r.waitFor(/^fixture: pid=\d+ name=\S+ argv: --ignore-term tag=c$/);
    const C = (...a: string[]) => ctl(`--control=${sock}`, ...a);
    const pidA = (await status(sock)).servers[0]!.pid!;

    // restart: a new process with --respawn; not a crash
    expect((await C("restart", "server")).out).toBe("restarting server\n");
    const again = await r.waitFor(/--respawn tag=a/);
    expect(Number(/pid=(\d+)/.exec(again)?.[1])).not.toBe(pidA);
    // stop a stubborn one: SIGKILL after the stop timeout, cremated (never buried: an operator's stop is no crash)
    expect((await C("stop", "2")).out).toBe("stopping server-3\n");
    await r.waitFor("'" + S + "' did not stop within 0.300 s, killing it.");
    await until(async () => (await status(sock)).servers[2]!.state === "cremated" || null, "server-3 cremated");
    // start a cremated one; revive one buried
    expect((await C("start", "server-3")).out).toBe("started server-3\n");
    expect((await C("revive", "1")).out).toBe("revived server-2\n");
    await r.waitForCount(/tag=c/, 2);
    await r.waitForCount(/tag=b/, 2);
    // refusals: one line, non-zero
    expect(await C("revive", "server")).toEqual({ code: 1, out: "", err: "lazarus: ctl: refused: server is not buried (up and running)\n" });
    expect(await C("start", "0")).toEqual({ code: 1, out: "", err: "lazarus: ctl: refused: server is already running\n" });
    expect(await C("stop", "9")).toEqual({ code: 1, out: "", err: "lazarus: ctl: refused: no such server: 9\n" });
    expect(await C("stop", "nosuch")).toEqual({ code: 1, out: "", err: "lazarus: ctl: refused: no server named \"nosuch\"\n" });
    expect((await C("signal", "0", "BOGUS")).err).toBe("lazarus: ctl: refused: bad signal \"BOGUS\"\n");
    // signal: the fixture dies of it, and that is classified like any end
    const pidA2 = (await status(sock)).servers[0]!.pid!;
    expect((await C("signal", "server", "USR1")).out).toBe("sent SIGUSR1 to server\n");
    await r.waitFor("died by signal 10 (SIGUSR1).");
    expect(procState(pidA2)).toBeNull();
    // revive all (once it is buried), then shutdown
    await until(async () => (await status(sock)).servers[0]!.state === "buried" || null, "server buried");
    expect((await C("revive")).out).toMatch(/^revived \d servers?\n$/);
    expect((await C("shutdown")).out).toBe("shutting down\n");
    expect((await r.ended()).code).toBe(0);
    expect(await waitGone(r.fixturePids())).toEqual([]);
    // gone: the client says so, non-zero
    const gone = await C("status");
    expect(gone.code).toBe(1);
    expect(gone.err).toBe(`lazarus: ctl: no supervisor at ${sock}: no such socket\n`);
  });

  test("the default place: a 0700 directory under XDG_RUNTIME_DIR, a 0600 socket named by the pid, removed on exit", async () => {
    const runtime = tempDir();
    const r = start(["{", S, "}"], { env: { XDG_RUNTIME_DIR: runtime } });
    await r.waitFor("started, supervising");
    const dir = join(runtime, "lazarus");
    const sock = join(dir, `${r.pid}.sock`);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    expect(statSync(sock).isSocket()).toBe(true);
    const p = Bun.spawn([process.execPath, "run", MAIN, "ctl", "status"], { cwd: ROOT, env: { ...process.env, XDG_RUNTIME_DIR: runtime }, stdio: ["ignore", "pipe", "pipe"] });
    expect(await p.exited).toBe(0);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    expect(() => statSync(sock)).toThrow();
  });

  test("a default directory that is not private is refused, nothing started", async () => {
    const runtime = tempDir();
    const dir = join(runtime, "lazarus");
    Bun.spawnSync(["mkdir", "-m", "755", dir]);
    const r = start(["{", S, "}"], { env: { XDG_RUNTIME_DIR: runtime } });
    expect((await r.ended()).code).toBe(2);
    expect(r.lines).toEqual([`lazarus: control socket: ${dir} is not private (mode 755; it must be 700) (choose another place with --control=PATH, or none with --control=none)`]);
  });

  test("a default directory that cannot be made (a container's read-only /tmp) is one line with the way out; --control=none then starts", async () => {
    const notDir = join(tempDir(), "file");
    writeFileSync(notDir, "");
    const env = { XDG_RUNTIME_DIR: "", TMPDIR: notDir };
    const r = start(["{", S, "}"], { env });
    expect((await r.ended()).code).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toStartWith(`lazarus: control socket: cannot create ${join(notDir, `lazarus-${process.getuid?.() ?? 0}`)}: `);
    expect(r.lines[0]).toEndWith(" (choose another place with --control=PATH, or none with --control=none)");
    const none = start(["--control=none", "{", S, "}"], { env });
    await none.waitFor("started, supervising");
    none.signal("SIGTERM");
    expect((await none.ended()).code).toBe(0);
  });

  test("a stale socket from a dead supervisor is replaced; a live one is never stolen", async () => {
    const sock = join(tempDir(), "ctl.sock");
    const a = start([`--control=${sock}`, "{", S, "}"]);
    const pidA = await a.startedPid();
    // a second supervisor on the same socket: refused, nothing started, the first untouched
    const b = start([`--control=${sock}`, "{", S, "tag=b", "}"]);
    expect((await b.ended()).code).toBe(2);
    expect(b.lines).toEqual([`lazarus: control socket ${sock} is in use by a running lazarus; choose another with --control=PATH, or --control=none`]);
    expect((await status(sock)).servers[0]!.pid).toBe(pidA);
    // the first dies without cleaning up: its socket file stays, stale
    a.signal("SIGKILL");
    await a.ended();
    process.kill(-pidA, "SIGKILL");
    expect(statSync(sock).isSocket()).toBe(true);
    const c = start([`--control=${sock}`, "{", S, "tag=c", "}"]);
    const pidC = await c.startedPid();
    expect((await status(sock)).servers[0]!.pid).toBe(pidC);
    c.signal("SIGTERM");
    expect((await c.ended()).code).toBe(0);
  });

  test("200 concurrent clients hammering status while children crash do not disturb supervision", async () => {
    const { r, sock } = await supervised(["--log-format=json", "--interval=0", "{", S, "--life=0.02", "--exit=1", "}", "{", S, "--life=0.03", "--signal=SEGV", "}", "{", S, "}"]);
    const first = await status(sock);
    const steady = first.servers[2]!.pid;
    // Each client asks at least 5 times, and they all go on until the crashing servers were respawned 5 more times.
    let respawnedEnough = false;
    const results = await Promise.all(Array.from({ length: 200 }, async () => {
      const replies = [];
      while (replies.length < 5 || !respawnedEnough) {
        const reply = await request(sock, { cmd: "status" }, 20_000);
        replies.push(reply);
        if (reply.ok && ((reply.reply.status as typeof first).servers[0]!.restarts >= first.servers[0]!.restarts + 5)) respawnedEnough = true;
      }
      return replies;
    }));
    const all = results.flat();
    expect(all.length).toBeGreaterThanOrEqual(1000);
    expect(all.filter((x) => !(x.ok && x.reply.ok === true))).toEqual([]);
    const st = await status(sock);
    expect(st.servers[2]!.pid).toBe(steady);
    expect(st.servers[0]!.restarts).toBeGreaterThanOrEqual(first.servers[0]!.restarts + 5);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    // every spawned process was accounted for exactly once
    const inputs = r.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).flatMap((o) => (o.input ? [o.input] : []));
    // (by life, not by pid: a crash loop on a busy machine may be given a pid again)
    for (const life of lives(inputs)) expect({ pid: life.pid, exits: life.exits.length }).toEqual({ pid: life.pid, exits: 1 });
  });
});

describe("a reply and the log", () => {
  test("a client that has its answer finds the lines of what its command caused in lazarus's log (stderr to a file)", async () => {
    const dir = tempDir();
    const sock = join(dir, "ctl.sock");
    const log = join(dir, "stderr.log");
    const fd = openSync(log, "w");
    const mark = `reply-order-${process.pid}`;
    // stderr to a file, as a service manager's log would have it: read at the instant the reply comes.
    const proc = Bun.spawn({
      cmd: [BUN, "run", MAIN, `--control=${sock}`, "--interval=60", "{", S, "tag=a", "}", "{", S, "tag=b", "}"],
      stdio: ["ignore", "ignore", fd],
      env: { ...process.env, [RUN_MARK]: mark } as Record<string, string>,
    });
    closeSync(fd);
    try {
      await eventually(() => readFileSync(log, "utf8").includes("started, supervising") || null, "the supervisor's start");
      const count = (needle: RegExp) => readFileSync(log, "utf8").split("\n").filter((l) => needle.test(l)).length;
      for (let k = 1; k <= 15; k++) {
        const stop = await request(sock, { cmd: "stop", server: 0 });
        expect(stop.ok && stop.reply.ok).toBe(true);
        expect({ k, stops: count(/^lazarus: stop of '[^']*' requested\.$/) }).toEqual({ k, stops: k });
        await until(async () => (await status(sock)).servers[0]!.state === "cremated" || null, "server 0 stopped");
        const started = await request(sock, { cmd: "start", server: 0 });
        expect(started.ok && started.reply.ok).toBe(true);
        // Its spawn is in the step the reply answers: its 'started with pid' line is written before the answer.
        expect({ k, starts: count(/^lazarus: '[^']*' started with pid \d+\.$/) }).toEqual({ k, starts: k + 2 });
      }
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(marked(mark)).toEqual([]);
    }
  });
});

describe("hostile clients", () => {
  /**
   * A raw connection: send bytes, collect what comes back until `until` holds of it, or it closes;
   * `ms` only bounds a test that went wrong (nothing waits for it to pass). A connection that
   * fails is said (`failed`: its code), at once, and its error is not raised again later.
   */
  function raw(sock: string, payload: string | Uint8Array, until: (text: string) => boolean = () => false, ms = 20_000): Promise<{ text: string; closed: boolean; failed?: string }> {
    return new Promise((resolve) => {
      let text = "";
      let closed = false;
      let settled = false;
      const done = (failed?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        void conn.then((s) => s.end(), () => {});
        resolve({ text, closed, ...(failed === undefined ? {} : { failed }) });
      };
      const t = setTimeout(done, ms);
      const conn = Bun.connect({ unix: sock, socket: {
        open(s) { s.write(payload); },
        data(_s, d) { text += d.toString(); if (until(text)) done(); },
        close() { closed = true; done(); },
        error() {},
      } });
      conn.catch((e: { code?: string }) => done(e.code ?? String(e)));
    });
  }

  /**
   * What a client that is not Bun's reads on a new connection, to its end (python3: a blocking
   * connect and reads). A Bun client cannot be used to see what the supervisor says at once and
   * then closes: Bun 1.4.5 reports a connection whose peer wrote and closed before the client's
   * first event-loop turn on it as a connect error (ECONNRESET), and drops what was written.
   */
  async function readAll(sock: string): Promise<{ code: number | null; out: string; err: string }> {
    const script = "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nb = b''\nwhile True:\n    d = s.recv(65536)\n    if not d: break\n    b += d\nsys.stdout.write(b.decode())\n";
    const p = Bun.spawn(["python3", "-c", script, sock], { stdio: ["ignore", "pipe", "pipe"] });
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { code: await p.exited, out, err };
  }

  /** MAX_CLIENTS connections, each of which has asked once and got its answer: then the supervisor surely counts them all. */
  function holdEveryPlace(sock: string): Promise<Awaited<ReturnType<typeof Bun.connect>>[]> {
    return Promise.all(Array.from({ length: MAX_CLIENTS }, (_, k) => new Promise<Awaited<ReturnType<typeof Bun.connect>>>((resolve, reject) => {
      const conn = Bun.connect({ unix: sock, socket: { open(s) { s.write("{\"cmd\":\"status\"}\n"); }, data() { void conn.then(resolve); }, error() {} } });
      conn.catch((e: { code?: string }) => reject(new Error(`holder ${k} could not connect: ${e.code ?? String(e)}`)));
    })));
  }

  const linesOver = (n: number) => (text: string) => text.split("\n").length > n;

  test("malformed JSON, unknown commands, bad fields: an error reply each, and the connection goes on", async () => {
    const { r, sock } = await supervised(["{", S, "}"]);
    const lines = ["not json", "[1,2]", "{\"cmd\":\"launch-missiles\"}", "{\"nocmd\":1}", "{\"cmd\":\"stop\"}", "{\"cmd\":\"stop\",\"server\":99}", "{\"cmd\":\"stop\",\"server\":1.5}", "{\"cmd\":\"signal\",\"server\":0,\"signal\":\"NOPE\"}", "{\"cmd\":\"status\",\"id\":\"x1\"}"];
    const res = await raw(sock, `${lines.join("\n")}\n`, (text) => text.split("\n").length > lines.length);
    const replies = res.text.trim().split("\n").map((l) => JSON.parse(l));
    expect(replies.map((x) => x.ok)).toEqual([false, false, false, false, false, false, false, false, true]);
    expect(replies.map((x) => x.error ?? null)).toEqual([
      "malformed JSON", "a request is a JSON object", "unknown command \"launch-missiles\" (one of about, status, revive, stop, start, restart, signal, shutdown, rotate, reopen, reload, scale)",
      "missing \"cmd\"", "missing \"server\" (an index or a name)", "no such server: 99", "bad server index 1.5", "bad signal \"NOPE\"", null,
    ]);
    expect(replies[8].id).toBe("x1");
    expect((await status(sock)).servers[0]!.state).toBe("alive");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("an oversized line is refused and the client disconnected; half-open and flooding clients do not hurt others", async () => {
    const { r, sock } = await supervised(["{", S, "}"]);
    const pid = (await status(sock)).servers[0]!.pid;
    const big = await raw(sock, "x".repeat(MAX_REQUEST_LINE + 10));
    expect(big.closed).toBe(true);
    expect(JSON.parse(big.text.trim())).toEqual({ ok: false, error: `request line too long (over ${MAX_REQUEST_LINE} bytes)` });
    // half-open: a partial line, never finished, held open while others are served
    let halfText = "";
    const half = await new Promise<Awaited<ReturnType<typeof Bun.connect>>>((resolve, reject) => {
      Bun.connect({ unix: sock, socket: { open(s) { s.write("{\"cmd\":\"sta"); resolve(s); }, data(_s, d) { halfText += d.toString(); }, error() {} } })
        .catch((e: { code?: string }) => reject(new Error(`the half-open client could not connect: ${e.code ?? String(e)}`)));
    });
    // flooding: thousands of requests (it is closed by the server past the cap, or served: either way, others are served meanwhile)
    const flood = raw(sock, "{\"cmd\":\"status\"}\n".repeat(20_000), linesOver(20_000));
    for (let k = 0; k < 20; k++) expect((await request(sock, { cmd: "status" })).ok).toBe(true);
    expect(halfText).toBe("");
    half.end();
    await flood;
    expect((await status(sock)).servers[0]!.pid).toBe(pid);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("more clients than allowed at once: the extra ones are told so and disconnected", async () => {
    const { r, sock } = await supervised(["{", S, "}"]);
    const holders = await holdEveryPlace(sock);
    // The extra one is told at once, then its connection ends (read by a client that cannot lose it: see readAll).
    const extra = await readAll(sock);
    expect({ code: extra.code, err: extra.err }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(extra.out.trim())).toEqual({ ok: false, error: `too many clients (${MAX_CLIENTS})` });
    for (const h of holders) h.end();
    await until(async () => (await request(sock, { cmd: "status" })).ok || null, "served again once they left");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("a Bun client whose event loop is late for a connection the supervisor ends at once: a connect error, said at once and once (not 20 s later in another test)", async () => {
    const { r, sock } = await supervised(["{", S, "}"]);
    const holders = await holdEveryPlace(sock);
    // The test's own event loop is held until the supervisor has surely written its line and closed
    // (a python client connecting after this one is told, so the supervisor has dealt with this one).
    const late = raw(sock, "");
    const after = Bun.spawnSync(["python3", "-c", "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nwhile s.recv(65536): pass\n", sock]);
    expect(after.exitCode).toBe(0);
    const res = await late;
    // What Bun 1.4.5 does (the line is lost): if it ever delivers it, this test says so and can be changed.
    expect(res).toEqual({ text: "", closed: false, failed: "ECONNRESET" });
    for (const h of holders) h.end();
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});

describe("the JSON event log and replay", () => {
  test("a transition record carries both clocks, server index and name, pid, old and new state, exit code or signal", async () => {
    const r = start(["--control=none", "--log-format=json", "--interval=5", "{", S, "--life=0.1", "--signal=SEGV", "}"]);
    const line = await r.waitFor(/"event":"buried"/);
    const o = JSON.parse(line);
    expect(Object.keys(o).sort()).toEqual(["code", "event", "from", "mono", "name", "pid", "server", "signal", "text", "time", "to"].filter((k) => k !== "code").sort());
    expect(o).toMatchObject({ event: "buried", server: 0, name: "server", from: "alive", to: "buried", signal: "SIGSEGV" });
    expect(new Date(o.time).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(typeof o.mono).toBe("number");
    r.signal("SIGTERM");
    await r.ended();
  });

  test("replay agrees with logs of fuzzed runs, and flags a tampered one", async () => {
    const dir = tempDir();
    const logs: string[][] = [];
    await fc.assert(fc.asyncProperty(processScenarioArb(), async (sc) => {
      logs.push(await runProcessScenario(sc));
    }), { ...budget(2), seed: 4242 });
    for (const [k, lines] of logs.entries()) {
      const file = join(dir, `run${k}.log`);
      writeFileSync(file, `${lines.join("\n")}\n`);
      const ok = await replayCli(file);
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^lazarus: replay: \d+ inputs in 1 image: the core agrees with every recorded step\.\n$/);
      // tamper: a recorded decision changed
      const idx = lines.findIndex((l) => l.includes("\"event\":\"spawned\""));
      const tampered = lines.slice();
      tampered[idx] = tampered[idx]!.replace("\"to\":\"alive\"", "\"to\":\"buried\"");
      writeFileSync(file, `${tampered.join("\n")}\n`);
      const bad = await replayCli(file);
      expect(bad.code).toBe(1);
      expect(bad.out).toContain("the core decides");
      expect(bad.out).toMatch(/1 steps differ, 0 unusable lines\.\n$/);
    }
  }, 60_000);

  test("replay of a missing file or a text log: a clear line and a non-zero status", async () => {
    const missing = await replayCli("/nonexistent/log");
    expect(missing.code).toBe(2);
    expect(missing.out).toBe("lazarus: replay: /nonexistent/log: cannot read it: no such file (ENOENT).\n");
    const file = join(tempDir(), "text.log");
    writeFileSync(file, "lazarus: lazarus 0.1.0 started, supervising 1 server.\n");
    const text = await replayCli(file);
    expect(text.code).toBe(1);
    expect(text.out).toContain("no recorded inputs found (was the log written with --log-format=json?)");
  });
});

async function replayCli(file: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn([process.execPath, "run", MAIN, "replay", file], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, out: out + err };
}
