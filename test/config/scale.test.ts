// `ctl scale`'s counts and a Procfile's --formation in the plan (issue 15):
// which names run, with which LAZARUS_INSTANCE, and when a count given by
// `ctl scale` still holds after the file changed.
import { describe, expect, test } from "bun:test";
import { parseCommandLine, parseFormation } from "../../src/cli/parse.ts";
import { carryScales, readScales } from "../../src/config/load.ts";
import { assemble, type Plan, type Scales, type Sources } from "../../src/config/plan.ts";
import { ctlRequest } from "../../src/cli/ctl.ts";
import { parseRequest } from "../../src/control/protocol.ts";

const CWD = "/srv/app";

function tryPlan(args: string[], sources: Sources, scales: Scales = {}) {
  const p = parseCommandLine(args, { defaultConfig: sources.config?.file ?? null });
  if (p.kind !== "run") throw new Error(`command line did not parse: ${JSON.stringify(p)}`);
  return assemble(p.options, p.servers.map((s) => s.argv), sources, CWD, {}, scales);
}
function plan(args: string[], sources: Sources, scales: Scales = {}): Plan {
  const r = tryPlan(args, sources, scales);
  if (!r.ok) throw new Error(`unexpected error: ${r.error}`);
  return r.plan;
}
const toml = (text: string) => ({ config: { file: "lazarus.toml", text } });
const procfile = (text: string) => ({ procfile: { file: "Procfile", text } });
const names = (p: Plan) => p.servers.map((s) => s.name);
const instances = (p: Plan) => p.launches.map((l) => l.env.LAZARUS_INSTANCE);

describe("ctl scale's counts", () => {
  const file = toml(`[servers.web]\ncmd = ["srv"]\ninstances = 3\n[servers.db]\ncmd = ["db"]\n[servers.proxy]\ncmd = ["px"]\ndepends_on = ["web"]\n`);

  test("what can be scaled: every table, with the count its file gives (null: none)", () => {
    const p = plan([], file);
    expect([...p.scalable]).toEqual([["web", 3], ["db", null], ["proxy", null]]);
    expect(p.scales).toEqual({});
  });

  test("a count whose base is the file's replaces it: down to 1, up to 5; LAZARUS_INSTANCE and dependencies follow", () => {
    const down = plan([], file, { web: { count: 1, base: 3 } });
    expect(names(down)).toEqual(["web.1", "db", "proxy"]);
    expect(down.servers[2]?.dependsOn).toEqual([0]);
    expect(down.scales).toEqual({ web: { count: 1, base: 3 } });
    const up = plan([], file, { web: { count: 5, base: 3 } });
    expect(names(up)).toEqual(["web.1", "web.2", "web.3", "web.4", "web.5", "db", "proxy"]);
    expect(instances(up)).toEqual(["1", "2", "3", "4", "5", undefined, undefined]);
    expect(up.servers[6]?.dependsOn).toEqual([0, 1, 2, 3, 4]);
  });

  test("the copies that stay are the same servers as before (same spec and launch), whatever the count", () => {
    const three = plan([], file);
    const five = plan([], file, { web: { count: 5, base: 3 } });
    expect(five.servers.slice(0, 3)).toEqual(three.servers.slice(0, 3));
    expect(five.launches.slice(0, 3)).toEqual(three.launches.slice(0, 3));
  });

  test("a table without instances is numbered once scaled (db → db.1, db.2)", () => {
    const p = plan([], file, { db: { count: 2, base: null } });
    expect(names(p)).toEqual(["web.1", "web.2", "web.3", "db.1", "db.2", "proxy"]);
    expect(instances(p).slice(3, 5)).toEqual(["1", "2"]);
  });

  test("once the file's count changed, the count of ctl scale is dropped (the file wins); a name gone from the file drops it too", () => {
    const edited = toml(`[servers.web]\ncmd = ["srv"]\ninstances = 2\n`);
    const p = plan([], edited, { web: { count: 5, base: 3 }, db: { count: 2, base: null } });
    expect(names(p)).toEqual(["web.1", "web.2"]);
    expect(p.scales).toEqual({});
    // Another key of the table changed, not its count: the scale holds.
    const other = plan([], toml(`[servers.web]\ncmd = ["srv", "-v"]\ninstances = 3\n`), { web: { count: 1, base: 3 } });
    expect(names(other)).toEqual(["web.1"]);
  });

  test("a copy's name that another server has is refused", () => {
    const r = tryPlan([], toml(`[servers.web]\ncmd = ["srv"]\n[servers."web.2"]\ncmd = ["x"]\n`), { web: { count: 2, base: null } });
    expect(r).toEqual({ ok: false, error: "lazarus.toml: servers.web.instances: its copy \"web.2\" has the name of another server." });
  });

  test("Procfile processes scale the same way", () => {
    const p = plan(["--procfile=Procfile"], procfile("web: ./web\nworker: ./w\n"), { web: { count: 3, base: null } });
    expect(names(p)).toEqual(["web.1", "web.2", "web.3", "worker"]);
    expect(instances(p)).toEqual(["1", "2", "3", undefined]);
    expect(p.launches.map((l) => l.log)).toEqual([null, null, null, null]);
    expect([...p.scalable]).toEqual([["web", null], ["worker", null]]);
  });

  test("the counts travel across a re-exec as text; what cannot be read is left out", () => {
    const s: Scales = { web: { count: 2, base: 3 }, db: { count: 4, base: null } };
    expect(readScales(carryScales(s) ?? undefined)).toEqual(s);
    expect(carryScales({})).toBeNull();
    expect(readScales(undefined)).toEqual({});
    expect(readScales("{not json")).toEqual({});
    expect(readScales(JSON.stringify({ a: { count: "2", base: null }, b: { count: 2, base: 1.5 }, c: { count: 1, base: 2 } }))).toEqual({ c: { count: 1, base: 2 } });
  });
});

describe("ctl scale NAME 0 (docs/spec.md, Scale)", () => {
  const file = toml(`[servers.web]\ncmd = ["srv"]\ninstances = 3\n[servers.db]\ncmd = ["db"]\n[servers.proxy]\ncmd = ["px"]\ndepends_on = ["web", "db"]\n`);

  test("no copies; the name stays scalable; the core is told it is held at 0; a dependency on it is none", () => {
    const p = plan([], file, { web: { count: 0, base: 3 } });
    expect(names(p)).toEqual(["db", "proxy"]);
    expect(p.servers[1]?.dependsOn).toEqual([0]);
    expect([...p.scalable]).toEqual([["web", 3], ["db", null], ["proxy", null]]);
    expect(p.scales).toEqual({ web: { count: 0, base: 3 } });
    expect(p.settings.scaledToZero).toEqual(["web"]);
    // A table without instances too; a Procfile process too.
    expect(names(plan([], file, { db: { count: 0, base: null } }))).toEqual(["web.1", "web.2", "web.3", "proxy"]);
    const proc = plan(["--procfile=Procfile"], procfile("web: ./web\nworker: ./w\n"), { web: { count: 0, base: null } });
    expect(names(proc)).toEqual(["worker"]);
    expect(proc.settings.scaledToZero).toEqual(["web"]);
    // Without a 0: nothing held.
    expect(plan([], file, { web: { count: 1, base: 3 } }).settings.scaledToZero).toBeUndefined();
  });

  test("every table at 0 is a plan with no server (lazarus waits for a scale), not 'nothing to run'", () => {
    const only = toml(`[servers.web]\ncmd = ["srv"]\ninstances = 2\n`);
    const p = plan([], only, { web: { count: 0, base: 2 } });
    expect(p.servers).toEqual([]);
    expect(p.settings.scaledToZero).toEqual(["web"]);
    expect(names(plan(["--procfile=Procfile"], procfile("web: ./web\n"), { web: { count: 0, base: null } }))).toEqual([]);
    // The file's count changed: the 0 is dropped, the file's copies run.
    expect(names(plan([], only, { web: { count: 0, base: 3 } }))).toEqual(["web.1", "web.2"]);
    // --formation's 0 alone (no ctl scale) still runs nothing: refused at the start, as before.
    expect(tryPlan(["--procfile=Procfile", "--formation=web=0"], procfile("web: ./web\n")).ok).toBe(false);
  });

  test("a count of 0 travels across a re-exec; a negative one is left out", () => {
    expect(readScales(carryScales({ web: { count: 0, base: 3 } }) ?? undefined)).toEqual({ web: { count: 0, base: 3 } });
    expect(readScales(JSON.stringify({ web: { count: -1, base: 3 } }))).toEqual({});
  });

  test("instances = 0 in a file stays refused (autostart = false is the file's way not to run a server)", () => {
    const r = tryPlan([], toml(`[servers.web]\ncmd = ["srv"]\ninstances = 0\n`));
    expect(r.ok).toBe(false);
  });
});

describe("--formation (foreman's)", () => {
  const file = procfile("web: ./web\nworker: ./w\nclock: ./c\n");

  test("web=2,worker=1: NAME.1 … NAME.N for the processes named, NAME alone for the others", () => {
    const p = plan(["--procfile=Procfile", "--formation=web=2,worker=1"], file);
    expect(names(p)).toEqual(["web.1", "web.2", "worker.1", "clock"]);
    expect(instances(p)).toEqual(["1", "2", "1", undefined]);
    expect([...p.scalable]).toEqual([["web", 2], ["worker", 1], ["clock", null]]);
  });

  test("all=N for every process not named; 0 runs none of it", () => {
    expect(names(plan(["--procfile=Procfile", "--formation=all=2,clock=0"], file))).toEqual(["web.1", "web.2", "worker.1", "worker.2"]);
  });

  test("ctl scale's count holds while the formation still says the same", () => {
    const p = plan(["--procfile=Procfile", "--formation=web=2"], file, { web: { count: 1, base: 2 }, worker: { count: 2, base: 1 } });
    expect(names(p)).toEqual(["web.1", "worker", "clock"]);
    expect(p.scales).toEqual({ web: { count: 1, base: 2 } });
  });

  test.each([
    ["--formation=web", "Invalid value for --formation: \"web\" is not NAME=N (NAME=N,NAME=N,…; N from 0 to 100; all=N for every other process)."],
    ["--formation=", "Invalid value for --formation: empty (NAME=N,NAME=N,…; N from 0 to 100; all=N for every other process)."],
    ["--formation=web=-1", "Invalid value for --formation: \"web=-1\" is not NAME=N (NAME=N,NAME=N,…; N from 0 to 100; all=N for every other process)."],
    ["--formation=web=101", "Invalid value for --formation: 101 copies of \"web\" are too many (NAME=N,NAME=N,…; N from 0 to 100; all=N for every other process)."],
    ["--formation=web=1,web=2", "Invalid value for --formation: \"web\" is given twice (NAME=N,NAME=N,…; N from 0 to 100; all=N for every other process)."],
  ])("%s is refused in one line", (arg, message) => {
    expect(parseCommandLine(["--procfile=Procfile", arg])).toEqual({ kind: "error", message });
  });

  test("without --procfile, or naming a process the Procfile does not have, it is refused", () => {
    expect(parseCommandLine(["--formation=web=2", "{", "x", "}"])).toEqual({ kind: "error", message: "--formation is for the processes of a Procfile: give --procfile=FILE too." });
    expect(tryPlan(["--procfile=Procfile", "--formation=wbe=2"], file)).toEqual({ ok: false, error: "--formation: Procfile has no process named \"wbe\"." });
  });

  test("a copy's name that another process has is refused", () => {
    expect(tryPlan(["--procfile=Procfile", "--formation=web=2"], procfile("web: ./web\nweb.2: ./x\n"))).toEqual({
      ok: false, error: "Procfile:1: web's copy \"web.2\" has the name of another server (in Procfile).",
    });
  });

  test("parseFormation", () => {
    expect(parseFormation("web=2,worker=1,all=0")).toEqual({ web: 2, worker: 1, all: 0 });
  });
});

describe("ctl scale NAME N: the request", () => {
  test("ctl's words become {cmd: scale, server, count}; a bad count or arity is a usage error", () => {
    expect(ctlRequest(["scale", "web", "3"])).toEqual({ cmd: "scale", server: "web", count: 3 });
    expect(ctlRequest(["scale", "web"])).toBe("scale takes two arguments (NAME N)");
    expect(ctlRequest(["scale", "web", "0"])).toEqual({ cmd: "scale", server: "web", count: 0 });
    expect(ctlRequest(["scale", "web", "101"])).toBe("scale: \"101\" is not a number of copies from 0 to 100");
    expect(ctlRequest(["scale", "web", "x"])).toBe("scale: \"x\" is not a number of copies from 0 to 100");
    expect(ctlRequest(["scale", "web", "-1"])).toBe("scale: \"-1\" is not a number of copies from 0 to 100");
  });

  test("the protocol checks it again", () => {
    expect(parseRequest(JSON.stringify({ cmd: "scale", server: "web", count: 2, id: 7 }), [])).toEqual({ kind: "scale", id: 7, name: "web", count: 2 });
    expect(parseRequest(JSON.stringify({ cmd: "scale", server: "web", count: 0, id: 7 }), [])).toEqual({ kind: "scale", id: 7, name: "web", count: 0 });
    expect(parseRequest(JSON.stringify({ cmd: "scale", server: "web", count: -1 }), [])).toEqual({ kind: "error", id: null, error: "bad \"count\" -1 (a whole number of copies from 0 to 100)" });
    expect(parseRequest(JSON.stringify({ cmd: "scale", count: 2 }), [])).toEqual({ kind: "error", id: null, error: "missing \"server\" (the name of a config table or Procfile process)" });
    expect(parseRequest(JSON.stringify({ cmd: "scale", server: "web", count: 1.5 }), [])).toEqual({ kind: "error", id: null, error: "bad \"count\" 1.5 (a whole number of copies from 0 to 100)" });
    expect(parseRequest(JSON.stringify({ cmd: "scale", server: "web" }), [])).toEqual({ kind: "error", id: null, error: "bad \"count\" null (a whole number of copies from 0 to 100)" });
  });
});
