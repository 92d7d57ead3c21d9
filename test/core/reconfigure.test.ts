// A reload in the core (docs/spec.md, "Reload"): the difference by name,
// computed once (reconfigure.ts), and what the reconfigure event does with it.
import { describe, expect, test } from "bun:test";
import { marshal, unmarshal } from "../../src/core/marshal.ts";
import { reconfigure, sameSpec } from "../../src/core/reconfigure.ts";
import { SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { statusOf } from "../../src/core/status.ts";
import { handoverSpecs, initialState } from "../../src/core/step.ts";
import type { Effect, Event, Handover, ServerSpec, Settings } from "../../src/core/types.ts";
import { code, Driver, exits, kills, logs, SETTINGS, spawns } from "../helpers/driver.ts";

const spec = (name: string, extra: Partial<ServerSpec> = {}): ServerSpec => ({ argv: [name], name, label: name, ...extra });
const NOTIFY = { kind: "notify" } as const;

function reload(d: Driver, at: number, servers: readonly ServerSpec[], settings: Settings = d.state.settings, id: number | null = 1): Effect[] {
  return d.feed({ type: "reconfigure", at, id, settings, servers });
}

function replies(fx: readonly Effect[]): Extract<Effect, { type: "reply" }>[] {
  return fx.flatMap((e) => (e.type === "reply" ? [e] : []));
}

function pidsOf(d: Driver): (number | null)[] {
  return d.state.servers.map((s) => (s.life.kind === "alive" ? s.life.pid : null));
}

describe("the difference, by name (reconfigure.ts)", () => {
  const state = initialState(SETTINGS, [spec("a"), spec("b"), spec("c", { dependsOn: [0] })]);

  test("unchanged, changed, added and removed; new servers are appended; dependencies become slots", () => {
    const r = reconfigure(state.servers, [spec("d"), spec("c", { dependsOn: [2] }), spec("a", { launch: "other env" })]);
    expect(r.summary).toEqual({ added: ["d"], changed: ["a"], removed: ["b"], unchanged: ["c"] });
    expect(r.length).toBe(4);
    expect(r.changes).toEqual([
      { kind: "added", slot: 3, spec: spec("d") },
      { kind: "unchanged", slot: 2 },
      { kind: "changed", slot: 0, spec: spec("a", { launch: "other env" }) },
      { kind: "removed", slot: 1 },
    ]);
  });

  test("a dependency on another server is a change of policy (updated in place); the same one under a new index is none", () => {
    expect(reconfigure(state.servers, [spec("b"), spec("a"), spec("c", { dependsOn: [1] })]).summary).toEqual({ added: [], changed: [], removed: [], unchanged: ["b", "a", "c"] });
    const r = reconfigure(state.servers, [spec("a"), spec("b"), spec("c", { dependsOn: [1] })]);
    expect(r.summary).toEqual({ added: [], changed: [], removed: [], unchanged: ["a", "b", "c"], updated: ["c"] });
    expect(r.changes[2]).toEqual({ kind: "updated", slot: 2, spec: spec("c", { dependsOn: [1] }) });
  });

  test("every field counts, the order of keys does not, an empty dependency list is none", () => {
    expect(sameSpec({ name: "a", argv: ["a"], stopSignal: 1 }, { argv: ["a"], stopSignal: 1, name: "a" })).toBe(true);
    expect(sameSpec(spec("a", { dependsOn: [] }), spec("a"))).toBe(true);
    for (const extra of [{ argv: ["a", "x"] }, { stopSignal: 1 }, { autostart: false }, { ready: NOTIFY }, { restart: "never" as const }, { launch: "x" }]) {
      expect(sameSpec(spec("a", extra), spec("a"))).toBe(false);
    }
  });
});

describe("a reload while servers run", () => {
  test("untouched keeps its pid and gets no signal; changed restarts with its new spec; removed stops and is forgotten; new starts", () => {
    const d = new Driver([spec("keep"), spec("edit"), spec("drop"), spec("also")]);
    d.start(0);
    const [keep, edit, drop] = [d.pid(0), d.pid(1), d.pid(2)];
    const fx = reload(d, 100, [spec("keep"), spec("edit", { argv: ["edit", "--new"] }), spec("also"), spec("new")]);
    expect(logs(fx)[0]).toBe("reloaded: 1 added (new), 1 changed (edit), 1 removed (drop), 2 unchanged.");
    expect(kills(fx)).toEqual([{ pid: edit, signal: SIGTERM, group: true }, { pid: drop, signal: SIGTERM, group: true }]);
    expect(spawns(fx)).toEqual([{ server: 4, argv: ["new"] }]);
    expect(replies(fx)).toEqual([{
      type: "reply", id: 1, ok: true, message: "reloaded: 1 added (new), 1 changed (edit), 1 removed (drop), 2 unchanged",
      reload: { added: ["new"], changed: ["edit"], removed: ["drop"], unchanged: ["keep", "also"] },
    }]);
    // The changed one's old process ends: it starts again with its new argv.
    const after = d.exit(edit, { kind: "signal", signal: SIGTERM }, 200);
    expect(spawns(after)).toEqual([{ server: 1, argv: ["edit", "--new"] }]);
    expect(d.state.servers.at(1)?.spec.argv).toEqual(["edit", "--new"]);
    // The removed one ends: cremated, never started again, and gone from the status.
    expect(spawns(d.exit(drop, code(0), 300))).toEqual([]);
    expect(d.kind(2)).toBe("cremated");
    expect(statusOf(d.state, 400).servers.map((s) => s.name)).toEqual(["keep", "edit", "also", "new"]);
    expect(d.pid(0)).toBe(keep);
    expect(spawns(d.feed({ type: "revive", at: 500 }))).toEqual([]);
    // Its index is no server any more.
    expect(replies(d.feed({ type: "control", at: 600, id: 9, command: { op: "start", server: 2 } }))).toMatchObject([{ ok: false, message: "no such server: 2" }]);
  });

  test("the same reload twice changes nothing the second time", () => {
    const d = new Driver([spec("a"), spec("b")]);
    d.start(0);
    const next = [spec("a", { argv: ["a", "2"] }), spec("b")];
    reload(d, 10, next);
    d.exit(d.pid(0), code(0), 20);
    const before = pidsOf(d);
    const fx = reload(d, 30, next);
    expect(kills(fx)).toEqual([]);
    expect(spawns(fx)).toEqual([]);
    expect(pidsOf(d)).toEqual(before);
  });

  test("a server changed while not running takes its new spec at once and keeps its state; one whose autostart is turned on starts", () => {
    const d = new Driver([spec("done"), spec("dead"), spec("idle", { autostart: false })]);
    d.start(0);
    d.exit(d.pid(0), code(0), 10); // cremated
    d.exit(d.pid(1), code(1), 10); // buried
    const fx = reload(d, 20, [spec("done", { argv: ["done", "2"] }), spec("dead", { argv: ["dead", "2"] }), spec("idle")]);
    expect(kills(fx)).toEqual([]);
    expect(spawns(fx)).toEqual([{ server: 2, argv: ["idle"] }]);
    expect(d.kinds()).toEqual(["cremated", "buried", "alive"]);
    expect(d.state.servers.at(1)?.spec.argv).toEqual(["dead", "2"]);
    expect(spawns(d.feed({ type: "revive", at: 30 }))).toEqual([{ server: 1, argv: ["dead", "2"] }]);
  });

  test("a server whose spawn is on its way: changed, it is restarted once it runs; removed, it is stopped", () => {
    const d = new Driver([spec("a"), spec("b")]);
    d.manualSpawns = true;
    d.start(0);
    reload(d, 5, [spec("a", { argv: ["a", "2"] })]);
    expect(d.kinds()).toEqual(["starting", "starting"]);
    const fx = [...d.feed({ type: "spawned", at: 6, server: 0, pid: 50 }), ...d.feed({ type: "spawned", at: 6, server: 1, pid: 51 })];
    expect(kills(fx)).toEqual([{ pid: 50, signal: SIGTERM, group: true }, { pid: 51, signal: SIGTERM, group: true }]);
    expect(spawns(d.exit(50, { kind: "signal", signal: SIGTERM }, 7))).toEqual([{ server: 0, argv: ["a", "2"] }]);
    d.feed({ type: "spawned", at: 7, server: 0, pid: 52 });
    expect(spawns(d.exit(51, { kind: "signal", signal: SIGTERM }, 8))).toEqual([]);
  });

  test("changed servers start again in dependency order: the dependent waits for the new dependency to be ready", () => {
    const d = new Driver([spec("db", { ready: NOTIFY }), spec("web", { dependsOn: [0] })]);
    d.start(0);
    d.feed({ type: "notify", at: 1, pid: d.pid(0), ready: true, watchdog: false, status: null });
    const [db, web] = [d.pid(0), d.pid(1)];
    reload(d, 10, [spec("db", { ready: NOTIFY, argv: ["db", "2"] }), spec("web", { dependsOn: [0], argv: ["web", "2"] })]);
    d.exit(web, code(0), 11);
    expect(d.kind(1)).toBe("waiting");
    d.exit(db, code(0), 12);
    expect(d.kinds()).toEqual(["alive", "waiting"]);
    const fx = d.feed({ type: "notify", at: 13, pid: d.pid(0), ready: true, watchdog: false, status: null });
    expect(spawns(fx)).toEqual([{ server: 1, argv: ["web", "2"] }]);
  });

  test("a removed server that is in backoff, waiting or buried is cremated at once; its timer goes", () => {
    const d = new Driver([spec("a", { backoff: { initialMs: 1000, maxMs: 1000, retries: 3 } }), spec("b")]);
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    expect(d.kind(0)).toBe("backoff");
    const fx = reload(d, 20, [spec("b")]);
    expect(fx).toContainEqual({ type: "disarm", timer: "backoff:0" });
    expect(d.kind(0)).toBe("cremated");
    expect(spawns(d.feed({ type: "timer", at: 1010, timer: "backoff:0" }))).toEqual([]);
  });

  test("a removed name added again takes its old slot once it has ended; while it still stops, a new one that waits for it to end", () => {
    const d = new Driver([spec("a"), spec("b")]);
    d.start(0);
    const a = d.pid(0);
    reload(d, 10, [spec("b")]);
    const again = reload(d, 20, [spec("b"), spec("a")]);
    // Never two processes of one name at once: the new 'a' waits (as systemd waits for a stop before a start).
    expect(spawns(again)).toEqual([]);
    expect(d.state.servers.length).toBe(3);
    expect(d.kinds()).toEqual(["alive", "alive", "waiting"]);
    expect(d.state.servers.at(2)?.behind).toBe(0);
    expect(logs(again)).toContain(`'a' waits for its old process (pid ${a}) to end (a removed server's, still stopping).`);
    const st = statusOf(d.state, 21).servers.find((s) => s.index === 2);
    expect(st).toMatchObject({ name: "a", state: "waiting", words: `waiting for its old process (pid ${a}) to end`, behind: { pid: a } });
    expect(statusOf(d.state, 21).servers.find((s) => s.index === 0)?.name).toBe("a (old)");
    const ended = d.exit(a, code(0), 30);
    expect(spawns(ended)).toEqual([{ server: 2, argv: ["a"] }]);
    expect(d.state.servers.at(2)?.behind).toBeUndefined();
    reload(d, 40, [spec("b")]);
    d.exit(d.pid(2), code(0), 41);
    const fx = reload(d, 50, [spec("b"), spec("a")]);
    expect(spawns(fx)).toEqual([{ server: 0, argv: ["a"] }]);
    expect(d.state.servers.length).toBe(3);
  });

  test("settings apply from then on: the interval judges the next end; a changed alarm counts from the reload", () => {
    const d = new Driver([spec("a")], { intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 0 });
    d.start(0);
    const fx = reload(d, 5000, [spec("a")], { intervalMs: 10_000, stopTimeoutMs: 5000, alarmMs: 60_000 });
    expect(fx).toContainEqual({ type: "arm", timer: "alarm", at: 65_000 });
    d.exit(d.pid(0), code(1), 8000); // lived 8 s < 10 s: too fast now
    expect(d.kind(0)).toBe("buried");
  });

  test("a reload that failed to validate changes nothing: one log line, and the reply says why", () => {
    const d = new Driver([spec("a")]);
    d.start(0);
    const before = d.state;
    const fx = d.feed({ type: "reload-failed", at: 10, id: 4, error: "lazarus.toml:3: servers.a: unknown key \"comand\"" });
    expect(d.state.servers).toEqual(before.servers);
    expect(logs(fx)).toEqual(["reload failed, nothing changed: lazarus.toml:3: servers.a: unknown key \"comand\""]);
    expect(replies(fx)).toEqual([{ type: "reply", id: 4, ok: false, message: "lazarus.toml:3: servers.a: unknown key \"comand\"" }]);
  });

  test("during a shutdown a reload is refused", () => {
    const d = new Driver([spec("a")]);
    d.start(0);
    d.feed({ type: "terminate", at: 1, signal: SIGTERM });
    const fx = reload(d, 2, [spec("b")]);
    expect(replies(fx)).toMatchObject([{ ok: false }]);
    expect(spawns(fx)).toEqual([]);
    expect(d.state.servers.at(0)?.spec.name).toBe("a");
  });

  test("a removed server still stopping at a shutdown is killed by a second terminate", () => {
    const d = new Driver([spec("a"), spec("b")]);
    d.start(0);
    const a = d.pid(0);
    reload(d, 1, [spec("b")]);
    d.feed({ type: "terminate", at: 2, signal: SIGTERM });
    expect(kills(d.feed({ type: "terminate", at: 3, signal: SIGTERM }))).toContainEqual({ pid: a, signal: SIGKILL, group: true });
  });
});

describe("a re-exec after a reload", () => {
  test("waits until the servers changed or removed have ended; hands over the current servers by name; the new image takes them over", () => {
    const d = new Driver([spec("a"), spec("b"), spec("c")]);
    d.start(0);
    const [a, b] = [d.pid(0), d.pid(1)];
    reload(d, 10, [spec("z"), spec("c"), spec("b", { argv: ["b", "2"] })]);
    const wait = d.feed({ type: "reexec", at: 20 });
    expect(wait.some((e) => e.type === "reexec")).toBe(false);
    expect(logs(wait)).toContain("re-exec waits for 2 servers changed or removed by a reload, or replaced in a rolling restart, to stop.");
    d.exit(a, code(0), 30);
    expect(d.feed({ type: "problem", at: 31, text: "x" }).some((e) => e.type === "reexec")).toBe(false);
    const fx = d.exit(b, code(0), 40);
    const effect = fx.find((e): e is Extract<Effect, { type: "reexec" }> => e.type === "reexec");
    expect(effect).toBeDefined();
    const h = effect!.handover as Handover;
    const names = handoverSpecs(d.state).map((s) => s.name);
    expect(names).toEqual(["b", "c", "z"]);
    // The new image's servers are the new configuration's, in its order: each finds its record by name.
    const text = marshal(h, handoverSpecs(d.state));
    const plan = [spec("z"), spec("c"), spec("b", { argv: ["b", "2"] })];
    const read = unmarshal(text, plan);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    const img = new Driver(plan);
    img.nextPid = 900;
    const started: Event = { type: "start", at: 50, handover: read.handover };
    const take = img.feed(started);
    expect(take.filter((e) => e.type === "adopt")).toEqual([
      { type: "adopt", server: 0, pid: d.pid(3) }, { type: "adopt", server: 1, pid: d.pid(2) }, { type: "adopt", server: 2, pid: d.pid(1) },
    ]);
    expect(spawns(take)).toEqual([]);
  });
});

describe("launch fingerprints (src/shell/launch-key.ts)", () => {
  test("two servers launched alike still have their own (the shell finds each one's output prefix by it); any launch field changes it", async () => {
    const { launchKey } = await import("../../src/shell/launch-key.ts");
    const l = { source: "config" as const, cwd: "/srv", env: { A: "1", B: "2" }, output: "prefix" as const, log: null, ready: null, runAs: null, limits: [] };
    expect(launchKey("a", l)).not.toBe(launchKey("b", l));
    expect(launchKey("a", l)).toBe(launchKey("a", { ...l, env: { B: "2", A: "1" }, source: "procfile" }));
    const others = [
      { cwd: "/x" }, { env: { A: "1" } }, { output: "inherit" as const }, { ready: "up" }, { runAs: { uid: 65534, gid: 65534, groups: [65534] } },
      { limits: [{ name: "nofile" as const, soft: 1024, hard: 1024 }] },
    ];
    for (const other of others) expect(launchKey("a", { ...l, ...other })).not.toBe(launchKey("a", l));
  });
});

describe("a scale does not touch what depends on the table (found by the property harness's scale actions)", () => {
  const copy = (n: number) => spec(`web.${n}`, { argv: ["web"], group: "web" });

  test("a dependent of a table scaled up keeps its process; its dependencies follow the copies at once", () => {
    const d = new Driver([copy(1), copy(2), spec("lb", { dependsOn: [0, 1] })]);
    d.start(0);
    const lb = d.pid(2);
    const fx = d.feed({ type: "reconfigure", at: 10, id: 1, settings: d.state.settings, servers: [copy(1), copy(2), copy(3), spec("lb", { dependsOn: [0, 1, 2] })], scale: { name: "web", count: 3 } });
    expect(logs(fx)[0]).toBe("scaled 'web' to 3: 1 added (web.3), 0 changed, 0 removed, 3 unchanged.");
    expect(kills(fx)).toEqual([]);
    expect(spawns(fx)).toEqual([{ server: 3, argv: ["web"] }]);
    expect(d.pid(2)).toBe(lb);
    expect(d.state.servers.at(2)?.spec.dependsOn).toEqual([0, 1, 3]);
    // Its next start waits for web.3 too; at a shutdown it is stopped before web.3.
    expect(d.state.dependents[3]).toEqual([2]);
  });

  test("scaled down, and a plain server renamed by its first scale: the dependent runs on, without the copies that went", () => {
    const d = new Driver([copy(1), copy(2), spec("db"), spec("lb", { dependsOn: [0, 1, 2] })]);
    d.start(0);
    const lb = d.pid(3);
    const down = d.feed({ type: "reconfigure", at: 10, id: 1, settings: d.state.settings, servers: [copy(1), spec("db"), spec("lb", { dependsOn: [0, 1] })], scale: { name: "web", count: 1 } });
    expect(kills(down)).toEqual([{ pid: d.pid(1), signal: SIGTERM, group: true }]);
    expect(d.state.servers.at(3)?.spec.dependsOn).toEqual([0, 2]);
    const db1 = spec("db.1", { argv: ["db"], group: "db" });
    const rename = d.feed({ type: "reconfigure", at: 20, id: 2, settings: d.state.settings, servers: [copy(1), db1, spec("lb", { dependsOn: [0, 1] })], scale: { name: "db", count: 1 } });
    expect(kills(rename)).toEqual([{ pid: d.pid(2), signal: SIGTERM, group: true }]);
    expect(d.pid(3)).toBe(lb);
    expect(logs(rename)[0]).toBe("scaled 'db' to 1: 1 added (db.1), 0 changed, 1 removed (db), 2 unchanged.");
  });

  test("a dependency on another table, or on one more, is still a change (of policy: updated in place, its process untouched)", () => {
    const d = new Driver([copy(1), spec("db"), spec("lb", { dependsOn: [0] })]);
    d.start(0);
    const lb = d.pid(2);
    const fx = reload(d, 10, [copy(1), spec("db"), spec("lb", { dependsOn: [0, 1] })]);
    expect(kills(fx)).toEqual([]);
    expect(logs(fx)[0]).toBe("reloaded: 0 added, 0 changed, 0 removed, 3 unchanged (1 updated in place: lb).");
    expect(d.pid(2)).toBe(lb);
    expect(d.state.servers.at(2)?.spec.dependsOn).toEqual([0, 1]);
  });
});

describe("a scale down stops the highest-numbered copies first, whatever their slots (found by a fuzzer run, seed 49392307)", () => {
  test("copies added again by a scale in slots out of their order are stopped by number", () => {
    const copy = (n: number) => spec(`web.${n}`, { argv: ["web"], group: "web" });
    const scale = (d: Driver, at: number, n: number) =>
      d.feed({ type: "reconfigure", at, id: 1, settings: d.state.settings, servers: Array.from({ length: n }, (_, k) => copy(k + 1)), scale: { name: "web", count: n } });
    const d = new Driver([copy(1), copy(2), copy(3)]);
    d.start(0);
    d.exit(d.pid(2), code(1), 10); // web.3 buried: its slot is free once removed
    const web2 = d.pid(1);
    scale(d, 20, 1); // web.2 stops (and takes its time), web.3 is forgotten at once
    scale(d, 30, 3); // web.2 again: a new slot (the old one still ends), where it waits for it; web.3 again: its old slot
    expect(d.state.servers.toArray().map((s) => s.spec.name)).toEqual(["web.1", "web.2", "web.3", "web.2"]);
    expect(d.kind(3)).toBe("waiting");
    expect(spawns(d.exit(web2, code(0), 35))).toEqual([{ server: 3, argv: ["web"] }]);
    const down = scale(d, 40, 1);
    expect(kills(down).filter((k) => k.pid !== web2)).toEqual([{ pid: d.pid(2), signal: SIGTERM, group: true }, { pid: d.pid(3), signal: SIGTERM, group: true }]);
  });
});

describe("a reload stops first, then starts (found by a fuzzer run, seed 911016374)", () => {
  test("a new server that depends on one the reload restarts waits for it, even listed before it", () => {
    const d = new Driver([spec("web", { ready: NOTIFY })]);
    d.start(0);
    const web = d.pid(0);
    d.feed({ type: "notify", at: 1, pid: web, ready: true, watchdog: false, status: null });
    const fx = reload(d, 10, [spec("lb", { dependsOn: [1] }), spec("web", { ready: NOTIFY, argv: ["web", "2"] })]);
    expect(kills(fx)).toEqual([{ pid: web, signal: SIGTERM, group: true }]);
    expect(spawns(fx)).toEqual([]);
    expect(d.kind(1)).toBe("waiting");
  });

  test("a new server that depends on a table whose stop-first rolling reload begins waits for its first copy", () => {
    const copy = (n: number, argv = ["web"]) => spec(`web.${n}`, { argv, group: "web", ready: NOTIFY, rolling: "stop-first" });
    const d = new Driver([copy(1)]);
    d.start(0);
    const web = d.pid(0);
    d.feed({ type: "notify", at: 1, pid: web, ready: true, watchdog: false, status: null });
    const fx = reload(d, 10, [copy(1, ["web", "2"]), spec("lb", { dependsOn: [0] })]);
    expect(kills(fx)).toEqual([{ pid: web, signal: SIGTERM, group: true }]);
    expect(spawns(fx)).toEqual([]);
    expect(d.kind(1)).toBe("waiting");
  });
});

describe("a server added in the seat of a removed one still stopping waits for its old process to end (found by a review: two processes of one name ran at once)", () => {
  const copy = (n: number, extra: Partial<ServerSpec> = {}) => spec(`web.${n}`, { argv: ["web"], group: "web", rolling: "stop-first", ...extra });
  const scale = (d: Driver, at: number, n: number, extra: Partial<ServerSpec> = {}) =>
    d.feed({ type: "reconfigure", at, id: 1, settings: d.state.settings, servers: Array.from({ length: n }, (_, k) => copy(k + 1, extra)), scale: { name: "web", count: n } });

  test("scale 3 → 1 → 3 at once: the new web.2 and web.3 wait, each for its own old process, and start as it ends", () => {
    const d = new Driver([copy(1), copy(2), copy(3)]);
    d.start(0);
    const [web2, web3] = [d.pid(1), d.pid(2)];
    scale(d, 10, 1);
    const up = scale(d, 11, 3);
    expect(spawns(up)).toEqual([]);
    expect(d.state.servers.toArray().map((s) => [s.spec.name, s.life.kind, s.behind])).toEqual([
      ["web.1", "alive", undefined], ["web.2", "alive", undefined], ["web.3", "alive", undefined], ["web.2", "waiting", 1], ["web.3", "waiting", 2],
    ]);
    expect(statusOf(d.state, 12).servers.map((s) => s.name)).toEqual(["web.1", "web.2 (old)", "web.3 (old)", "web.2", "web.3"]);
    expect(spawns(d.exit(web3, code(0), 20))).toEqual([{ server: 4, argv: ["web"] }]);
    expect(d.kind(3)).toBe("waiting");
    expect(spawns(d.exit(web2, code(0), 30))).toEqual([{ server: 3, argv: ["web"] }]);
  });

  test("another copy of the table does not wait: web.4 starts at once while the old web.3 stops", () => {
    const d = new Driver([copy(1), copy(2), copy(3)]);
    d.start(0);
    scale(d, 10, 2);
    expect(spawns(scale(d, 11, 4))).toEqual([{ server: 4, argv: ["web"] }]);
    expect(d.kind(3)).toBe("waiting");
  });

  test("a rename (a table's copies become one server of its name) waits for every old copy, one after the other", () => {
    const d = new Driver([copy(1), copy(2)]);
    d.start(0);
    const [web1, web2] = [d.pid(0), d.pid(1)];
    expect(spawns(reload(d, 10, [spec("web")]))).toEqual([]);
    expect(d.state.servers.at(2)?.behind).toBe(0);
    expect(spawns(d.exit(web1, code(0), 20))).toEqual([]);
    expect(d.state.servers.at(2)?.behind).toBe(1);
    expect(statusOf(d.state, 21).servers.find((s) => s.index === 2)?.words).toBe(`waiting for its old process (pid ${web2}) to end`);
    expect(spawns(d.exit(web2, code(0), 30))).toEqual([{ server: 2, argv: ["web"] }]);
  });

  test("an operator's start, or a stop then a start, does not start it early; the replies say what it waits for", () => {
    const d = new Driver([copy(1), copy(2)]);
    d.start(0);
    const web2 = d.pid(1);
    scale(d, 10, 1);
    scale(d, 11, 2);
    const start = d.feed({ type: "control", at: 12, id: 5, command: { op: "start", server: 2 } });
    expect(replies(start)).toMatchObject([{ ok: false, message: `web.2 waits for its old process (pid ${web2}) to end` }]);
    d.feed({ type: "control", at: 13, id: 6, command: { op: "stop", server: 2 } });
    expect(d.kind(2)).toBe("cremated");
    const again = d.feed({ type: "control", at: 14, id: 7, command: { op: "start", server: 2 } });
    expect(spawns(again)).toEqual([]);
    expect(replies(again)).toMatchObject([{ ok: true, message: `web.2 waits for its old process (pid ${web2}) to end, and starts then` }]);
    expect(spawns(d.exit(web2, code(0), 20))).toEqual([{ server: 2, argv: ["web"] }]);
  });

  test("once its old process has ended it still waits for its dependencies", () => {
    const d = new Driver([spec("db", { ready: NOTIFY }), spec("a", { dependsOn: [0] })]);
    d.start(0);
    d.feed({ type: "notify", at: 1, pid: d.pid(0), ready: true, watchdog: false, status: null });
    const [db, a] = [d.pid(0), d.pid(1)];
    reload(d, 10, [spec("db", { ready: NOTIFY, argv: ["db", "2"] })]);
    reload(d, 11, [spec("db", { ready: NOTIFY, argv: ["db", "2"] }), spec("a", { dependsOn: [0] })]);
    expect(d.state.servers.at(2)?.behind).toBe(1);
    expect(spawns(d.exit(a, code(0), 20))).toEqual([]);
    expect(d.kind(2)).toBe("waiting");
    expect(statusOf(d.state, 21).servers.find((s) => s.index === 2)?.waitingFor).toEqual(["db"]);
    d.exit(db, code(0), 30);
    const fx = d.feed({ type: "notify", at: 31, pid: d.pid(0), ready: true, watchdog: false, status: null });
    expect(spawns(fx)).toEqual([{ server: 2, argv: ["a"] }]);
  });

  test("a re-exec while it waits waits too (the old process is a removed server's): it never starts early, and is handed over running", () => {
    const d = new Driver([copy(1), copy(2)]);
    d.start(0);
    const web2 = d.pid(1);
    scale(d, 10, 1);
    scale(d, 11, 2);
    const wait = d.feed({ type: "reexec", at: 12 });
    expect(wait.some((e) => e.type === "reexec" || e.type === "spawn")).toBe(false);
    const fx = d.exit(web2, code(0), 20);
    expect(spawns(fx)).toEqual([{ server: 2, argv: ["web"] }]);
    const effect = fx.find((e): e is Extract<Effect, { type: "reexec" }> => e.type === "reexec");
    expect(effect?.handover.servers.map((h) => h.kind)).toEqual(["alive", "alive"]);
    expect(d.state.servers.toArray().some((s) => s.behind !== undefined)).toBe(false);
  });

  test("a rolling restart that reaches a copy waiting for its old process stops there, and says so", () => {
    const d = new Driver([copy(1), copy(2)]);
    d.start(0);
    const web2 = d.pid(1);
    scale(d, 10, 1);
    scale(d, 11, 2);
    const fx = d.feed({ type: "control", at: 12, id: 3, command: { op: "roll", name: "web", servers: [2] } });
    expect(d.state.roll).toBeUndefined();
    expect(replies(fx)).toEqual([{ type: "reply", id: 3, ok: false, message: `rolling restart of 'web' stopped at 'web.2': web.2 waits for its old process (pid ${web2}) to end; none restarted, none left running as they were` }]);
  });

  test("a start-first rolling restart is not held back: its new process starts beside the old one", () => {
    const d = new Driver([copy(1, { rolling: "start-first", ready: NOTIFY })]);
    d.start(0);
    d.feed({ type: "notify", at: 1, pid: d.pid(0), ready: true, watchdog: false, status: null });
    const fx = d.feed({ type: "control", at: 10, id: 3, command: { op: "roll", name: "web", servers: [0] } });
    expect(spawns(fx)).toEqual([{ server: 1, argv: ["web"] }]);
  });
});

describe("ctl scale NAME 0 (docs/spec.md, Scale): no copies, the table held at 0", () => {
  const copy = (n: number) => spec(`web.${n}`, { argv: ["web"], group: "web" });
  const zero = (d: Driver, names: string[] = ["web"]): Settings => ({ ...d.state.settings, scaledToZero: names });
  const scale = (d: Driver, at: number, servers: ServerSpec[], count: number, settings: Settings) =>
    d.feed({ type: "reconfigure", at, id: 1, settings, servers, scale: { name: "web", count } });

  test("the last table scaled to 0: its copies stop, lazarus waits (no exit), and a scale up starts new copies", () => {
    const d = new Driver([copy(1), copy(2)]);
    d.start(0);
    const [p1, p2] = [d.pid(0), d.pid(1)];
    const down = scale(d, 10, [], 0, zero(d));
    expect(logs(down)[0]).toBe("scaled 'web' to 0: 0 added, 0 changed, 2 removed (web.1, web.2), 0 unchanged.");
    expect(kills(down)).toEqual([{ pid: p2, signal: SIGTERM, group: true }, { pid: p1, signal: SIGTERM, group: true }]);
    d.exit(p2, code(0), 20);
    const last = d.exit(p1, code(0), 21);
    expect(exits(last)).toEqual([]);
    expect(logs(last)).toContain("nothing runs: 'web' is scaled to 0; waiting for a ctl scale.");
    expect(statusOf(d.state, 22).servers).toEqual([]);
    expect(statusOf(d.state, 22).scaledToZero).toEqual(["web"]);
    const up = scale(d, 30, [copy(1), copy(2)], 2, { ...d.state.settings, scaledToZero: [] });
    expect(logs(up)[0]).toBe("scaled 'web' to 2: 2 added (web.1, web.2), 0 changed, 0 removed, 0 unchanged.");
    expect(spawns(up).map((s) => s.server).sort()).toEqual([0, 1]);
    expect([d.pid(0), d.pid(1)]).not.toContain(p1);
    expect([d.pid(0), d.pid(1)]).not.toContain(p2);
    expect(statusOf(d.state, 31).scaledToZero).toBeUndefined();
  });

  test("without the table held at 0 (a plain reload that removed every server could not), nothing left is an exit", () => {
    const d = new Driver([copy(1)]);
    d.start(0);
    const p1 = d.pid(0);
    scale(d, 10, [], 0, d.state.settings);
    expect(exits(d.exit(p1, code(0), 20))).toEqual([0]);
  });

  test("a dependent waiting for a table scaled to 0 starts (said changed: --wait waits for it); once it runs, a scale up leaves it unchanged", () => {
    // web.1 runs but is not ready (it has a readiness check): lb waits for it.
    const web = spec("web.1", { argv: ["web"], group: "web", ready: NOTIFY });
    const d = new Driver([web, spec("lb", { dependsOn: [0] }), spec("db")]);
    d.start(0);
    expect(d.kind(1)).toBe("waiting");
    const p = d.pid(0);
    const down = scale(d, 10, [spec("lb"), spec("db")], 0, zero(d));
    expect(logs(down)[0]).toBe("scaled 'web' to 0: 0 added, 1 changed (lb), 1 removed (web.1), 1 unchanged.");
    d.exit(p, code(0), 20);
    expect(d.kind(1)).toBe("alive");
    const lb = d.pid(1);
    const up = scale(d, 30, [web, spec("lb", { dependsOn: [0] }), spec("db")], 1, { ...d.state.settings, scaledToZero: [] });
    expect(logs(up)[0]).toBe("scaled 'web' to 1: 1 added (web.1), 0 changed, 0 removed, 2 unchanged.");
    expect(d.pid(1)).toBe(lb);
    expect(d.state.servers.at(1)?.spec.dependsOn).toEqual([0]);
  });

  test("a reload that keeps the 0 keeps the dependent unchanged (the table is still no dependency)", () => {
    const d = new Driver([copy(1), spec("lb", { dependsOn: [0] })]);
    d.start(0);
    const [p, lb] = [d.pid(0), d.pid(1)];
    scale(d, 10, [spec("lb")], 0, zero(d));
    d.exit(p, code(0), 20);
    const again = reload(d, 30, [spec("lb")], zero(d));
    expect(logs(again)[0]).toBe("reloaded: 0 added, 0 changed, 0 removed, 1 unchanged.");
    expect(d.pid(1)).toBe(lb);
  });
});
