// Issue 14 with real processes: start order behind a TCP port that opens late,
// an HTTP server that turns unhealthy and is restarted, READY=1 from a Python
// program over NOTIFY_SOCKET, readiness by a line of output, backoff timings
// read from the JSON log, and lazarus itself under a (fake) systemd.
import { describe, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openNotifySocket } from "../../src/os/notify-socket.ts";
import { eventually, perTest, ROOT, type Run, SERVER, waitGone } from "../helpers/run.ts";

const { start, tempDir } = perTest({ tmp: "lazarus-ready-" });
const READY = join(ROOT, "fixtures/ready-server.py");

/** A free TCP port on 127.0.0.1 (listened on, then closed). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

function config(dir: string, lines: string[]): void {
  writeFileSync(join(dir, "lazarus.toml"), `${lines.join("\n")}\n`);
}

/** Index of the first line that matches (for order), or -1. */
const indexOf = (r: Run, pattern: RegExp | string) =>
  r.lines.findIndex((l) => (typeof pattern === "string" ? l.includes(pattern) : pattern.test(l)));

async function stop(r: Run): Promise<void> {
  const pids = r.fixturePids();
  r.signal("SIGTERM");
  expect((await r.ended()).code).toBe(0);
  expect(await waitGone(pids)).toEqual([]);
}

describe("start order and readiness with real processes", () => {
  test("a dependent starts only once the TCP port of its dependency is open (it checks at its own start); a shutdown stops it first", async () => {
    const dir = tempDir();
    const port = freePort();
    config(dir, [
      "interval = 1",
      "[servers.db]", `cmd = ["${READY}", "--tcp=${port}", "--delay=1"]`, `ready = { tcp = ${port} }`, "ready_timeout = 20",
      "[servers.web]", `cmd = ["${READY}", "--check-port=${port}"]`, `depends_on = ["db"]`,
    ]);
    const r = start([], { cwd: dir });
    await r.waitFor("'web' waits for 'db' to be ready.");
    await r.waitFor("'db' is ready.");
    await r.waitFor(`fixture: port ${port} open`);
    expect(r.text).not.toContain(`port ${port} closed`);
    // web's own line may come before lazarus's line about its start (two processes, one pipe): wait for that too.
    await r.waitFor(/'web' started with pid/);
    expect(indexOf(r, "'db' is ready.")).toBeLessThan(indexOf(r, /'web' started with pid/));
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
    // Dependents first: web is stopped (and has ended) before db gets its stop signal.
    const webEnd = indexOf(r, /'web' .*(stopped|died|exited)/);
    const dbEnd = indexOf(r, /'db' .*(stopped|died|exited)/);
    expect(webEnd).toBeGreaterThan(-1);
    expect(dbEnd).toBeGreaterThan(webEnd);
    expect(await waitGone(r.fixturePids())).toEqual([]);
  });

  test("an HTTP server that answers 500 is unhealthy after `retries` probes, restarted with a new pid, and ready again once healthy", async () => {
    const dir = tempDir();
    const port = freePort();
    const sick = join(dir, "sick");
    const url = `http://127.0.0.1:${port}/health`;
    config(dir, [
      "interval = 1",
      "[servers.web]", `cmd = ["${READY}", "--http=${port}", "--sick-when=${sick}"]`,
      `ready = { http = "${url}" }`, "ready_timeout = 20",
      `health = { http = "${url}", interval = 0.3, timeout = 0.25, retries = 2 }`,
    ]);
    const r = start([], { cwd: dir });
    const first = await r.startedPid(0, "web");
    await r.waitFor("'web' is ready.");
    writeFileSync(sick, "");
    const line = await r.waitFor(/'web' is unhealthy \(2 failed health checks in a row, the last: HTTP 500\): restarting it\./);
    expect(line).toBeDefined();
    rmSync(sick);
    const from = r.lines.indexOf(line);
    const second = await r.startedPid(from, "web");
    expect(second).not.toBe(first);
    await r.waitFor("'web' is ready.", { from });
    expect(r.text).not.toMatch(/burying|crash/);
    await stop(r);
  });

  test("a Python program that sends READY=1 over NOTIFY_SOCKET is ready; other servers never see NOTIFY_SOCKET", async () => {
    const dir = tempDir();
    config(dir, [
      "[servers.svc]", `cmd = ["${READY}", "--notify", "--delay=0.3"]`, "ready = { notify = true }", "ready_timeout = 20",
      "[servers.plain]", `cmd = ["${SERVER}", "--print-env=NOTIFY_SOCKET"]`,
    ]);
    const r = start(["--log-format=text"], { cwd: dir, env: { NOTIFY_SOCKET: "" } });
    await r.waitFor("fixture: sent READY=1");
    await r.waitFor("'svc' is ready.");
    await r.waitFor(/env NOTIFY_SOCKET unset/);
    expect(r.text).not.toContain("no NOTIFY_SOCKET");
    await stop(r);
  });

  test("readiness by a line of output: ready once a line matches, and the line still reaches the terminal", async () => {
    const dir = tempDir();
    config(dir, [
      "[servers.web]", `cmd = ["${READY}", "--say=listening on 8080", "--delay=0.3"]`, `ready = { log = "listening on \\\\d+" }`,
      "[servers.after]", `cmd = ["${SERVER}"]`, `depends_on = ["web"]`,
    ]);
    const r = start([], { cwd: dir, readStdout: true });
    await r.waitFor("'web' is ready.");
    await r.startedPid(indexOf(r, "'web' is ready."), "after");
    await eventually(() => r.stdout.includes("listening on 8080"), "the line on the terminal");
    await stop(r);
  });
});

describe("backoff and restart with real processes", () => {
  test("backoff delays read from the JSON log: growing, capped, then buried", async () => {
    const dir = tempDir();
    config(dir, [
      "interval = 5",
      "[servers.flaky]", `cmd = ["${SERVER}", "--life=0", "--exit=1"]`, "backoff = { initial = 0.1, max = 0.3, retries = 4 }",
    ]);
    const r = start(["--log-format=json"], { cwd: dir });
    await r.waitFor(/"event":"buried"/);
    const records = r.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    const starts = records.filter((x) => x.event === "spawned" || x.event === "started").map((x) => x.mono as number);
    const backoffs = records.filter((x) => x.event === "backoff");
    expect(backoffs.map((x) => x.delay)).toEqual([0.1, 0.2, 0.3, 0.3]);
    // Each try came no sooner than its delay after the crash before it.
    const crashes = backoffs.map((x) => x.mono as number);
    expect(starts.length).toBe(5);
    crashes.forEach((at, k) => expect((starts[k + 1] as number) - at).toBeGreaterThanOrEqual((backoffs[k]?.delay as number) * 1000 - 1));
    await stop(r);
  });

  test('restart = "always" respawns a clean exit; "never" leaves a crashed server buried', async () => {
    const dir = tempDir();
    const flag = join(dir, "go");
    config(dir, [
      "interval = 0",
      "[servers.job]", `cmd = ["${SERVER}", "--life=0.2"]`, `restart = "always"`,
      "[servers.once]", `cmd = ["${SERVER}", "--crash-when=${flag}"]`, `restart = "never"`,
    ]);
    const r = start([], { cwd: dir });
    await r.waitForCount(/'job' exited normally, respawning \(restart = "always"\)\./, 2);
    writeFileSync(flag, "");
    await r.waitFor(`'once' died abnormally and is not restarted (restart = "never"), burying.`);
    expect(existsSync(flag)).toBe(true);
    await stop(r);
  });
});

describe("a live re-exec carries it", () => {
  test("a server waiting for its dependency still waits in the new image; READY=1 sent to the handed-over socket starts it; a backoff retry still comes", async () => {
    const dir = tempDir();
    const go = join(dir, "go");
    config(dir, [
      "interval = 5",
      "[servers.db]", `cmd = ["${READY}", "--notify", "--notify-when=${go}"]`, "ready = { notify = true }",
      "[servers.web]", `cmd = ["${SERVER}"]`, `depends_on = ["db"]`,
      "[servers.flaky]", `cmd = ["${SERVER}", "--life=0", "--exit=1"]`, "backoff = { initial = 1.5, max = 1.5, retries = 2 }",
    ]);
    const r = start([], { cwd: dir });
    const db = await r.startedPid(0, "db");
    await r.waitFor("'web' waits for 'db' to be ready.");
    await r.waitFor("retrying in 1.500 s (retry 1 of 2)");
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor(/re-exec complete/, { from: mark });
    await r.waitFor("retrying 'flaky'.", { from: mark });
    writeFileSync(go, "");
    await r.waitFor("'db' is ready.", { from: mark });
    await r.startedPid(mark, "web");
    // db was adopted, not restarted.
    expect(r.lines.slice(mark).some((l) => /'db' started with pid/.test(l))).toBe(false);
    expect(r.fixturePids()).toContain(db);
    // The notify socket's spawn marks came across with it (LAZARUS_NOTIFY_MARKS): the new image says nothing about them.
    expect(r.lines.slice(mark).filter((l) => l.includes("spawn mark"))).toEqual([]);
    await stop(r);
  });
});

describe("lazarus under systemd (a fake NOTIFY_SOCKET)", () => {
  test("READY=1 once its servers are ready, STATUS= with the counts, STOPPING=1 at shutdown", async () => {
    const dir = tempDir();
    const path = join(dir, "systemd.notify");
    const got: string[] = [];
    const sock = openNotifySocket(path, (m) => { got.push(m.text); });
    if (typeof sock === "string") throw new Error(sock);
    try {
      config(dir, ["[servers.db]", `cmd = ["${READY}", "--notify", "--delay=0.3"]`, "ready = { notify = true }", "[servers.web]", `cmd = ["${SERVER}"]`, `depends_on = ["db"]`]);
      const r = start([], { cwd: dir, env: { NOTIFY_SOCKET: path } });
      await eventually(() => got.some((t) => t.split("\n").includes("READY=1")), "READY=1 from lazarus");
      const ready = got.findIndex((t) => t.split("\n").includes("READY=1"));
      expect(got[ready]).toContain("STATUS=2 ready, 0 starting, 0 buried");
      // The datagram is sent during the step that starts web, its log line written at the end of it: wait for the line.
      await r.waitFor("'web' started with pid");
      r.signal("SIGTERM");
      await eventually(() => got.includes("STOPPING=1"), "STOPPING=1 from lazarus");
      expect((await r.ended()).code).toBe(0);
      expect(got.filter((t) => t.split("\n").includes("READY=1")).length).toBe(1);
    } finally {
      sock.close();
    }
  });
});
