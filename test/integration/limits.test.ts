// lazarus when the machine runs out of something, with real processes: file
// descriptors (its RLIMIT_NOFILE lowered under it with prlimit(1), then given
// back). What must hold: it never ends by itself, judges no server by what it
// could not carry out itself, says so in one line per burst, and recovers.
import { describe, expect, test } from "bun:test";
import { readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, perTest, ROOT, type Run, SERVER } from "../helpers/run.ts";

const { start, tempDir } = perTest({ tmp: "lazarus-limits-" });
const READY = join(ROOT, "fixtures/ready-server.py");

/** Why prlimit(1) cannot change another process's limits here (null: it can). */
const noPrlimit: string | null = (() => {
  try {
    const p = Bun.spawnSync(["prlimit", "--pid", String(process.pid), "--nofile"], { stdio: ["ignore", "ignore", "pipe"] });
    return p.exitCode === 0 ? null : `prlimit exited with ${p.exitCode ?? p.signalCode}: ${p.stderr.toString().trim() || "no message"}`;
  } catch (e) {
    return `prlimit cannot be run: ${e instanceof Error ? e.message : String(e)}`;
  }
})();

/** Set the soft RLIMIT_NOFILE of `pid` (its hard limit stays). */
function setNofile(pid: number, soft: number): void {
  const p = Bun.spawnSync(["prlimit", "--pid", String(pid), `--nofile=${soft}:`], { stdio: ["ignore", "ignore", "pipe"] });
  if (p.exitCode !== 0) throw new Error(`prlimit --nofile=${soft}: for pid ${pid}: ${p.stderr.toString().trim()}`);
}

/** The lowest file descriptor number `pid` does not have open. */
function lowestFree(pid: number): number {
  const open = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  let fd = 0;
  while (open.has(fd)) fd++;
  return fd;
}

/** The pipe inodes of `pid`'s stdout and stderr ("pipe:[N]"). */
function pipesOf(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of [1, 2]) {
    try {
      out.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch { /* gone */ }
  }
  return out;
}

/** The descriptors of `pid` open on one of `targets` (readlink's text). */
function fdsOn(pid: number, targets: Set<string>): number[] {
  return readdirSync(`/proc/${pid}/fd`).map(Number).filter((fd) => {
    try {
      return targets.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false;
    }
  });
}

/** A free TCP port on 127.0.0.1 (listened on, then closed). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** The JSON log's records of `event` (for server `name`, when given). */
function records(r: Run, event: string, name?: string): Record<string, unknown>[] {
  return r.lines.flatMap((l) => {
    if (!l.startsWith("{")) return [];
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      return o.event === event && (name === undefined || o.name === name) ? [o] : [];
    } catch {
      return [];
    }
  });
}

describe("lazarus out of file descriptors", () => {
  test("probes it cannot carry out give no verdict (said once), its HTTP client is not started without room (Bun would end the process), and it recovers", async () => {
    if (noPrlimit !== null) {
      console.log(`not run: ${noPrlimit}`);
      expect(noPrlimit).toMatch(/prlimit/);
      return;
    }
    const dir = tempDir();
    const go = join(dir, "go");
    const [web, tcp] = [freePort(), freePort()];
    writeFileSync(join(dir, "lazarus.toml"), [
      "interval = 1",
      "log_format = \"json\"",
      // Opens a pipe for its output at its start, then says it is ready once `go` exists: what starts web.
      "[servers.gate]", `cmd = ["${SERVER}", "--echo-when=${go}"]`, "output = \"prefix\"", "ready = { log = \"saw\" }",
      // Its output inherited: its spawn needs no descriptor. Its first probe is lazarus's first fetch. (It inherits
      // lazarus's lowered limit, which its shell raises again: a process may raise its soft limit up to its hard one.)
      "[servers.web]", `cmd = ["sh", "-c", 'ulimit -n 1024 && exec "$0" "$@"', "${READY}", "--http=${web}"]`, "output = \"inherit\"",
      "depends_on = [\"gate\"]",
      `ready = { http = "http://127.0.0.1:${web}/" }`,
      // Healthy all along: each would be restarted after two failed checks.
      "[servers.tcpsrv]", `cmd = ["${READY}", "--tcp=${tcp}"]`, "output = \"inherit\"", `ready = { tcp = ${tcp} }`,
      `health = { tcp = ${tcp}, interval = 0.2, timeout = 0.15, retries = 2 }`,
      "[servers.chk]", `cmd = ["${SERVER}", "--quiet"]`, "output = \"inherit\"",
      "health = { cmd = [\"true\"], interval = 0.2, timeout = 0.15, retries = 2 }",
      "",
    ].join("\n"));
    const r = start(["--control=none"], { cwd: dir });
    await r.waitFor(/"text":"'tcpsrv' is ready\."/);
    await r.waitFor(/"type":"probe-result".*"server":3.*"ok":true/);
    // No new descriptor from now on: its lowest free number becomes its limit. (A probe holds one for a moment:
    // the lowest seen free in any of a few looks.) A new child has 0, 1 and 2 and all below that limit.
    const low = Math.min(lowestFree(r.pid), lowestFree(r.pid), lowestFree(r.pid));
    setNofile(r.pid, low);
    const from = r.lines.length;
    writeFileSync(go, "");
    await r.waitFor(/"text":"'web' started with pid/, { from });
    await r.waitFor(/"text":"a probe could not be carried out: lazarus is out of file descriptors \(EMFILE/, { from });
    // Many probe rounds of both health checks without a verdict (each would have been a failure).
    const noVerdict = (server: number) => new RegExp(`"type":"probe-interrupted".*"server":${server}.*EMFILE`);
    await r.waitForCount(noVerdict(2), 6);
    await r.waitForCount(noVerdict(3), 6);
    await r.waitForCount(noVerdict(1), 3);
    setNofile(r.pid, 1024 + low);
    await r.waitFor(/"text":"probes can be carried out again \(\d+ gave no verdict/, { from });
    await r.waitFor(/"text":"'web' is ready\."/, { from });
    // Said once for the whole burst; no server was judged by what lazarus could not do.
    expect(records(r, "problem").filter((o) => String(o.text).startsWith("a probe could not be carried out"))).toHaveLength(1);
    expect(records(r, "unhealthy")).toEqual([]);
    expect(records(r, "spawned", "tcpsrv")).toHaveLength(1);
    expect(records(r, "spawned", "chk")).toHaveLength(1);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 60_000);

  test("a server that cannot be respawned for want of descriptors (its pipes) is tried again, said once, and starts once there are some: not buried", async () => {
    if (noPrlimit !== null) {
      console.log(`not run: ${noPrlimit}`);
      expect(noPrlimit).toMatch(/prlimit/);
      return;
    }
    const dir = tempDir();
    const crash = join(dir, "crash");
    writeFileSync(join(dir, "lazarus.toml"), [
      "interval = 0", // (every abnormal end is respawned)
      "log_format = \"json\"",
      // Piped output: each spawn needs two pipes. It ends (status 3) once `crash` exists.
      "[servers.crashy]", `cmd = ["${SERVER}", "--crash-when=${crash}"]`, "output = \"prefix\"",
      "",
    ].join("\n"));
    const r = start(["--control=none"], { cwd: dir });
    const pid = (JSON.parse(await r.waitFor(/"event":"spawned".*"name":"crashy"/)) as { pid: number }).pid;
    // Its limit becomes the lowest of its free descriptors and those of crashy's pipes: once crashy's end closes
    // them, lazarus has none to open.
    await eventually(() => pipesOf(pid).size === 2 && fdsOn(r.pid, pipesOf(pid)).length >= 2, "lazarus reading crashy's pipes");
    const low = Math.min(lowestFree(r.pid), lowestFree(r.pid), lowestFree(r.pid), ...fdsOn(r.pid, pipesOf(pid)));
    setNofile(r.pid, low);
    const from = r.lines.length;
    writeFileSync(crash, "");
    await r.waitFor(/"text":"'crashy' died abnormally, respawning\."/, { from });
    await r.waitFor(/"text":"could not spawn 'crashy': pipe2: Too many open files \(errno 24\); trying again in 1\.000 s, and until it can/, { from });
    // Tried again (1 s later), failing again, silently.
    await r.waitForCount(/"input":\{"type":"spawn-failed".*"short":true/, 2);
    rmSync(crash);
    setNofile(r.pid, 1024 + low);
    await r.waitFor(/"text":"'crashy' started with pid/, { from });
    expect(records(r, "spawn-short")).toHaveLength(1);
    expect(records(r, "spawn-failed")).toEqual([]);
    expect(records(r, "buried")).toEqual([]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 60_000);
});

describe("lazarus with a configuration too big for one environment variable", () => {
  test("a re-exec carries a config file over 128 KiB (Linux's limit for one variable) in pieces, and adopts every server", async () => {
    const dir = tempDir();
    // 150 servers and a comment line of 200 KiB: the text travels as LAZARUS_SOURCES, LAZARUS_SOURCES_2, …
    const lines = ["interval = 1", `# ${"x".repeat(200 * 1024)}`];
    for (let i = 0; i < 150; i++) lines.push(`[servers.s${i}]`, `cmd = ["${SERVER}", "--quiet"]`);
    writeFileSync(join(dir, "lazarus.toml"), `${lines.join("\n")}\n`);
    const r = start(["--control=none"], { cwd: dir });
    await r.waitForCount(/' started with pid \d+\./, 150);
    const from = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor(/re-exec complete: .* adopted 150 running servers\./, { from });
    expect(r.lines.slice(from).filter((l) => l.includes("re-exec failed"))).toEqual([]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  }, 60_000);
});
