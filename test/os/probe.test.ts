// Probes against real things: TCP listeners, HTTP servers (Bun.serve, and raw
// sockets that answer by hand or never), and commands run by a real BunPort in
// a process of its own (test/helpers/probe-port.ts), checked through /proc.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProbeDone, ProbeOutcome, ProbeRequest } from "../../src/os/port.ts";
import { stat } from "../../src/os/proc.ts";
import { probeHttp } from "../../src/os/probe-http.ts";
import { probeTcp } from "../../src/os/probe-tcp.ts";
import { durationText } from "../../src/os/probe.ts";
import type { Line, Plan } from "../helpers/probe-port.ts";

const HELPER = join(import.meta.dir, "../helpers/probe-port.ts");
const dir = mkdtempSync(join(tmpdir(), "lazarus-probe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a probe function; its outcome, and whether it came inside the call. */
async function run(start: (done: ProbeDone) => void): Promise<ProbeOutcome & { synchronous: boolean; calls: () => number }> {
  let inCall = true;
  let calls = 0;
  const outcome = await new Promise<ProbeOutcome & { synchronous: boolean }>((resolve) => {
    start((o) => {
      calls++;
      resolve({ ...o, synchronous: inCall });
    });
    inCall = false;
  });
  return { ...outcome, calls: () => calls };
}

/** A free TCP port on 127.0.0.1 (listened on, then closed). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** A raw TCP server: `answer` says what to write to each connection (null: nothing, ever); connection ends are awaitable. */
function rawServer(answer: string | null) {
  let opened = 0;
  let closed = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const wake = () => { for (const w of waiters.splice(0)) if (closed >= w.n) w.resolve(); else waiters.push(w); };
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() { opened++; },
      data(socket) { if (answer !== null) socket.write(answer); },
      close() { closed++; wake(); },
      error() {},
    },
  });
  return {
    port: server.port,
    opened: () => opened,
    /** Resolves once `n` connections have been closed (by either side). */
    closedCount: (n: number) => new Promise<void>((resolve) => { waiters.push({ n, resolve }); wake(); }),
    stop: () => server.stop(true),
  };
}

/**
 * A listener that never accepts, its queue full: the kernel drops further SYNs, so a connect to
 * it hangs (retried by the kernel) as one to a firewalled port does. A Python process of its own.
 */
async function blackhole(): Promise<{ port: number; stop: () => void }> {
  const script = [
    "import socket, sys, time",
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    "port = s.getsockname()[1]",
    "fill = []",
    "for _ in range(4):",
    "    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', port)); fill.append(c)",
    "time.sleep(0.2)",
    "print(port, flush=True)",
    "sys.stdin.read()",
  ].join("\n");
  const proc = Bun.spawn({ cmd: ["python3", "-c", script], stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the blackhole did not start");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { port: Number(text.trim()), stop: () => { proc.stdin.end(); proc.kill(); } };
}

/** The local ports of this machine's connections still trying to reach 127.0.0.1:port (SYN_SENT, /proc/net/tcp). */
function synSentTo(port: number): string[] {
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1).flatMap((line) => {
    const f = line.trim().split(/\s+/);
    return f[2] === remote && f[3] === "02" ? [f[1] as string] : [];
  });
}

describe("tcp probes", () => {
  test("a closed port is refused; once a listener opens there, the probe succeeds and closes its connection", async () => {
    const port = freePort();
    const before = await run((done) => probeTcp("127.0.0.1", port, 10_000, done));
    expect(before).toMatchObject({ ok: false, reason: "connection refused", synchronous: false });
    // The listener opens only now, after the failure was seen.
    let closed!: () => void;
    const connectionClosed = new Promise<void>((r) => { closed = r; });
    let opened = 0;
    const listener = Bun.listen({ hostname: "127.0.0.1", port, socket: { open() { opened++; }, data() {}, close() { closed(); }, error() {} } });
    try {
      const after = await run((done) => probeTcp("127.0.0.1", port, 10_000, done));
      expect(after).toMatchObject({ ok: true, synchronous: false });
      await connectionClosed; // (closed by the probe: nothing else would close it)
      expect(opened).toBe(1);
      expect(after.calls()).toBe(1);
    } finally {
      listener.stop(true);
    }
  });

  test("a port that drops SYNs: timed out, and the connection attempt is given up then (not left to the kernel's retries, an fd each)", async () => {
    const hole = await blackhole();
    try {
      const before = synSentTo(hole.port);
      const r = await run((done) => probeTcp("127.0.0.1", hole.port, 200, done));
      expect(r).toMatchObject({ ok: false, reason: "timed out after 200 ms", synchronous: false });
      // Ours would still be trying (SYN_SENT, for about two minutes with tcp_syn_retries = 6).
      expect(synSentTo(hole.port).filter((x) => !before.includes(x))).toEqual([]);
    } finally {
      hole.stop();
    }
  });

  test("localhost is both loopbacks: a listener on 127.0.0.1 alone, or on ::1 alone, is reached", async () => {
    for (const hostname of ["127.0.0.1", "::1"]) {
      const listener = Bun.listen({ hostname, port: 0, socket: { data() {} } });
      try {
        expect({ hostname, ...(await run((done) => probeTcp("localhost", listener.port, 10_000, done))) }).toMatchObject({ hostname, ok: true });
      } finally {
        listener.stop(true);
      }
    }
  });

  test("IPv6 loopback and a bad port", async () => {
    const port = freePort();
    expect(await run((done) => probeTcp("::1", port, 10_000, done))).toMatchObject({ ok: false, reason: "connection refused" });
    expect(await run((done) => probeTcp("127.0.0.1", 70000, 10_000, done))).toMatchObject({ ok: false, reason: "bad port 70000", synchronous: false });
  });
});

describe("http probes", () => {
  let hits: Record<string, number> = {};
  let bodyCancelled!: () => void;
  const cancelled = new Promise<void>((r) => { bodyCancelled = r; });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      hits[path] = (hits[path] ?? 0) + 1;
      switch (path) {
        case "/ok": return new Response("fine");
        case "/fail": return new Response("broken", { status: 500 });
        case "/moved": return new Response(null, { status: 302, headers: { location: "/ok" } });
        case "/endless":
          // A body with no end: a probe that read it would never finish.
          return new Response(new ReadableStream({
            pull(c) { c.enqueue(new Uint8Array(64 * 1024)); },
            cancel() { bodyCancelled(); },
          }));
        default: return new Response("no", { status: 404 });
      }
    },
  });
  afterAll(() => server.stop(true));
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  test("200 is ok, 500 is not, a 302 is not followed", async () => {
    hits = {};
    expect(await run((done) => probeHttp(url("/ok"), 10_000, done))).toMatchObject({ ok: true, reason: "HTTP 200", synchronous: false });
    expect(await run((done) => probeHttp(url("/fail"), 10_000, done))).toMatchObject({ ok: false, reason: "HTTP 500", synchronous: false });
    expect(await run((done) => probeHttp(url("/moved"), 10_000, done))).toMatchObject({ ok: false, reason: "HTTP 302" });
    expect(hits).toEqual({ "/ok": 1, "/fail": 1, "/moved": 1 });
  });

  test("the body is never read to its end: an endless one is cancelled", async () => {
    expect(await run((done) => probeHttp(url("/endless"), 60_000, done))).toMatchObject({ ok: true, reason: "HTTP 200" });
    await cancelled;
  });

  test("every probe has a connection of its own, closed after the answer (no keep-alive)", async () => {
    const raw = rawServer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
    try {
      expect(await run((done) => probeHttp(`http://127.0.0.1:${raw.port}/`, 10_000, done))).toMatchObject({ ok: true, reason: "HTTP 200" });
      await raw.closedCount(1);
      expect(await run((done) => probeHttp(`http://127.0.0.1:${raw.port}/`, 10_000, done))).toMatchObject({ ok: true, reason: "HTTP 200" });
      await raw.closedCount(2);
      expect(raw.opened()).toBe(2);
    } finally {
      raw.stop();
    }
  });

  test("a server that never answers: timed out, and the hanging connection is closed", async () => {
    const raw = rawServer(null);
    try {
      const r = await run((done) => probeHttp(`http://127.0.0.1:${raw.port}/health`, 300, done));
      expect(r).toMatchObject({ ok: false, reason: "timed out after 300 ms", synchronous: false });
      await raw.closedCount(1);
      expect(raw.opened()).toBe(1);
      expect(r.calls()).toBe(1);
    } finally {
      raw.stop();
    }
  });

  test("refused, and URLs that are not http", async () => {
    expect(await run((done) => probeHttp(`http://127.0.0.1:${freePort()}/`, 10_000, done))).toMatchObject({ ok: false, reason: "connection refused" });
    expect(await run((done) => probeHttp("ftp://127.0.0.1/", 10_000, done))).toMatchObject({ ok: false, reason: 'not an http or https URL: "ftp://127.0.0.1/"', synchronous: false });
    expect(await run((done) => probeHttp("nope", 10_000, done))).toMatchObject({ ok: false, reason: 'not a URL: "nope"', synchronous: false });
  });
});

/** Run the helper with this plan; its lines. */
async function helper(plan: Plan): Promise<Line[]> {
  const proc = Bun.spawn({ cmd: [process.execPath, HELPER, JSON.stringify(plan)], stdio: ["ignore", "pipe", "pipe"] });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`the helper failed (${code}): ${err}`);
  return out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);
}

/** Not running: gone, or a zombie about to be reaped by whoever has it now (not us). */
function notRunning(pid: number): boolean {
  const s = stat(pid);
  return s === null || s.state === "Z";
}

const PATH = process.env.PATH ?? "/usr/bin:/bin";
const env = { PATH };
const cmd = (argv: string[], timeoutMs = 30_000, extra: Partial<ProbeRequest> = {}): ProbeRequest => ({ probe: { kind: "cmd", argv }, timeoutMs, env, ...extra });

describe("cmd probes (a BunPort of its own)", () => {
  for (const subreaper of [true, false]) {
    test(`exit statuses, signals, missing commands, a hang killed with its whole group; no exit reported, no zombie (subreaper: ${subreaper})`, async () => {
      const d = mkdtempSync(join(dir, "cmd-"));
      writeFileSync(join(d, "not-a-dir"), "");
      const probes: ProbeRequest[] = [
        cmd(["sh", "-c", "exit 0"]),
        cmd(["sh", "-c", "exit 3"]),
        // Hangs, with a grandchild in its group: both SIGKILLed at the timeout.
        cmd(["sh", "-c", `echo $$ > ${d}/leader; sleep 1000 & echo $! > ${d}/grandchild; wait`], 2000),
        cmd(["./check"], 30_000, { cwd: d }),
        cmd(["no-such-command-for-lazarus"]),
        // Succeeds, leaving a grandchild behind: it is not left running.
        cmd(["sh", "-c", `sleep 1000 & echo $! > ${d}/left; exit 0`]),
        cmd(["sh", "-c", "kill -TERM $$"]),
        // Its own environment and working directory.
        cmd(["sh", "-c", `test "$PROBE_VAR" = yes && test "$(pwd)" = "${d}"`], 30_000, { env: { PATH, PROBE_VAR: "yes" }, cwd: d }),
        // Much output, to /dev/null.
        cmd(["sh", "-c", "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2; exit 0"]),
        cmd(["true"], 30_000, { cwd: join(d, "not-a-dir") }),
      ];
      const lines = await helper({ subreaper, probes, then: "settle" });
      const outcomes = lines.flatMap((l) => (l.kind === "outcome" ? [l] : []));
      expect(outcomes.map((o) => o.synchronous)).toEqual(probes.map(() => false));
      // Exactly once each.
      expect(outcomes.map((o) => o.index).sort((a, b) => a - b)).toEqual(probes.map((_, i) => i));
      const by = (i: number) => outcomes.find((o) => o.index === i)?.outcome;
      expect(by(0)).toEqual({ ok: true, reason: "exit status 0" });
      expect(by(1)).toEqual({ ok: false, reason: "exit status 3" });
      expect(by(2)).toEqual({ ok: false, reason: "timed out after 2 s" });
      expect(by(3)).toEqual({ ok: false, reason: "no such command: ./check" });
      expect(by(4)).toEqual({ ok: false, reason: "no such command: no-such-command-for-lazarus" });
      expect(by(5)).toEqual({ ok: true, reason: "exit status 0" });
      expect(by(6)).toEqual({ ok: false, reason: "killed by SIGTERM" });
      expect(by(7)).toEqual({ ok: true, reason: "exit status 0" });
      expect(by(8)).toEqual({ ok: true, reason: "exit status 0" });
      expect(by(9)).toEqual({ ok: false, reason: `working directory ${join(d, "not-a-dir")} is not a directory` });
      const report = lines.find((l) => l.kind === "report");
      if (report?.kind !== "report") throw new Error(`no report: ${JSON.stringify(lines)}`);
      // The exit listener told the server's end, and nothing of the probes'.
      expect(report.exits.map((x) => x.pid)).toEqual([report.server]);
      // Nothing of ours left, running or unreaped.
      expect(report.left).toEqual([]);
      const leader = Number(readFileSync(join(d, "leader"), "utf8"));
      const grandchild = Number(readFileSync(join(d, "grandchild"), "utf8"));
      const left = Number(readFileSync(join(d, "left"), "utf8"));
      for (const pid of [leader, grandchild, left]) expect({ pid, notRunning: notRunning(pid) }).toEqual({ pid, notRunning: true });
    });
  }

  // (Not a subreaper: BunPort.leaveNoChild, which finishes off orphans, does nothing then.)
  test("at exit, a probe still running is killed and reaped, and no outcome is told after", async () => {
    const lines = await helper({ subreaper: false, probes: [cmd(["sleep", "1000"], 600_000), cmd(["sh", "-c", "sleep 1000; :"], 600_000)], then: "exit" });
    const started = lines.find((l) => l.kind === "started");
    if (started?.kind !== "started") throw new Error(`not started: ${JSON.stringify(lines)}`);
    expect(started.pids.length).toBe(2);
    for (const pid of started.pids) expect({ pid, notRunning: notRunning(pid) }).toEqual({ pid, notRunning: true });
    expect(lines.filter((l) => l.kind === "late" || l.kind === "outcome")).toEqual([]);
  });

  test("before an exec, a probe still running is killed and reaped: the new image inherits nothing", async () => {
    const lines = await helper({ subreaper: true, probes: [cmd(["sleep", "1000"], 600_000)], then: "exec" });
    const started = lines.find((l) => l.kind === "started");
    const after = lines.find((l) => l.kind === "children");
    if (started?.kind !== "started" || after?.kind !== "children") throw new Error(`unexpected: ${JSON.stringify(lines)}`);
    expect(started.pids.length).toBe(1);
    expect(after.left).toEqual([]);
    for (const pid of started.pids) expect(notRunning(pid)).toBe(true);
  });
});

test("durations in reasons", () => {
  expect(durationText(2000)).toBe("2 s");
  expect(durationText(1500)).toBe("1.5 s");
  expect(durationText(250)).toBe("250 ms");
});
