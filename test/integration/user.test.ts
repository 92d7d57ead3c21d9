// `user`, `group` and `limits` on the real supervisor with real processes: a
// server run as `nobody` (in its own group, and in a group given by number) is
// seen by the kernel as that user (/proc/PID/status: Uid, Gid, and Groups, which
// must not hold root's groups: a forgotten setgroups is the plausible bug), with
// that user's HOME and USER (/proc/PID/environ) and its limits (/proc/PID/limits);
// its command probe runs as that user too. An unknown user is one line and exit
// status 2; lazarus without the privilege refuses (not root) or says why the
// spawn failed (root without CAP_SETGID); a live re-exec adopts such servers
// without restarting them. These need root: run by another user,
// each test prints why it cannot run and asserts on that reason.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { passwdEntry } from "../../src/os/libc.ts";
import { BUN, ctl, eventually, MAIN, perTest } from "../helpers/run.ts";

const { start, tempDir } = perTest({ tmp: "lazarus-user-" });

/** Why these tests cannot run here (not root), or null. */
const notRoot: string | null = process.getuid?.() === 0 ? null : `not root (uid ${process.getuid?.()}): cannot run a server as another user`;

/** setpriv(1), to run lazarus with less privilege than root's; why not, or null. */
const noSetpriv: string | null = notRoot ?? (Bun.which("setpriv") === null ? "setpriv(1) is not installed" : null);

const NOBODY = passwdEntry("nobody");

/** A supplementary group lazarus runs with in the first test (besides root's), which no server may keep. */
const ROOTS_GROUP = "31337";

/** A directory nobody may enter (the servers' working directory), with a subdirectory it may write to. */
function sharedDir(): string {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "out"), { mode: 0o777 });
  chmodSync(join(dir, "out"), 0o777);
  return dir;
}

function statusLine(pid: number, key: string): string {
  const m = new RegExp(`^${key}:\\t(.*)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`no ${key} line in /proc/${pid}/status`);
  return (m[1] as string).trim();
}

/**
 * The environment of `pid` as its exec set it. Waited for: the spawn returns once the child's exec
 * has replaced its memory, and the kernel fills in the new stack's variables a moment later (until
 * then /proc/PID/environ reads empty).
 */
function environ(pid: number): Promise<Record<string, string>> {
  return eventually(() => {
    const out: Record<string, string> = {};
    for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
      const eq = kv.indexOf("=");
      if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    return Object.keys(out).length > 0 ? out : null;
  }, `the environment of pid ${pid}`);
}

/** The soft and hard values of one line of /proc/PID/limits ("Max open files"). */
function limit(pid: number, what: string): [string, string] {
  const m = new RegExp(`^${what}\\s+(\\S+)\\s+(\\S+)`, "m").exec(readFileSync(`/proc/${pid}/limits`, "utf8"));
  if (m === null) throw new Error(`no ${what} line in /proc/${pid}/limits`);
  return [m[1] as string, m[2] as string];
}

describe("user and group", () => {
  test("servers run as nobody (in its group, and in a group given by number): the kernel's ids and groups, the user's variables, limits, and probes as that user", async () => {
    if (noSetpriv !== null) {
      console.log(`user test not run: ${noSetpriv}`);
      expect(noSetpriv).toMatch(/^not root|setpriv/);
      return;
    }
    if (NOBODY === null) throw new Error("this system has no user named nobody");
    const dir = sharedDir();
    const out = join(dir, "out");
    writeFileSync(join(dir, "lazarus.toml"), `control = "none"
interval = 0
[servers.own]
cmd = ["sleep", "1000"]
user = "nobody"
limits = { nofile = [100, 200], core = 0 }
ready = { cmd = ["sh", "-c", "id -u > ${out}/probe-uid && id -G > ${out}/probe-groups"] }
[servers.given]
cmd = ["sleep", "1000"]
user = ${NOBODY.uid}
group = 4242
env = { HOME = "/srv/given" }
`);
    // lazarus with supplementary groups of its own (root's, and one more): what a forgotten setgroups would leave its children.
    const r = start([`--config=${join(dir, "lazarus.toml")}`], { argv0: ["setpriv", `--groups=0,${ROOTS_GROUP}`, BUN, "run", MAIN] });
    const own = await r.startedPid(0, "own");
    const given = await r.startedPid(0, "given");
    expect(statusLine(r.proc.pid, "Groups").split(/\s+/)).toEqual(["0", ROOTS_GROUP]);
    const uid = String(NOBODY.uid);
    const gid = String(NOBODY.gid);
    expect(statusLine(own, "Uid")).toBe(`${uid}\t${uid}\t${uid}\t${uid}`);
    expect(statusLine(own, "Gid")).toBe(`${gid}\t${gid}\t${gid}\t${gid}`);
    // getgrouplist's, never lazarus's own (root's groups: what a forgotten setgroups would leave).
    const groups = statusLine(own, "Groups").split(/\s+/);
    expect(groups).toContain(gid);
    expect(groups).not.toContain("0");
    expect(groups).not.toContain(ROOTS_GROUP);
    expect(statusLine(given, "Uid")).toBe(`${uid}\t${uid}\t${uid}\t${uid}`);
    expect(statusLine(given, "Gid")).toBe("4242\t4242\t4242\t4242");
    expect(statusLine(given, "Groups")).toBe("4242");
    // The user's variables; the server's own env wins over them.
    expect(await environ(own)).toMatchObject({ HOME: NOBODY.home, USER: "nobody", LOGNAME: "nobody" });
    expect(await environ(given)).toMatchObject({ HOME: "/srv/given", USER: "nobody" });
    // Its limits; lazarus's own are not changed.
    expect(limit(own, "Max open files")).toEqual(["100", "200"]);
    expect(limit(own, "Max core file size")).toEqual(["0", "0"]);
    expect(limit(given, "Max open files")).toEqual(limit(r.proc.pid, "Max open files"));
    // The command probe ran as the server does (and so it could say it was ready).
    await r.waitFor("'own' is ready.");
    expect(readFileSync(join(out, "probe-uid"), "utf8").trim()).toBe(uid);
    expect(readFileSync(join(out, "probe-groups"), "utf8").trim().split(" ")).toEqual(groups);
    // A live re-exec: the new image makes the same plan (the names looked up again) and adopts both, restarting neither.
    const mark = r.lines.length;
    r.signal("SIGUSR1");
    await r.waitFor(/re-exec complete/, { from: mark });
    expect(r.lines.slice(mark).filter((l) => l.includes("started with pid"))).toEqual([]);
    expect(statusLine(own, "Uid")).toBe(`${uid}\t${uid}\t${uid}\t${uid}`);
    expect(statusLine(given, "Groups")).toBe("4242");
    // The new image respawns it as its user too (its launch found by the plan it made).
    const before = r.lines.length;
    process.kill(own, "SIGKILL");
    const again = await r.startedPid(before, "own");
    expect(statusLine(again, "Uid")).toBe(`${uid}\t${uid}\t${uid}\t${uid}`);
    expect(statusLine(again, "Groups").split(/\s+/)).toEqual(groups);
    expect(limit(again, "Max open files")).toEqual(["100", "200"]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("ctl status (text and JSON) and /api/status say whom a server runs as, when another user than lazarus", async () => {
    if (notRoot !== null) {
      console.log(`user test not run: ${notRoot}`);
      expect(notRoot).toMatch(/^not root/);
      return;
    }
    const dir = sharedDir();
    const sock = join(dir, "ctl.sock");
    writeFileSync(join(dir, "lazarus.toml"), `[servers.as]\ncmd = ["sleep", "1000"]\nuser = "nobody"\n[servers.me]\ncmd = ["sleep", "1000"]\n`);
    const r = start([`--config=${join(dir, "lazarus.toml")}`, `--control=${sock}`, "--http=127.0.0.1:0"]);
    await r.startedPid(0, "as");
    await r.startedPid(0, "me");
    const line = await r.waitFor(/HTTP endpoint at (http:\/\/\S+?)( \(read-only\))?\.$/);
    const url = /HTTP endpoint at (http:\/\/\S+?)( \(read-only\))?\.$/.exec(line)?.[1] as string;
    const text = await ctl(`--control=${sock}`, "status");
    const rows = text.out.split("\n").slice(1, 4).map((l) => l.split(/ {2,}/));
    expect(rows.map((x) => x[4])).toEqual(["USER", "nobody", "-"]);
    const json = JSON.parse((await ctl(`--control=${sock}`, "--json", "status")).out) as { status: { servers: { name: string; user?: string }[] } };
    expect(json.status.servers.map((s) => [s.name, s.user ?? null])).toEqual([["as", "nobody"], ["me", null]]);
    const api = await (await fetch(`${url}/api/status`)).json() as { status: { servers: { name: string; user?: string }[] } };
    expect(api.status.servers.map((s) => [s.name, s.user ?? null])).toEqual([["as", "nobody"], ["me", null]]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("ctl reload: another group restarts the server in it; a group that does not exist is refused, nothing changed", async () => {
    if (noSetpriv !== null) {
      console.log(`reload test not run: ${noSetpriv}`);
      expect(noSetpriv).toMatch(/^not root|setpriv/);
      return;
    }
    const dir = sharedDir();
    const file = join(dir, "lazarus.toml");
    const sock = join(dir, "ctl.sock");
    const config = (extra: string) => `control = ${JSON.stringify(sock)}\n[servers.web]\ncmd = ["sleep", "1000"]\nuser = "nobody"\n${extra}`;
    writeFileSync(file, config(""));
    const r = start([`--config=${file}`]);
    const first = await r.startedPid(0, "web");
    await r.waitFor("started, supervising");
    expect(statusLine(first, "Gid").split("\t")[0]).toBe(String(NOBODY?.gid));
    writeFileSync(file, config("group = 4242\n"));
    const from = r.lines.length;
    expect(await ctl(`--control=${sock}`, "reload")).toMatchObject({ code: 0, out: expect.stringContaining("changed: web") });
    const second = await r.startedPid(from, "web");
    expect(second).not.toBe(first);
    expect(statusLine(second, "Gid")).toBe("4242\t4242\t4242\t4242");
    expect(statusLine(second, "Groups")).toBe("4242");
    writeFileSync(file, config("group = \"no-such-group-here\"\n"));
    const refused = await ctl(`--control=${sock}`, "reload");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${file}:5: servers.web.group: no group named "no-such-group-here".`);
    expect(statusLine(second, "Gid")).toBe("4242\t4242\t4242\t4242");
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("an unknown user or group: one line naming the file, the line and the key, exit status 2, nothing started", async () => {
    const dir = tempDir();
    const file = join(dir, "lazarus.toml");
    writeFileSync(file, `control = "none"\n[servers.web]\ncmd = ["sleep", "1000"]\nuser = "no-such-user-here"\n`);
    const r = start([`--config=${file}`]);
    expect((await r.ended()).code).toBe(2);
    expect(r.lines).toEqual([`lazarus: ${file}:4: servers.web.user: no user named "no-such-user-here".`]);
    writeFileSync(file, `control = "none"\n[servers.web]\ncmd = ["sleep", "1000"]\nuser = "root"\ngroup = "no-such-group-here"\n`);
    const g = start([`--config=${file}`]);
    expect((await g.ended()).code).toBe(2);
    expect(g.lines).toEqual([`lazarus: ${file}:5: servers.web.group: no group named "no-such-group-here".`]);
  });

  test("lazarus not root: another user is refused at the start in one line; itself is allowed", async () => {
    if (noSetpriv !== null) {
      console.log(`not-root test not run: ${noSetpriv}`);
      expect(noSetpriv).toMatch(/^not root|setpriv/);
      return;
    }
    if (NOBODY === null) throw new Error("this system has no user named nobody");
    const dir = sharedDir();
    const file = join(dir, "lazarus.toml");
    // lazarus itself as nobody (setpriv: its ids, no supplementary groups).
    const asNobody = [`setpriv`, `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, "--clear-groups", BUN, "run", MAIN];
    writeFileSync(file, `control = "none"\n[servers.web]\ncmd = ["sleep", "1000"]\nuser = "root"\n`);
    const r = start([`--config=${file}`], { argv0: asNobody });
    expect((await r.ended()).code).toBe(2);
    expect(r.lines).toEqual([`lazarus: ${file}:4: servers.web.user: lazarus runs as uid ${NOBODY.uid}, not as root: it cannot run a server as another user (uid 0).`]);
    writeFileSync(file, `control = "none"\n[servers.web]\ncmd = ["sleep", "1000"]\nuser = "nobody"\n`);
    const self = start([`--config=${file}`], { argv0: asNobody });
    const pid = await self.startedPid(0, "web");
    expect(await environ(pid)).toMatchObject({ USER: "nobody", HOME: NOBODY.home });
    self.signal("SIGTERM");
    expect((await self.ended()).code).toBe(0);
  });

  test("a working directory root may enter and the user may not: the spawn fails, and the line names the user", async () => {
    if (notRoot !== null) {
      console.log(`working-directory test not run: ${notRoot}`);
      expect(notRoot).toMatch(/^not root/);
      return;
    }
    if (NOBODY === null) throw new Error("this system has no user named nobody");
    const dir = sharedDir();
    const own = join(dir, "roots");
    mkdirSync(own, { mode: 0o700 });
    chmodSync(own, 0o700);
    const file = join(dir, "lazarus.toml");
    writeFileSync(file, `control = "none"\n[servers.web]\ncmd = ["/bin/sleep", "1000"]\ncwd = "roots"\nuser = "nobody"\n`);
    const r = start([`--config=${file}`]);
    // It was "(chdir DIR, before executing …)": as root, DIR is there and may be entered.
    await r.waitFor(`lazarus: could not spawn 'web': EACCES: permission denied (chdir ${own} as uid ${NOBODY.uid}, before executing /bin/sleep); burying.`);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("root without CAP_SETGID: the spawn fails, and the line says which step and why", async () => {
    if (noSetpriv !== null) {
      console.log(`capability test not run: ${noSetpriv}`);
      expect(noSetpriv).toMatch(/^not root|setpriv/);
      return;
    }
    if (NOBODY === null) throw new Error("this system has no user named nobody");
    const dir = sharedDir();
    const file = join(dir, "lazarus.toml");
    writeFileSync(file, `control = "none"\n[servers.web]\ncmd = ["sleep", "1000"]\nuser = "nobody"\n`);
    // Root, but its capabilities to change ids taken away (the bounding set: gone at the exec).
    const r = start([`--config=${file}`], { argv0: ["setpriv", "--bounding-set=-setuid,-setgid", BUN, "run", MAIN] });
    await r.waitFor(/^lazarus: could not spawn 'web': EPERM: operation not permitted \(setgroups \d+(,\d+)*, before executing \S+sleep\); burying\.$/);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});
