// `ctl reload` on the real supervisor with real processes (issue 15): the file
// is edited, and what runs afterwards is checked from the outside (pids in the
// status, the fixtures' own lines, /proc).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "../../src/os/control-client.ts";
import { ctl, perTest, procState, type Run, SERVER, until, waitGone } from "../helpers/run.ts";

const { start } = perTest({ tmp: "lazarus-reload-" });

let dir = "";
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "lazarus-reload-")));
  for (const name of ["keep", "edit", "drop", "add", "many"]) symlinkSync(SERVER, join(dir, name));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row { readonly name: string; readonly state: string; readonly pid: number | null; readonly command: string[]; readonly ready?: boolean | null }

async function servers(sock: string): Promise<Row[]> {
  const res = await request(sock, { cmd: "status" });
  if (!res.ok) throw new Error(res.error);
  return (res.reply.status as { servers: Row[] }).servers;
}

/** The pid of each alive server, by name. */
async function pids(sock: string): Promise<Record<string, number | null>> {
  return Object.fromEntries((await servers(sock)).map((s) => [s.name, s.pid]));
}

/** The value of VAR a fixture with this pid printed (--print-env=VAR). */
async function envOf(r: Run, pid: number, v: string): Promise<string> {
  const line = await r.waitFor(new RegExp(`fixture: pid=${pid} env ${v}[= ]`));
  return line.slice(line.indexOf(`env ${v}`) + `env ${v}`.length).replace(/^=/, "");
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const server = (name: string, extra = "") => `[servers.${name}]\ncmd = ["./${name}", "--print-env=COLOUR", "--print-env=LAZARUS_INSTANCE"]\n${extra}`;

describe("ctl reload", () => {
  test("four servers; one's environment changed, one removed, one added: the untouched keeps its pid, the changed runs with the new environment, the removed is gone, the new runs", async () => {
    const sock = join(dir, "ctl1.sock");
    const toml = write("four.toml", [server("keep"), server("edit", `env = { COLOUR = "red" }\n`), server("drop"), server("many")].join("\n"));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitForCount(/fixture: pid=\d+ env COLOUR/, 4);
    const before = await until(async () => {
      const p = await pids(sock);
      return Object.values(p).every((x) => x !== null) ? p : null;
    }, "four servers alive");
    expect(await envOf(r, before.edit as number, "COLOUR")).toBe("red");

    write("four.toml", [server("keep"), server("edit", `env = { COLOUR = "blue" }\n`), server("many"), server("add")].join("\n"));
    const res = await ctl(`--control=${sock}`, "reload");
    expect(res).toEqual({
      code: 0,
      out: "reloaded: 1 added (add), 1 changed (edit), 1 removed (drop), 2 unchanged\nadded: add\nchanged: edit\nremoved: drop\nunchanged: keep, many\n",
      err: "",
    });
    expect(await waitGone([before.drop as number, before.edit as number])).toEqual([]);
    const after = await until(async () => {
      const p = await pids(sock);
      // edit's new process: the old pid gone from /proc does not mean lazarus has handled its exit yet.
      return p.edit !== null && p.add !== null && p.edit !== undefined && p.add !== undefined && p.edit !== before.edit ? p : null;
    }, "the changed and the new server alive");
    expect(Object.keys(after).sort()).toEqual(["add", "edit", "keep", "many"]);
    expect(after.keep).toBe(before.keep);
    expect(after.many).toBe(before.many);
    expect(after.edit).not.toBe(before.edit);
    expect(await envOf(r, after.edit as number, "COLOUR")).toBe("blue");
    expect(procState(before.keep as number)).not.toBeNull();
    // An empty name is no server's (it found the slot the removed server left: "no such server: 2").
    expect(await ctl(`--control=${sock}`, "stop", "")).toEqual({ code: 1, out: "", err: "lazarus: ctl: refused: no server named \"\"\n" });
    // Only the changed and the removed got a signal: the untouched ones logged nothing.
    expect(r.own.filter((l) => /'(keep|many)'/.test(l))).toEqual([`'keep' started with pid ${before.keep}.`, `'many' started with pid ${before.many}.`]);

    // A broken edit changes nothing, and ctl says why (file, line, key) and fails.
    write("four.toml", [server("keep"), server("edit", `env = { COLOUR = "green" }\n`), `[servers.bad]\ncmd = ["./keep"]\nintervall = 3\n`].join("\n"));
    const bad = await ctl(`--control=${sock}`, "reload");
    expect(bad.code).toBe(1);
    expect(bad.out).toBe("");
    expect(bad.err).toMatch(/^lazarus: ctl: refused: .*four\.toml:\d+: servers\.bad\.intervall: unknown key/);
    await r.waitFor(/reload failed, nothing changed: .*four\.toml:\d+: servers\.bad\.intervall/);
    expect(await pids(sock)).toEqual(after);
    const json = await ctl(`--control=${sock}`, "--json", "reload");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false });

    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("--json lists what was added, changed, removed and left alone; a re-exec afterwards runs the reloaded configuration", async () => {
    const sock = join(dir, "ctl2.sock");
    const toml = write("two.toml", [server("keep"), server("edit")].join("\n"));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitForCount(/fixture: pid=\d+ env COLOUR/, 2);
    write("two.toml", [server("keep"), server("add")].join("\n"));
    const res = await ctl(`--control=${sock}`, "--json", "reload");
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ ok: true, reload: { added: ["add"], changed: [], removed: ["edit"], unchanged: ["keep"] } });
    const keep = await until(async () => (await pids(sock)).keep ?? null, "keep alive");
    await until(async () => ((await servers(sock)).length === 2 ? true : null), "the removed server forgotten");
    // The file is edited again but not reloaded: a re-exec runs what was reloaded, not the file.
    write("two.toml", [server("keep"), server("edit")].join("\n"));
    r.signal("SIGUSR1");
    await r.waitFor("re-exec complete");
    const st = await servers(sock);
    expect(st.map((s) => s.name)).toEqual(["keep", "add"]);
    expect(st[0]?.pid).toBe(keep);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("instances = 3 runs three copies with distinct LAZARUS_INSTANCE; a reload to 1 stops the highest-numbered, back to 3 starts them again, the survivor untouched", async () => {
    const sock = join(dir, "ctl3.sock");
    const toml = write("inst.toml", server("many", "instances = 3\n"));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    const three = await until(async () => {
      const p = await pids(sock);
      return Object.values(p).length === 3 && Object.values(p).every((x) => x !== null) ? p : null;
    }, "three copies alive");
    expect(Object.keys(three)).toEqual(["many.1", "many.2", "many.3"]);
    const instances = await Promise.all(Object.values(three).map((pid) => envOf(r, pid as number, "LAZARUS_INSTANCE")));
    expect(instances).toEqual(["1", "2", "3"]);

    write("inst.toml", server("many", "instances = 1\n"));
    const down = await ctl(`--control=${sock}`, "reload");
    expect(down.out.split("\n")[0]).toBe("reloaded: 0 added, 0 changed, 2 removed (many.2, many.3), 1 unchanged");
    expect(await waitGone([three["many.2"] as number, three["many.3"] as number])).toEqual([]);
    await until(async () => ((await servers(sock)).length === 1 ? true : null), "one copy left");
    expect(await pids(sock)).toEqual({ "many.1": three["many.1"] as number });

    write("inst.toml", server("many", "instances = 3\n"));
    const up = await ctl(`--control=${sock}`, "reload");
    expect(up.out.split("\n")[0]).toBe("reloaded: 2 added (many.2, many.3), 0 changed, 0 removed, 1 unchanged");
    const again = await until(async () => {
      const p = await pids(sock);
      return Object.values(p).length === 3 && Object.values(p).every((x) => x !== null) ? p : null;
    }, "three copies alive again");
    expect(again["many.1"]).toBe(three["many.1"] as number);
    expect(await Promise.all([again["many.2"], again["many.3"]].map((pid) => envOf(r, pid as number, "LAZARUS_INSTANCE")))).toEqual(["2", "3"]);
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("a rename (a table's copies become one server of its name) waits for the old copies to end: never two processes of one seat at once", async () => {
    const sock = join(dir, "rename.sock");
    const copies = `[servers.many]\ncmd = ["./many", "--ignore-term"]\ninstances = 2\nstop_timeout = 2\n`;
    const toml = write("rename.toml", copies);
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    const before = await until(async () => {
      const p = await pids(sock);
      return typeof p["many.1"] === "number" && typeof p["many.2"] === "number" ? p : null;
    }, "many.1 and many.2 alive");
    write("rename.toml", `[servers.many]\ncmd = ["./many", "--ignore-term"]\nstop_timeout = 2\n`);
    const res = await ctl(`--control=${sock}`, "reload");
    expect(res.out.split("\n")[0]).toBe("reloaded: 1 added (many), 0 changed, 2 removed (many.1, many.2), 0 unchanged");
    // Both old copies still stop (they ignore SIGTERM: SIGKILL after 2 s): the new 'many' waits.
    const rows = await servers(sock);
    expect(rows.map((s) => [s.name, s.state, s.pid])).toEqual([
      ["many.1", "alive", before["many.1"] ?? null], ["many.2", "alive", before["many.2"] ?? null], ["many", "waiting", null],
    ]);
    await r.waitFor(`'many' waits for its old process (pid ${before["many.1"]}) to end (a removed server's, still stopping).`);
    const after = await until(async () => {
      const p = await pids(sock);
      return Object.keys(p).join() === "many" && typeof p.many === "number" ? p : null;
    }, "many alive, the copies gone");
    const own = r.own;
    const started = own.indexOf(`'many' started with pid ${after.many}.`);
    for (const n of ["many.1", "many.2"]) {
      const ended = own.indexOf(`'${n}' stopped, cremating.`);
      expect(ended).toBeGreaterThanOrEqual(0);
      expect(started).toBeGreaterThan(ended);
    }
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });

  test("reload --wait answers once the changed server's new process is ready (not before), and exits 1 naming a server the reload left buried", async () => {
    const sock = join(dir, "ctl-wait.sock");
    const gate = join(dir, "wait-gate");
    writeFileSync(gate, "");
    // Ready once it has printed "saw GATE", which it does as soon as the gate exists.
    const cfg = (colour: string) =>
      `[servers.edit]\ncmd = ["./edit", "--print-env=COLOUR", "--echo-when=${gate}"]\nenv = { COLOUR = "${colour}" }\nready = { log = "saw " }\n`;
    const toml = write("wait.toml", cfg("red"));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor(/fixture: pid=\d+ saw/);
    const old = await until(async () => (await servers(sock)).find((s) => s.name === "edit" && s.ready === true)?.pid ?? null, "edit ready");

    rmSync(gate);
    write("wait.toml", cfg("blue"));
    let answered = false;
    const waiting = ctl(`--control=${sock}`, "reload", "--wait=60").then((res) => {
      answered = true;
      return res;
    });
    // The new process runs with the new environment, and cannot be ready: the gate is gone.
    const line = await r.waitFor(/fixture: pid=\d+ env COLOUR=blue/);
    const fresh = Number(/pid=(\d+)/.exec(line)?.[1]);
    expect(fresh).not.toBe(old);
    const row = await until(async () => (await servers(sock)).find((s) => s.name === "edit" && s.pid === fresh) ?? null, "the new process in the status");
    expect(row.ready).toBe(false);
    expect(answered).toBe(false);
    expect(existsSync(gate)).toBe(false);

    writeFileSync(gate, "");
    const res = await waiting;
    expect(res).toEqual({
      code: 0,
      out: "reloaded: 0 added, 1 changed (edit), 0 removed, 0 unchanged\nchanged: edit\nin effect: the 1 added or changed server(s) are up and ready (or at rest), nothing removed still runs\n",
      err: "",
    });
    expect(r.lines.some((l) => l.includes(`fixture: pid=${fresh} saw`))).toBe(true);
    expect((await servers(sock)).find((s) => s.name === "edit")).toMatchObject({ pid: fresh, ready: true, state: "alive" });

    // A change that crashes at once: buried, and --wait says so.
    write("wait.toml", `[servers.edit]\ncmd = ["./edit", "--life=0.05", "--exit=4"]\n`);
    const failed = await ctl(`--control=${sock}`, "reload", "--wait=60");
    expect(failed.code).toBe(1);
    expect(failed.out).toBe("reloaded: 0 added, 1 changed (edit), 0 removed, 0 unchanged\nchanged: edit\n");
    expect(failed.err).toBe("lazarus: ctl: did not take effect: edit is buried (its last exit: code 4)\n");
    expect((await servers(sock)).find((s) => s.name === "edit")?.state).toBe("buried");
  });

  test("reload --wait: a reload's rolling restart that stops (its first new process never ready) fails at once, the copies keeping their old processes", async () => {
    const sock = join(dir, "ctl-wait-roll.sock");
    const gate = join(dir, "roll-gate");
    writeFileSync(gate, "");
    const cfg = (colour: string) =>
      `[servers.edit]\ncmd = ["./edit", "--print-env=COLOUR", "--echo-when=${gate}"]\ninstances = 2\nenv = { COLOUR = "${colour}" }\nready = { log = "saw " }\nready_timeout = 1\n`;
    const toml = write("wait-roll.toml", cfg("red"));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitForCount(/fixture: pid=\d+ saw/, 2);
    const old = await until(async () => {
      const rows = await servers(sock);
      return rows.length === 2 && rows.every((x) => x.ready === true) ? rows.map((x) => x.pid) : null;
    }, "both copies ready");
    rmSync(gate);
    write("wait-roll.toml", cfg("blue"));
    const res = await ctl(`--control=${sock}`, "reload", "--wait=50");
    expect(res.code).toBe(1);
    expect(res.err).toBe("lazarus: ctl: did not take effect: edit.1 keeps its old process: the rolling restart stopped before it (lazarus's log says why)\n");
    expect(r.own.some((l) => l.startsWith("rolling restart of 'edit' stopped at 'edit.1'"))).toBe(true);
    // (the new process given up may still be on its way out, shown as 'edit.1 (new)': once it has ended)
    const after = await until(async () => {
      const rows = await servers(sock);
      return rows.length === 2 ? rows : null;
    }, "the given-up new process gone");
    expect(after.map((x) => [x.name, x.pid])).toEqual([["edit.1", old[0] as number], ["edit.2", old[1] as number]]);
  });

  test("two operators reload the same edit while its rolling restart waits: the second carries it on, and every copy ends up on the new settings", async () => {
    const sock = join(dir, "ctl-twice.sock");
    const gate = join(dir, "twice-gate");
    writeFileSync(gate, "");
    const cfg = (colour: string) =>
      `[servers.edit]\ncmd = ["./edit", "--print-env=COLOUR", "--echo-when=${gate}"]\ninstances = 2\nenv = { COLOUR = "${colour}" }\nready = { log = "saw " }\n`;
    const toml = write("twice.toml", cfg("red"));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitForCount(/fixture: pid=\d+ saw/, 2);
    const old = await until(async () => {
      const rows = await servers(sock);
      return rows.length === 2 && rows.every((x) => x.ready === true) ? rows.map((x) => x.pid as number) : null;
    }, "both copies ready");
    // The gate is gone: edit.1's new process (blue) starts beside the old one and waits.
    rmSync(gate);
    write("twice.toml", cfg("blue"));
    const first = await ctl(`--control=${sock}`, "reload");
    expect(first.out.split("\n")[0]).toBe("reloaded: 0 added, 2 changed (edit.1, edit.2), 0 removed, 0 unchanged; a rolling restart of 'edit' replaces its copies one at a time (its end is logged)");
    await r.waitFor(/fixture: pid=\d+ env COLOUR=blue/);
    // The second operator's reload of the same file ends that roll, and carries it on: both copies still run red.
    const second = await ctl(`--control=${sock}`, "reload");
    expect(second.code).toBe(0);
    expect(second.out.split("\n")[0]).toBe("reloaded: 0 added, 2 changed (edit.1, edit.2), 0 removed, 0 unchanged; a rolling restart of 'edit' replaces its copies one at a time (its end is logged)");
    await r.waitFor("lazarus: rolling restart of 'edit' stopped at 'edit.1': a reload came; none restarted, edit.2 left running as it was.");
    writeFileSync(gate, "");
    await r.waitFor("rolling restart of 'edit' done: 2 instances restarted, each ready again.");
    expect(await waitGone(old)).toEqual([]);
    const rows = await until(async () => {
      const x = await servers(sock);
      return x.length === 2 && x.every((s) => s.ready === true && !old.includes(s.pid as number)) ? x : null;
    }, "both copies on their new process");
    expect(await Promise.all(rows.map((s) => envOf(r, s.pid as number, "COLOUR")))).toEqual(["blue", "blue"]);
    expect(rows.map((s) => s.state)).toEqual(["alive", "alive"]);
    expect(await ctl(`--control=${sock}`, "reload")).toMatchObject({ code: 0, out: "reloaded: 0 added, 0 changed, 0 removed, 2 unchanged\nunchanged: edit.1, edit.2\n" });
  });

  test("a re-exec during a rolling reload: the copies it did not replace still show their old command and a new spec pending, and the next reload replaces them", async () => {
    const sock = join(dir, "ctl-reexec-roll.sock");
    const gate = join(dir, "reexec-roll-gate");
    writeFileSync(gate, "");
    const cfg = (colour: string) =>
      `[servers.edit]\ncmd = ["./edit", "--print-env=COLOUR", "--echo-when=${gate}", "--${colour}"]\ninstances = 2\nenv = { COLOUR = "${colour}" }\nready = { log = "saw " }\n`;
    const toml = write("reexec-roll.toml", cfg("red"));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitForCount(/fixture: pid=\d+ saw/, 2);
    const old = await until(async () => {
      const rows = await servers(sock);
      return rows.length === 2 && rows.every((x) => x.ready === true) ? rows.map((x) => x.pid as number) : null;
    }, "both copies ready");
    rmSync(gate);
    write("reexec-roll.toml", cfg("blue"));
    await ctl(`--control=${sock}`, "reload");
    await r.waitFor(/fixture: pid=\d+ env COLOUR=blue/);
    r.signal("SIGUSR1");
    await r.waitFor("re-exec complete");
    // The new image runs the copies' old processes under the spec they run (they used to show the new command, and a
    // reload found them unchanged: they ran red for good).
    const rows = await servers(sock);
    expect(rows.map((s) => [s.name, s.pid, s.command.at(-1)])).toEqual([["edit.1", old[0], "--red"], ["edit.2", old[1], "--red"]]);
    const table = await ctl(`--control=${sock}`, "status");
    expect(table.out.split("\n").filter((l) => l.includes("alive (changed: old spec)")).length).toBe(2);
    const again = await ctl(`--control=${sock}`, "reload");
    expect(again.out.split("\n")[0]).toBe("reloaded: 0 added, 2 changed (edit.1, edit.2), 0 removed, 0 unchanged; a rolling restart of 'edit' replaces its copies one at a time (its end is logged)");
    writeFileSync(gate, "");
    await r.waitFor("rolling restart of 'edit' done: 2 instances restarted, each ready again.");
    expect(await waitGone(old)).toEqual([]);
    const after = await until(async () => {
      const x = await servers(sock);
      return x.length === 2 && x.every((s) => s.ready === true && !old.includes(s.pid as number)) ? x : null;
    }, "both copies on their new process");
    expect(await Promise.all(after.map((s) => envOf(r, s.pid as number, "COLOUR")))).toEqual(["blue", "blue"]);
    expect(after.map((s) => s.command.at(-1))).toEqual(["--blue", "--blue"]);
  });

  test("a reload that changes what it does not move (the control socket, the event log) says so, in its answer and the log, and moves nothing", async () => {
    const sock = join(dir, "ctl-unapplied.sock");
    const toml = write("unapplied.toml", server("keep"));
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor(/fixture: pid=\d+ env COLOUR/);
    write("unapplied.toml", `event_log = "unapplied.jsonl"\n${server("keep")}`);
    const res = await ctl(`--control=${sock}`, "reload");
    expect(res).toEqual({
      code: 0,
      out: "reloaded: 0 added, 0 changed, 0 removed, 1 unchanged; event_log changed in the files: a reload does not move it; it takes effect when lazarus next starts or re-execs\nunchanged: keep\n",
      err: "",
    });
    await r.waitFor("lazarus: event_log changed in the files: a reload does not move it; it takes effect when lazarus next starts or re-execs.");
    expect(existsSync(join(dir, "unapplied.jsonl"))).toBe(false);
    // (--control on the command line wins over the file's: nothing to say about it)
    write("unapplied.toml", `control = "${join(dir, "elsewhere.sock")}"\n${server("keep")}`);
    expect((await ctl(`--control=${sock}`, "reload")).out.split("\n")[0]).toBe("reloaded: 0 added, 0 changed, 0 removed, 1 unchanged");
  });

  test("restart --wait answers once the new process is ready (not before)", async () => {
    const sock = join(dir, "ctl-wait-restart.sock");
    const gate = join(dir, "restart-gate");
    writeFileSync(gate, "");
    const toml = write("wait-restart.toml", `[servers.edit]\ncmd = ["./edit", "--echo-when=${gate}"]\nready = { log = "saw " }\n`);
    const r = start([`--config=${toml}`, `--control=${sock}`]);
    await r.waitFor(/fixture: pid=\d+ saw/);
    const old = await until(async () => (await servers(sock)).find((s) => s.name === "edit" && s.ready === true)?.pid ?? null, "edit ready");
    rmSync(gate);
    let answered = false;
    const waiting = ctl(`--control=${sock}`, "restart", "edit", "--wait=60").then((res) => {
      answered = true;
      return res;
    });
    const fresh = await until(async () => (await servers(sock)).find((s) => s.name === "edit" && s.pid !== null && s.pid !== old)?.pid ?? null, "edit's new process");
    expect((await servers(sock)).find((s) => s.pid === fresh)?.ready).toBe(false);
    expect(answered).toBe(false);
    writeFileSync(gate, "");
    const res = await waiting;
    expect(res.code).toBe(0);
    expect(res.out).toEndWith("in effect: 'edit' is up and ready (or at rest)\n");
    expect((await servers(sock)).find((s) => s.name === "edit")).toMatchObject({ pid: fresh, ready: true });
  });
});

describe("ctl reload of a change of policy only (updated in place)", () => {
  test("a health interval and a stop timeout changed in the file: the same process runs on, its probes follow the new interval, and the shutdown kills it after the new stop timeout", async () => {
    const sock = join(dir, "ctl-in-place.sock");
    const probed = join(dir, "in-place-probed");
    // An hour between probes, and a minute to stop: neither comes within the test unless the reload's values apply.
    const file = (interval: number, stopTimeout: number) => write("in-place.toml", [
      "[servers.web]", `cmd = ["./keep", "--ignore-term"]`, `stop_timeout = ${stopTimeout}`,
      `health = { cmd = ["touch", "${probed}"], interval = ${interval}, timeout = 0.2 }`, "",
    ].join("\n"));
    const r = start([`--config=${file(3600, 60)}`, `--control=${sock}`]);
    const pid = Number((await r.waitFor(/'web' started with pid \d+/)).match(/pid (\d+)/)?.[1]);
    expect((await pids(sock)).web).toBe(pid);
    file(0.2, 0.3);
    const res = await ctl(`--control=${sock}`, "reload");
    expect(res).toEqual({
      code: 0, out: "reloaded: 0 added, 0 changed, 0 removed, 1 unchanged (1 updated in place: web)\nunchanged: web\nupdated: web\n", err: "",
    });
    // Its probe runs on the new schedule (the old one's first was an hour away), and it is the same process.
    await until(async () => (existsSync(probed) ? true : null), "a health probe on the new interval");
    expect((await pids(sock)).web).toBe(pid);
    expect(procState(pid)).not.toBeNull();
    r.signal("SIGTERM");
    // It ignores SIGTERM: the shutdown's SIGKILL comes after the new stop timeout, not the old minute.
    await r.waitFor("'web' did not stop within 0.300 s, killing it.");
    expect((await r.ended()).code).toBe(0);
    // The reload gave it no signal and no stop order: it started once, and stopped only at the shutdown.
    expect(r.own.filter((l) => /'web' (started|\(pid \d+\) was)/.test(l))).toEqual([`'web' started with pid ${pid}.`]);
  });

  test("autostart turned on (policy only) starts the server, and `reload --wait` waits for it: one that dies at once fails the wait", async () => {
    const sock = join(dir, "ctl-autostart.sock");
    const file = (autostart: boolean) => write("autostart.toml", [
      "[servers.keep]", `cmd = ["./keep"]`, "[servers.add]", `cmd = ["./add", "--life=0.2", "--exit=3"]`, `autostart = ${autostart}`, "",
    ].join("\n"));
    const r = start([`--config=${file(false)}`, `--control=${sock}`]);
    await r.waitFor("started, supervising");
    file(true);
    // It was "0 changed … 2 unchanged (1 updated in place: add)" and `in effect: the 0 added or changed server(s) …`,
    // exit 0, while 'add' was being started (and then buried).
    const res = await ctl(`--control=${sock}`, "reload", "--wait=30");
    expect(res).toEqual({
      code: 1, out: "reloaded: 0 added, 1 changed (add), 0 removed, 1 unchanged\nchanged: add\nunchanged: keep\n",
      err: "lazarus: ctl: did not take effect: add is buried (its last exit: code 3)\n",
    });
    r.signal("SIGTERM");
    expect((await r.ended()).code).toBe(0);
  });
});
