// `ctl scale NAME N` and --formation on the real supervisor with real
// processes (issue 15): which copies run, with which LAZARUS_INSTANCE, which
// ones stop, that the others keep their pids, and that a re-exec and a later
// reload keep the count.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "../../src/os/control-client.ts";
import { ctl, perTest, type Run, SERVER, until, waitGone } from "../helpers/run.ts";

const { start } = perTest({ tmp: "lazarus-scale-" });

let dir = "";
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "lazarus-scale-")));
  for (const name of ["web", "other"]) symlinkSync(SERVER, join(dir, name));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of each server, by name (null: not running). */
async function pids(sock: string): Promise<Record<string, number | null>> {
  const res = await request(sock, { cmd: "status" });
  if (!res.ok) throw new Error(res.error);
  return Object.fromEntries((res.reply.status as { servers: { name: string; pid: number | null }[] }).servers.map((s) => [s.name, s.pid]));
}

/** Exactly these names, every one alive: their pids. */
function allAlive(sock: string, names: readonly string[]): Promise<Record<string, number>> {
  return until(async () => {
    const p = await pids(sock);
    return Object.keys(p).join() === names.join() && Object.values(p).every((x) => x !== null) ? p as Record<string, number> : null;
  }, `${names.join(", ")} alive (and nothing else)`);
}

/** The value of LAZARUS_INSTANCE a fixture with this pid printed. */
async function instanceOf(r: Run, pid: number): Promise<string> {
  const line = await r.waitFor(new RegExp(`fixture: pid=${pid} env LAZARUS_INSTANCE[= ]`));
  return line.slice(line.indexOf("env LAZARUS_INSTANCE") + "env LAZARUS_INSTANCE".length).replace(/^=/, "");
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const table = (instances: number) => `[servers.web]\ncmd = ["./web", "--print-env=LAZARUS_INSTANCE"]\ninstances = ${instances}\n[servers.other]\ncmd = ["./other"]\n`;

describe("ctl scale", () => {
  test("instances = 3 with distinct LAZARUS_INSTANCE; scale to 1 stops web.3 then web.2, the survivors keep their pids; back to 3 starts two new ones; a re-exec and a reload keep the count", async () => {
    const sock = join(dir, "s1.sock");
    const toml = write("scale.toml", table(3));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    const three = await allAlive(sock, ["web.1", "web.2", "web.3", "other"]);
    expect(await Promise.all(["web.1", "web.2", "web.3"].map((n) => instanceOf(r, three[n] as number)))).toEqual(["1", "2", "3"]);

    const down = await ctl(`--control=${sock}`, "scale", "web", "1");
    expect(down).toEqual({
      code: 0,
      out: "scaled 'web' to 1: 0 added, 0 changed, 2 removed (web.2, web.3), 2 unchanged\nremoved: web.2, web.3\nunchanged: web.1, other\n",
      err: "",
    });
    expect(await waitGone([three["web.2"] as number, three["web.3"] as number])).toEqual([]);
    // The highest-numbered copy got its stop order first. (ctl's answer comes after the lines of its step;
    // the wait is for what a reader of the pipe may not have read yet.)
    await r.waitForCount(/was removed by a reload: stopping it/, 2);
    const stops = r.own.filter((l) => /was removed by a reload: stopping it/.test(l));
    expect(stops).toEqual([
      `'web.3' (pid ${three["web.3"]}) was removed by a reload: stopping it.`,
      `'web.2' (pid ${three["web.2"]}) was removed by a reload: stopping it.`,
    ]);
    const one = await allAlive(sock, ["web.1", "other"]);
    expect(one).toEqual({ "web.1": three["web.1"] as number, other: three.other as number });

    const up = await ctl(`--control=${sock}`, "--json", "scale", "web", "3");
    expect(up.code).toBe(0);
    expect(JSON.parse(up.out)).toMatchObject({ ok: true, reload: { added: ["web.2", "web.3"], changed: [], removed: [], unchanged: ["web.1", "other"] } });
    const again = await allAlive(sock, ["web.1", "web.2", "web.3", "other"]);
    expect([again["web.1"], again.other]).toEqual([three["web.1"], three.other]);
    expect(await Promise.all([again["web.2"], again["web.3"]].map((pid) => instanceOf(r, pid as number)))).toEqual(["2", "3"]);

    // Scaled to 2, then a re-exec: the new image runs two copies, the same processes.
    expect((await ctl(`--control=${sock}`, "scale", "web", "2")).code).toBe(0);
    const two = await allAlive(sock, ["web.1", "web.2", "other"]);
    r.signal("SIGUSR1");
    await r.waitFor("re-exec complete");
    expect(await pids(sock)).toEqual(two);
    // A reload of the unchanged file keeps the scaled count: nothing changes.
    const same = await ctl(`--control=${sock}`, "reload");
    expect(same.out.split("\n")[0]).toBe("reloaded: 0 added, 0 changed, 0 removed, 3 unchanged");
    expect(await pids(sock)).toEqual(two);
    // The file's count changed: the file wins.
    write("scale.toml", table(4));
    const edited = await ctl(`--control=${sock}`, "reload");
    expect(edited.out.split("\n")[0]).toBe("reloaded: 2 added (web.3, web.4), 0 changed, 0 removed, 3 unchanged");
    await allAlive(sock, ["web.1", "web.2", "other", "web.3", "web.4"]);

    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("an unknown name, or a server given in braces, is an error and changes nothing", async () => {
    const sock = join(dir, "s2.sock");
    const toml = write("unknown.toml", table(2));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    const before = await allAlive(sock, ["web.1", "web.2", "other"]);
    const bad = await ctl(`--control=${sock}`, "scale", "web.1", "3");
    expect(bad).toEqual({ code: 1, out: "", err: "lazarus: ctl: refused: no server table or Procfile process named \"web.1\" (one of: web, other)\n" });
    const usage = await ctl(`--control=${sock}`, "scale", "web", "101");
    expect(usage.code).toBe(2);
    expect(usage.err).toBe("lazarus: ctl: scale: \"101\" is not a number of copies from 0 to 100 (see lazarus ctl --help)\n");
    expect(await pids(sock)).toEqual(before);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);

    // A count whose copy has another server's name: said as the scale's, not as the file's (whose instances are fine).
    const sock3 = join(dir, "s3b.sock");
    const clash = start([`--config=${write("clash.toml", `${table(2)}[servers."web.3"]\ncmd = ["./other"]\n`)}`, `--control=${sock3}`]);
    await clash.waitFor("started, supervising");
    const running = await allAlive(sock3, ["web.1", "web.2", "other", "web.3"]);
    const taken = await ctl(`--control=${sock3}`, "scale", "web", "3");
    expect(taken).toEqual({ code: 1, out: "", err: `lazarus: ctl: refused: cannot scale "web" to 3: ${dir}/clash.toml: servers.web.instances: its copy "web.3" has the name of another server.\n` });
    expect(await pids(sock3)).toEqual(running);
    clash.signal("SIGTERM");
    expect((await clash.ended()).code).toBe(0);

    const sock2 = join(dir, "s3.sock");
    const braces = start([`--control=${sock2}`, "{", SERVER, "}"]);
    await braces.waitFor("started, supervising");
    const none = await ctl(`--control=${sock2}`, "scale", "server", "2");
    expect(none.code).toBe(1);
    expect(none.err).toBe("lazarus: ctl: refused: no server table or Procfile process named \"server\" (servers in braces cannot be scaled)\n");
    braces.signal("SIGTERM");
    expect((await braces.ended()).code).toBe(0);
  });

  test("a Procfile with --formation=web=2 runs web.1 and web.2; ctl scale web 3 adds web.3", async () => {
    const sock = join(dir, "s4.sock");
    const procfile = write("Procfile", "web: ./web --print-env=LAZARUS_INSTANCE\nother: ./other\n");
    const r = start([`--procfile=${procfile}`, "--formation=web=2", `--control=${sock}`]);
    await r.waitFor("started, supervising");
    const two = await allAlive(sock, ["web.1", "web.2", "other"]);
    expect(await Promise.all([two["web.1"], two["web.2"]].map((pid) => instanceOf(r, pid as number)))).toEqual(["1", "2"]);
    const up = await ctl(`--control=${sock}`, "scale", "web", "3");
    expect(up.out.split("\n")[0]).toBe("scaled 'web' to 3: 1 added (web.3), 0 changed, 0 removed, 3 unchanged");
    const three = await allAlive(sock, ["web.1", "web.2", "other", "web.3"]);
    expect([three["web.1"], three["web.2"], three.other]).toEqual([two["web.1"], two["web.2"], two.other]);
    expect(await instanceOf(r, three["web.3"] as number)).toBe("3");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});

describe("ctl scale NAME 0: every copy stopped, the name still scalable", () => {
  test("the only table: 2 → 0 (processes gone, lazarus waits), status, a reload and a re-exec keep 0, → 2 new processes", async () => {
    const sock = join(dir, "zero.sock");
    const toml = write("zero.toml", `[servers.web]\ncmd = ["./web", "--print-env=LAZARUS_INSTANCE"]\ninstances = 2\n`);
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    const two = await allAlive(sock, ["web.1", "web.2"]);
    const down = await ctl(`--control=${sock}`, "scale", "web", "0", "--wait=20");
    expect(down).toEqual({ code: 0, out: "scaled 'web' to 0: 0 added, 0 changed, 2 removed (web.1, web.2), 0 unchanged\nremoved: web.1, web.2\n" +
      "in effect: nothing removed still runs\n", err: "" });
    expect(await waitGone([two["web.1"] as number, two["web.2"] as number])).toEqual([]);
    await r.waitFor("nothing runs: 'web' is scaled to 0; waiting for a ctl scale.");
    expect(await pids(sock)).toEqual({});
    const status = await ctl(`--control=${sock}`, "status");
    expect(status.code).toBe(0);
    expect(status.out.split("\n").slice(1)).toEqual(["#  NAME  STATE  PID  UPTIME  RESTARTS  LAST EXIT  COMMAND", "scaled to 0: web (ctl scale NAME N runs copies again)", ""]);
    const json = await request(sock, { cmd: "status" });
    expect(json.ok && (json.reply.status as { scaledToZero?: string[] }).scaledToZero).toEqual(["web"]);
    // A reload of the unchanged file keeps the 0; so does a re-exec.
    expect((await ctl(`--control=${sock}`, "reload")).out.split("\n")[0]).toBe("reloaded: 0 added, 0 changed, 0 removed, 0 unchanged");
    r.signal("SIGUSR1");
    await r.waitFor("re-exec complete");
    expect(await pids(sock)).toEqual({});
    const up = await ctl(`--control=${sock}`, "scale", "web", "2", "--wait=20");
    expect(up.code).toBe(0);
    expect(up.out.split("\n")[0]).toBe("scaled 'web' to 2: 2 added (web.1, web.2), 0 changed, 0 removed, 0 unchanged");
    const again = await allAlive(sock, ["web.1", "web.2"]);
    expect([again["web.1"], again["web.2"]]).not.toContain(two["web.1"]);
    expect([again["web.1"], again["web.2"]]).not.toContain(two["web.2"]);
    expect(await Promise.all([again["web.1"], again["web.2"]].map((pid) => instanceOf(r, pid as number)))).toEqual(["1", "2"]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("a dependent waiting for a table scaled to 0 starts without waiting for it, and is untouched by the scale back up", async () => {
    const sock = join(dir, "zero-dep.sock");
    // web is never ready (its readiness file does not exist): lb, which depends on it, waits.
    const toml = write("zero-dep.toml", `[servers.web]\ncmd = ["./web"]\ninstances = 2\nready = { cmd = ["test", "-e", "no-such-file"] }\n` +
      `[servers.lb]\ncmd = ["./other"]\ndepends_on = ["web"]\n`);
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    await r.waitFor("'lb' waits for 'web.1', 'web.2' to be ready.");
    const down = await ctl(`--control=${sock}`, "scale", "web", "0");
    // Nothing to wait for any more: lb starts (said changed, as a reload that may start a waiting server says it).
    expect(down.out.split("\n")[0]).toBe("scaled 'web' to 0: 0 added, 1 changed (lb), 2 removed (web.1, web.2), 0 unchanged");
    const only = await allAlive(sock, ["lb"]);
    const up = await ctl(`--control=${sock}`, "scale", "web", "1");
    expect(up.out.split("\n")[0]).toBe("scaled 'web' to 1: 1 added (web.1), 0 changed, 0 removed, 1 unchanged");
    const both = await allAlive(sock, ["web.1", "lb"]);
    expect(both.lb).toBe(only.lb as number);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("a Procfile process: ctl scale web 0 stops it, the other runs on; ctl scale web 1 brings it back", async () => {
    const sock = join(dir, "zero-proc.sock");
    const procfile = write("Procfile.zero", "web: ./web\nother: ./other\n");
    const r = start([`--procfile=${procfile}`, `--control=${sock}`, `--log-dir=${join(dir, "zero-logs")}`]);
    await r.waitFor("started, supervising");
    const before = await allAlive(sock, ["web", "other"]);
    const down = await ctl(`--control=${sock}`, "scale", "web", "0");
    expect(down.out.split("\n")[0]).toBe("scaled 'web' to 0: 0 added, 0 changed, 1 removed (web), 1 unchanged");
    expect(await waitGone([before.web as number])).toEqual([]);
    expect(await allAlive(sock, ["other"])).toEqual({ other: before.other as number });
    // Each row's log is its own server's, by index (it was the list's position: other showed web.log once web was gone).
    const st = await request(sock, { cmd: "status" });
    expect(st.ok && (st.reply.status as { servers: { name: string; log: { path: string } | null }[] }).servers.map((s) => [s.name, s.log?.path]))
      .toEqual([["other", join(dir, "zero-logs", "other.log")]]);
    const up = await ctl(`--control=${sock}`, "scale", "web", "1");
    expect(up.out.split("\n")[0]).toBe("scaled 'web' to 1: 1 added (web.1), 0 changed, 0 removed, 1 unchanged");
    await allAlive(sock, ["other", "web.1"]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});

describe("a copy scaled away and back at once (found by a review: two processes of one name ran at once)", () => {
  test("stop-first copies that ignore SIGTERM: scale 1 then 3 at once; the new web.2 and web.3 wait for their old processes to end, then start", async () => {
    const sock = join(dir, "seat.sock");
    const toml = write("seat.toml", `[servers.web]\ncmd = ["./web", "--ignore-term", "--print-env=LAZARUS_INSTANCE"]\ninstances = 3\nrolling = "stop-first"\nstop_timeout = 3\n`);
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    const three = await allAlive(sock, ["web.1", "web.2", "web.3"]);
    expect((await ctl(`--control=${sock}`, "scale", "web", "1")).code).toBe(0);
    expect((await ctl(`--control=${sock}`, "scale", "web", "3")).code).toBe(0);
    // The old ones are still stopping (they ignore SIGTERM: SIGKILL at their stop timeout): the new ones wait.
    const res = await request(sock, { cmd: "status" });
    if (!res.ok) throw new Error(res.error);
    const shown = (res.reply.status as { servers: { name: string; state: string; pid: number | null; stopping: boolean; behind?: { pid: number | null } | null }[] }).servers
      .map((s) => ({ name: s.name, state: s.state, pid: s.pid, stopping: s.stopping, behind: s.behind ?? null }));
    expect(shown).toEqual([
      { name: "web.1", state: "alive", pid: three["web.1"] as number, stopping: false, behind: null },
      { name: "web.2 (old)", state: "alive", pid: three["web.2"] as number, stopping: true, behind: null },
      { name: "web.3 (old)", state: "alive", pid: three["web.3"] as number, stopping: true, behind: null },
      { name: "web.2", state: "waiting", pid: null, stopping: false, behind: { pid: three["web.2"] as number } },
      { name: "web.3", state: "waiting", pid: null, stopping: false, behind: { pid: three["web.3"] as number } },
    ]);
    const table = await ctl(`--control=${sock}`, "status");
    expect(table.out).toContain(`waiting (old process ${three["web.2"]} to end)`);
    await r.waitFor(`'web.2' waits for its old process (pid ${three["web.2"]}) to end (a removed server's, still stopping).`);
    // Once the old processes are gone, the new ones start, each with its own LAZARUS_INSTANCE.
    const again = await allAlive(sock, ["web.1", "web.2", "web.3"]);
    expect(await Promise.all([again["web.2"], again["web.3"]].map((pid) => instanceOf(r, pid as number)))).toEqual(["2", "3"]);
    for (const n of ["web.2", "web.3"]) {
      const own = r.own;
      const ended = own.indexOf(`'${n}' stopped, cremating.`);
      expect(ended).toBeGreaterThanOrEqual(0);
      expect(own.indexOf(`'${n}' started with pid ${again[n]}.`)).toBeGreaterThan(ended);
    }
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});

describe("ctl restart NAME --rolling", () => {
  // Ready once its probe finds no file broken.N (N: its LAZARUS_INSTANCE) in the directory.
  const rolling = `[servers.web]\ncmd = ["./web", "--print-env=LAZARUS_INSTANCE"]\ninstances = 3\n` +
    `ready = { cmd = ["sh", "-c", "test ! -e broken.$LAZARUS_INSTANCE"] }\nready_timeout = 2\n`;

  for (const way of ["stop-first", "start-first"] as const) test(`${way}: three copies with readiness, one at a time, each only once the one before is ready again; the first that fails stops the roll and the reply says so`, async () => {
    const sock = join(dir, `r1-${way}.sock`);
    const toml = write(`roll-${way}.toml`, way === "stop-first" ? `${rolling}rolling = "stop-first"\n` : rolling);
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    await r.waitForCount(/'web\.\d' is ready\./, 3);
    const before = await allAlive(sock, ["web.1", "web.2", "web.3"]);

    const res = await ctl(`--control=${sock}`, "restart", "web", "--rolling");
    expect(res).toEqual({ code: 0, out: "rolled 'web': web.1, web.2, web.3 restarted one at a time, each ready again\n", err: "" });
    const after = await allAlive(sock, ["web.1", "web.2", "web.3"]);
    for (const n of ["web.1", "web.2", "web.3"]) expect(after[n]).not.toBe(before[n]);
    // The order of the log: each restart requested only after the copy before it is ready again with its new process.
    // The roll's last lines are written before ctl's answer, but this test reads them from a pipe: wait for them.
    const last = `lazarus: 'web.3' started with pid ${after["web.3"]}.`;
    await r.waitFor(last);
    await r.waitFor(`'web.3' is ready.`, { from: r.lines.indexOf(last) });
    if (way === "start-first") await r.waitFor(`'web.3' (pid ${before["web.3"]}) was replaced by its new process, which is ready: stopping it.`);
    const own = r.own;
    const at = (line: string) => {
      const k = own.indexOf(line);
      expect(k).toBeGreaterThanOrEqual(0);
      return k;
    };
    const started = (n: string) => at(`'${n}' started with pid ${after[n]}.`);
    const ready = (n: string) => own.indexOf(`'${n}' is ready.`, started(n));
    if (way === "stop-first") {
      const restart = (n: string) => at(`restart of '${n}' requested.`);
      expect(restart("web.1")).toBeLessThan(started("web.1"));
      expect(ready("web.1")).toBeLessThan(restart("web.2"));
      expect(restart("web.2")).toBeLessThan(started("web.2"));
      expect(ready("web.2")).toBeLessThan(restart("web.3"));
      expect(ready("web.3")).toBeGreaterThan(restart("web.3"));
    } else {
      // Each new process starts beside the old one, and the old one is stopped only once the new one is ready.
      const beside = (n: string) => at(`'${n}': its new process starts beside the old one (pid ${before[n]}), which is stopped once the new one is ready.`);
      const replaced = (n: string) => at(`'${n}' (pid ${before[n]}) was replaced by its new process, which is ready: stopping it.`);
      for (const n of ["web.1", "web.2", "web.3"]) {
        expect(beside(n)).toBeLessThan(started(n));
        expect(started(n)).toBeLessThan(ready(n));
        expect(ready(n)).toBeLessThan(replaced(n));
      }
      expect(replaced("web.1")).toBeLessThan(beside("web.2"));
      expect(replaced("web.2")).toBeLessThan(beside("web.3"));
    }
    // Each new copy is still the same instance.
    expect(await Promise.all(["web.1", "web.2", "web.3"].map((n) => instanceOf(r, after[n] as number)))).toEqual(["1", "2", "3"]);

    // web.2's next process cannot become ready: the roll stops there; web.3 keeps its process.
    writeFileSync(join(dir, "broken.2"), "");
    const bad = await ctl(`--control=${sock}`, "restart", "web", "--rolling");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^lazarus: ctl: refused: rolling restart of 'web' stopped at 'web\.2': its new process \(pid \d+\) did not become ready: it is being stopped; web\.1 restarted, web\.3 left running as it was\n$/);
    expect((await pids(sock))["web.3"]).toBe(after["web.3"] as number);
    // Start-first, the failed copy keeps its old process too.
    if (way === "start-first") expect((await pids(sock))["web.2"]).toBe(after["web.2"] as number);
    await r.waitFor(/rolling restart of 'web' stopped at 'web\.2'/);
    rmSync(join(dir, "broken.2"));

    const usage = await ctl(`--control=${sock}`, "restart", "nope", "--rolling");
    expect(usage.code).toBe(1);
    expect(usage.err).toBe("lazarus: ctl: refused: no server named \"nope\" (nor copies of it, \"nope.1\" …)\n");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});

