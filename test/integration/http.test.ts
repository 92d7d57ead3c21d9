// Issue 19 on the real supervisor: --http serves /metrics (Prometheus text),
// /healthz, /livez, /api/status and the page; actions need the bearer token.
import { describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "../../src/os/control-client.ts";
import { parsePrometheus, sample } from "../helpers/prom-parse.ts";
import { perTest, type Run, SERVER, until } from "../helpers/run.ts";

const { start, tempDir } = perTest({ tmp: "lazarus-http-" });

/** The endpoint's address, from lazarus's own line about it. */
async function endpoint(r: Run): Promise<string> {
  const line = await r.waitFor(/HTTP endpoint at (http:\/\/\S+?)( \(read-only\))?\.$/);
  return /HTTP endpoint at (http:\/\/\S+?)( \(read-only\))?\.$/.exec(line)?.[1] as string;
}

async function metrics(url: string): Promise<ReturnType<typeof parsePrometheus>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return parsePrometheus(await res.text());
}

describe("--http on the real supervisor", () => {
  test("/metrics parses as Prometheus text and restarts_total grows by one per respawn", async () => {
    // The crashes are the test's own (a server that ended by itself on a timer could crash once more between a
    // respawn's line and the scrape on a slow machine, and the count would be one more than the lines said).
    const r = start(["--control=none", "--interval=0", "--http=127.0.0.1:0", "{", SERVER, "tag=crashing", "}", "{", SERVER, "}"]);
    const url = await endpoint(r);
    const crashing = /^fixture: pid=(\d+) name=\S+ argv: tag=crashing$/;
    const spawnedOf = () => r.lines.filter((l) => /'[^']*' started with pid/.test(l) && l.includes(SERVER)).length;
    // After each respawn line of server 0, its counter says exactly as many restarts.
    for (let k = 1; k <= 3; k++) {
      // Its own start line: it has set `ulimit -c 0` (no core file) by then.
      const started = await r.waitForCount(crashing, k);
      process.kill(Number(crashing.exec(started[k - 1] as string)?.[1]), "SIGSEGV");
      await r.waitForCount(/died abnormally, respawning\./, k);
      await r.waitForCount(/started with pid/, k + 2);
      const m = await metrics(url);
      expect(sample(m, "lazarus_server_restarts_total", { server: "server" })).toBe(k);
      expect(sample(m, "lazarus_server_restarts_total", { server: "server-2" })).toBe(0);
      expect(sample(m, "lazarus_server_up", { server: "server-2" })).toBe(1);
      expect(sample(m, "lazarus_server_crashes_total", { server: "server", kind: "signal", signal: "SIGSEGV" })).toBe(k);
    }
    expect(spawnedOf()).toBeGreaterThanOrEqual(4);
    const m = await metrics(url);
    expect(sample(m, "lazarus_events_total")).toBeGreaterThan(5);
    expect(sample(m, "process_resident_memory_bytes")).toBeGreaterThan(1e6);
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("a big /metrics and /api/status (300 servers) are streamed in pieces, whole: every server's series, ctl's status", async () => {
    const dir = tempDir();
    const sock = join(dir, "ctl.sock");
    const n = 300;
    const argv = [`--control=${sock}`, "--http=127.0.0.1:0"];
    for (let i = 0; i < n; i++) argv.push("{", "/bin/sleep", "3600", "}");
    const r = start(argv);
    const url = await endpoint(r);
    await r.waitForCount(/started with pid/, n);
    // Some 150 KB of text: more than a step's ANSWER_SLICE_CHARS, so it is sent as it is built (no Content-Length).
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBeNull();
    const text = await res.text();
    expect(text.length).toBeGreaterThan(100_000);
    const m = parsePrometheus(text);
    expect(m.get("lazarus_server_up")?.samples.filter((x) => x.value === 1)).toHaveLength(n);
    expect(m.get("lazarus_server_state")?.samples).toHaveLength(n * 7);
    expect(sample(m, "process_open_fds")).toBeGreaterThan(0);
    const api = await fetch(`${url}/api/status`);
    expect(api.headers.get("content-length")).toBeNull();
    const body = await api.json() as { ok: boolean; status: { servers: { name: string; pid: number }[] } };
    const ctl = await request(sock, { cmd: "status" });
    expect(body.ok).toBe(true);
    expect(ctl.ok && (ctl.reply.status as typeof body.status).servers.map((s) => [s.name, s.pid])).toEqual(body.status.servers.map((s) => [s.name, s.pid]));
    expect(body.status.servers).toHaveLength(n);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("/healthz turns 503 when a server is buried, naming it, and 200 after a revive; /api/status is ctl's status", async () => {
    const dir = tempDir();
    const fixed = join(dir, "fixed");
    const sock = join(dir, "ctl.sock");
    const r = start([`--control=${sock}`, "--interval=5", "--http=127.0.0.1:0", "{", SERVER, "--life=0.1", "--exit=1", `--stay-if=${fixed}`, "}", "{", SERVER, "}"]);
    const url = await endpoint(r);
    await r.waitFor("burying because it died too fast");
    const sick = await fetch(`${url}/healthz`);
    expect(sick.status).toBe(503);
    const body = await sick.json() as { ok: boolean; servers: { name: string; state: string }[] };
    expect(body.ok).toBe(false);
    expect(JSON.stringify(body)).toContain("\"server\"");
    // the same status as the control socket's
    const api = await (await fetch(`${url}/api/status`)).json() as { ok: boolean; status: { servers: { name: string; state: string }[] } };
    const ctl = await request(sock, { cmd: "status" });
    expect(api.ok).toBe(true);
    expect(ctl.ok && (ctl.reply.status as typeof api.status).servers.map((s) => s.state)).toEqual(api.status.servers.map((s) => s.state));
    expect(api.status.servers.map((s) => s.state)).toEqual(["buried", "alive"]);
    writeFileSync(fixed, "");
    r.signal("SIGUSR2");
    await r.waitFor("revive signal received.");
    await r.waitForCount(/started with pid/, 3);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("actions: refused with 401 without the token (or with a wrong one) and nothing changes; with it, a restart", async () => {
    const dir = tempDir();
    const tokenFile = join(dir, "token");
    const token = "t0ken-for-tests-0123456789abcdef";
    writeFileSync(tokenFile, `${token}\n`);
    const r = start(["--control=none", "--http=127.0.0.1:0", `--http-token-file=${tokenFile}`, "{", SERVER, "}"]);
    const url = await endpoint(r);
    const pid = await r.startedPid();
    const restart = (auth?: string) => fetch(`${url}/api/servers/server/restart`, { method: "POST", headers: auth === undefined ? {} : { authorization: auth } });
    for (const auth of [undefined, "Bearer nope", "Bearer", "Basic abc", `Bearer ${token}x`]) {
      const res = await restart(auth);
      expect({ auth, status: res.status }).toEqual({ auth, status: 401 });
    }
    expect(r.lines.some((l) => l.includes("restart of"))).toBe(false);
    // a GET never changes anything
    expect((await fetch(`${url}/api/servers/server/restart`)).status).toBe(405);
    const ok = await restart(`Bearer ${token}`);
    expect(ok.status).toBe(200);
    await r.waitFor(`restart of '${SERVER}' requested.`);
    const again = await r.startedPid(r.lines.findIndex((l) => l.includes("restart of")));
    expect(again).not.toBe(pid);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("a start-first rolling restart: /metrics names the process beside its copy apart (no series twice), and /healthz stays 200 while every copy serves", async () => {
    const dir = tempDir();
    const sock = join(dir, "ctl.sock");
    const hold = join(dir, "hold");
    // A new process is ready once `hold` is gone; an old one ignores SIGTERM, so it stays beside its copy until the test kills it.
    writeFileSync(join(dir, "lazarus.toml"), `[servers.web]\ncmd = [${JSON.stringify(SERVER)}, "--ignore-term"]\ninstances = 2\n` +
      `ready = { cmd = ["sh", "-c", "test ! -e ${hold}"] }\nready_timeout = 60\nstop_timeout = 60\n`);
    const r = start([`--config=${join(dir, "lazarus.toml")}`, `--control=${sock}`, "--http=127.0.0.1:0"]);
    const url = await endpoint(r);
    await r.waitForCount(/'web\.\d' is ready\./, 2);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    type Row = { name: string; pid: number | null; aside: string | null };
    const rows = async () => {
      const res = await request(sock, { cmd: "status" });
      if (!res.ok) throw new Error(res.error);
      return (res.reply.status as { servers: Row[] }).servers;
    };
    const aside = (name: string, which: "new" | "old") => until(async () => (await rows()).find((s) => s.name === `${name} (${which})` && s.pid !== null) ?? null, `${name} (${which}) running`);
    /** While a copy has a process beside it: every series once, both processes up, and healthy. */
    const check = async (name: string, which: "new" | "old") => {
      const m = await metrics(url); // refuses a series twice
      expect(sample(m, "lazarus_server_up", { server: name })).toBe(1);
      expect(sample(m, "lazarus_server_up", { server: `${name} (${which})` })).toBe(1);
      const h = await fetch(`${url}/healthz`);
      expect({ status: h.status, body: await h.json() }).toEqual({ status: 200, body: { ok: true, phase: "running", supervisor: null, servers: [] } });
    };
    writeFileSync(hold, "");
    const rolled = request(sock, { cmd: "restart", server: "web", rolling: true }, 60_000);
    await aside("web.1", "new");
    await check("web.1", "new");
    rmSync(hold);
    for (const name of ["web.1", "web.2"]) {
      const old = await aside(name, "old");
      await check(name, "old");
      process.kill(old.pid as number, "SIGKILL");
    }
    const res = await rolled;
    expect(res.ok && res.reply.message).toBe("rolled 'web': web.1, web.2 restarted one at a time, each ready again");
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    r.signal("SIGTERM");
    await r.waitFor("terminate signal received.");
    r.signal("SIGTERM"); // the servers ignore it: the second one kills them
    expect((await r.ended()).code).toBe(0);
  });

  test("a live re-exec closes the endpoint and the new image serves again, counting the re-exec", async () => {
    const r = start(["--control=none", "--http=127.0.0.1:0", "{", SERVER, "}"]);
    await endpoint(r);
    const pid = await r.startedPid();
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor(/re-exec complete/, { from: mark });
    const line = await r.waitFor(/HTTP endpoint at (http:\/\/\S+?)( \(read-only\))?\.$/, { from: mark });
    const url = /HTTP endpoint at (http:\/\/\S+?)( \(read-only\))?\.$/.exec(line)?.[1] as string;
    const m = await metrics(url);
    expect(sample(m, "lazarus_reexecs_total")).toBe(1);
    expect(sample(m, "lazarus_server_up", { server: "server" })).toBe(1);
    expect((await (await fetch(`${url}/api/status`)).json() as { status: { servers: { pid: number }[] } }).status.servers[0]?.pid).toBe(pid);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("bad --http values and a token file that is not one are one-line errors, nothing started", async () => {
    const dir = tempDir();
    const empty = join(dir, "empty");
    writeFileSync(empty, "");
    for (const [args, text] of [
      [["--http=localhost:99999"], /^lazarus: Invalid value for --http=localhost:99999: "99999" is not a port \(0 to 65535\)\.$/],
      [["--http=example.com:80"], /^lazarus: Invalid value for --http=example.com:80: .*$/],
      [["--http=127.0.0.1:0", `--http-token-file=${empty}`], /^lazarus: --http-token-file=.*: the file is empty \(it must hold one token\)$/],
      [[`--http-token-file=${empty}`], /^lazarus: --http-token-file \(or http_token_file\) needs --http/],
    ] as const) {
      const r = start(["--control=none", ...args, "{", SERVER, "}"]);
      expect((await r.ended()).code).toBe(2);
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toMatch(text);
    }
  });
});
