// Issue 12: any number of supervisors of one user run side by side with default
// options, each with its own control socket, and `lazarus ctl` finds the right
// one: the one started here, else the one whose config file is here, else the
// only one; otherwise it names the candidates. `ctl ls` lists them all; stale
// sockets of dead supervisors are cleaned up.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAIN, perTest, SERVER } from "../helpers/run.ts";

const { start, tempDir } = perTest({ tmp: "lazarus-many-" });

async function ctlIn(cwd: string, runtime: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, "run", MAIN, "ctl", ...args], { cwd, env: { ...process.env, XDG_RUNTIME_DIR: runtime }, stdio: ["ignore", "pipe", "pipe"] });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, out, err };
}

/** The pid the status table's title line names: "lazarus 0.1.0 (pid 123), running". */
function statusPid(out: string): number {
  return Number(/\(pid (\d+)\)/.exec(out)?.[1]);
}

describe("many supervisors at once, default options", () => {
  test("four supervisors from three directories all run; ctl reaches the right one, ls lists them, --pid picks one", async () => {
    const runtime = tempDir();
    const [a, b, c, elsewhere, nowhere] = [tempDir(), tempDir(), tempDir(), tempDir(), tempDir()];
    writeFileSync(join(b, "lazarus.toml"), `[servers.web]\ncmd = ["${SERVER}", "tag=b"]\n`);
    writeFileSync(join(c, "lazarus.toml"), `[servers.api]\ncmd = ["${SERVER}", "tag=c"]\n[servers.db]\ncmd = ["${SERVER}", "tag=c2"]\n`);
    const env = { XDG_RUNTIME_DIR: runtime };
    // Started at once: nobody waits for anybody.
    const runs = [
      start(["{", SERVER, "tag=a", "}"], { cwd: a, env }),
      start([], { cwd: b, env }), // lazarus.toml found in b
      start(["{", SERVER, "tag=b2", "}"], { cwd: b, env }),
      start([`--config=${join(c, "lazarus.toml")}`], { cwd: elsewhere, env }),
    ];
    await Promise.all(runs.map((r) => r.waitFor("started, supervising")));
    const [r1, r2, r3, r4] = runs as [typeof runs[0], typeof runs[0], typeof runs[0], typeof runs[0]];
    // Each has its own private socket, named by its pid.
    const dir = join(runtime, "lazarus");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).sort()).toEqual(runs.map((r) => `${r.pid}.sock`).sort());
    for (const r of runs) expect(statSync(join(dir, `${r.pid}.sock`)).mode & 0o777).toBe(0o600);

    // In a: the one started there.
    const inA = await ctlIn(a, runtime, "status");
    expect(inA.code).toBe(0);
    expect(statusPid(inA.out)).toBe(r1.pid);
    expect(inA.out).toContain("tag=a");
    // In c: nobody was started there, but one runs its lazarus.toml.
    const inC = await ctlIn(c, runtime, "status");
    expect(inC.code).toBe(0);
    expect(statusPid(inC.out)).toBe(r4.pid);
    // In b: two were started there: ctl names both and does nothing.
    const inB = await ctlIn(b, runtime, "stop", "0");
    expect(inB.code).toBe(2);
    expect(inB.out).toBe("");
    expect(inB.err).toBe(`lazarus: ctl: 2 supervisors were started here; choose one with --pid=PID: ${[r2.pid, r3.pid].sort((x, y) => x - y).map((p) => `${p} (in ${b}${p === r2.pid ? ", lazarus.toml" : ""})`).join(", ")}\n`);
    // --pid picks one, from anywhere (both forms).
    const picked = await ctlIn(b, runtime, `--pid=${r3.pid}`, "status");
    expect(picked.code).toBe(0);
    expect(statusPid(picked.out)).toBe(r3.pid);
    expect(statusPid((await ctlIn(nowhere, runtime, "--pid", String(r2.pid), "status")).out)).toBe(r2.pid);
    // Where none was started, with four running: the candidates are named.
    const lost = await ctlIn(nowhere, runtime, "status");
    expect(lost.code).toBe(2);
    expect(lost.err).toStartWith("lazarus: ctl: 4 supervisors are running and none was started here; choose one with --pid=PID: ");
    for (const r of runs) expect(lost.err).toContain(`${r.pid} (in `);

    // ls: every one, with what it runs.
    const ls = await ctlIn(nowhere, runtime, "--json", "ls");
    expect(ls.code).toBe(0);
    const listed = (JSON.parse(ls.out) as { supervisors: { pid: number; cwd: string; config: string | null; procfile: string | null; servers: number; uptimeMs: number; socket: string }[] }).supervisors;
    expect(listed.map((s) => s.pid)).toEqual(runs.map((r) => r.pid).sort((x, y) => x - y));
    const byPid = new Map(listed.map((s) => [s.pid, s]));
    expect(byPid.get(r1.pid)).toMatchObject({ cwd: a, config: null, procfile: null, servers: 1, socket: join(dir, `${r1.pid}.sock`) });
    expect(byPid.get(r2.pid)).toMatchObject({ cwd: b, config: join(b, "lazarus.toml"), servers: 1 });
    expect(byPid.get(r4.pid)).toMatchObject({ cwd: elsewhere, config: join(c, "lazarus.toml"), servers: 2 });
    for (const s of listed) expect(s.uptimeMs).toBeGreaterThan(0);
    const text = await ctlIn(nowhere, runtime, "ls");
    expect(text.out.split("\n")[0]).toMatch(/^PID +SERVERS +UPTIME +DIRECTORY +FILE +SOCKET$/);
    expect(text.out.trim().split("\n")).toHaveLength(5);

    for (const r of runs) r.signal("SIGTERM");
    for (const r of runs) expect((await r.ended()).code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("with exactly one running, ctl reaches it from anywhere; with none, it says so", async () => {
    const runtime = tempDir();
    const [a, b] = [tempDir(), tempDir()];
    const none = await ctlIn(b, runtime, "status");
    expect(none).toEqual({ code: 1, out: "", err: `lazarus: ctl: no lazarus is running for this user (none in ${join(runtime, "lazarus")})\n` });
    const r = start(["{", SERVER, "}"], { cwd: a, env: { XDG_RUNTIME_DIR: runtime } });
    await r.waitFor("started, supervising");
    const there = await ctlIn(b, runtime, "status");
    expect(there.code).toBe(0);
    expect(statusPid(there.out)).toBe(r.pid);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("the socket of a supervisor that was killed is stale: ls leaves it out and removes it, a new supervisor too", async () => {
    const runtime = tempDir();
    const a = tempDir();
    const env = { XDG_RUNTIME_DIR: runtime };
    const dead = start(["{", SERVER, "--quiet", "}"], { cwd: a, env });
    await dead.waitFor("started, supervising");
    const stale = join(runtime, "lazarus", `${dead.pid}.sock`);
    dead.signal("SIGKILL");
    await dead.ended();
    await dead.cleanup();
    expect(existsSync(stale)).toBe(true);
    const ls = await ctlIn(a, runtime, "--json", "ls");
    expect(JSON.parse(ls.out)).toEqual({ ok: true, supervisors: [] });
    expect(existsSync(stale)).toBe(false);
    // Again, found by a supervisor that starts in the same directory.
    const again = start(["{", SERVER, "--quiet", "}"], { cwd: a, env });
    await again.waitFor("started, supervising");
    const stale2 = join(runtime, "lazarus", `${again.pid}.sock`);
    again.signal("SIGKILL");
    await again.ended();
    await again.cleanup();
    expect(existsSync(stale2)).toBe(true);
    // A notify socket of a dead supervisor (PID.notify) goes too.
    const notify = join(runtime, "lazarus", `${again.pid}.notify`);
    const py = Bun.spawnSync(["python3", "-c", `import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(${JSON.stringify(notify)})`]);
    expect(py.exitCode).toBe(0);
    expect(existsSync(notify)).toBe(true);
    const next = start(["{", SERVER, "--quiet", "}"], { cwd: a, env });
    await next.waitFor("started, supervising");
    expect(existsSync(stale2)).toBe(false);
    expect(existsSync(notify)).toBe(false);
    expect(readdirSync(join(runtime, "lazarus"))).toEqual([`${next.pid}.sock`]);
    next.signal("SIGTERM");
    expect((await next.ended()).code).toBe(0);
  });
});
