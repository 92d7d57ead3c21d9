// Bugs of the core found by the simulator (test/sim) once it generated rolling
// restarts (issue 15): each as a plain unit test. Each failed before its fix.
import { expect, test } from "bun:test";
import { marshal, unmarshal } from "../../src/core/marshal.ts";
import { handoverOf, handoverSpecs, initialState, step } from "../../src/core/step.ts";
import type { Event, ServerSpec, Settings, State } from "../../src/core/types.ts";

function run(settings: Settings, specs: ServerSpec[], events: Event[]): State {
  let s = initialState(settings, specs);
  for (const e of events) s = step(s, e).state;
  return s;
}

test("a re-exec during a rolling reload hands a copy the roll did not reach across under its reloaded command, and the new image adopts its process", () => {
  // Found by the simulator: a reload changed the command of a table with instances and a readiness check (a
  // rolling reload); its copy s0.1 kept its old process (pid 2) with the new spec pending, and a re-exec came
  // (which ends the roll and, as docs/spec.md says, does not wait for such a copy: "the new image runs them under
  // the reloaded spec, which their next start uses"). The old image wrote the copy's record with the fingerprint
  // of its old command (handoverSpecs gives s.spec, not the pending one); the new image, which runs the reloaded
  // configuration, found a record "recorded for a different command": it cremated s0.1 as invalid and never
  // adopted pid 2, which ran on unsupervised.
  const settings: Settings = { intervalMs: 1000, stopTimeoutMs: 1000, alarmMs: 0 };
  const v0: ServerSpec = { argv: ["srv0"], name: "s0.1", group: "s0", ready: { kind: "notify" } };
  const v1: ServerSpec = { ...v0, argv: ["srv0", "v1"] };
  let s = run(settings, [v0], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 2 },
    { type: "notify", at: 1, pid: 2, ready: true, watchdog: false, status: null },
    { type: "reconfigure", at: 2, id: 1, settings, servers: [v1] },
    { type: "spawned", at: 2, server: 1, pid: 4 },
  ]);
  expect(s.roll).toBeDefined();
  // The re-exec ends the roll (the new process aside is stopped; the re-exec waits for it to end).
  s = step(s, { type: "reexec", at: 3 }).state;
  const r = step(s, { type: "exited", at: 4, pid: 4, status: { kind: "signal", signal: 15 }, server: 1 });
  const fx = r.effects.find((e) => e.type === "reexec");
  expect(fx).toBeDefined();
  const text = marshal(handoverOf(r.state, 4), handoverSpecs(r.state));
  // The new image reads it against the reloaded configuration.
  const back = unmarshal(text, [v1]);
  expect(back.ok).toBe(true);
  const rec = back.ok ? back.handover.servers[0] : undefined;
  expect(rec?.kind).toBe("alive");
  expect(rec?.kind === "alive" ? rec.pid : null).toBe(2);
});

test("a rolling restart's new process given up while its spawn is on its way, whose spawn then fails, is forgotten, not buried: the supervisor still exits once everything else has ended", () => {
  // Found by the simulator (`ctl restart p0 --rolling`): the new process aside was being spawned when the copy's
  // own process exited cleanly (cremated: the roll stops there, and the new process aside is given up, retired,
  // while its spawn's result is on its way). Its spawn then failed: the table buries a server whose spawn fails,
  // retired or not. A buried server waits for a revive, so with every other server cremated the supervisor
  // did not exit ("every remaining server is buried, waiting for a revive"), and a revive cannot start a retired
  // slot: it waited forever for something no one can see (status and the dump leave retired slots out). The
  // spec: a failed new process is "stopped and forgotten"; a removed server that does not run is cremated.
  const settings: Settings = { intervalMs: 1000, stopTimeoutMs: 1000, alarmMs: 0 };
  let s = run(settings, [{ argv: ["srv0"], name: "p0" }], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 2 },
    { type: "control", at: 1, id: 5, command: { op: "roll", name: "p0", servers: [0] } },
  ]);
  expect(s.servers.at(1)?.replaces).toBe(0);
  s = step(s, { type: "exited", at: 2, pid: 2, status: { kind: "code", code: 0 }, server: 0 }).state;
  expect(s.roll).toBeUndefined();
  const r = step(s, { type: "spawn-failed", at: 3, server: 1, error: "ENOENT: no such file" });
  expect(r.state.servers.at(1)?.life.kind).toBe("cremated");
  expect(r.effects.find((e) => e.type === "exit")).toEqual({ type: "exit", status: 0 });
});

test("a step that respawns a copy and gives up its new process aside gives the stop order before the spawn (a pid reaped but not yet told may be handed to the spawn)", () => {
  // Found by the simulator (`ctl restart s5 --rolling`, start-first): the new process aside (pid 22) had died, its
  // end reaped by the port but not yet told to the core, when the copy's old process ended by itself. In that one
  // step the copy is respawned and, the roll going on in place, its new process aside is given up: effects
  // [spawn s5, SIGQUIT to pid 22]. The shell carries them out in order, and first reports the exits it holds (pid
  // 22's, queued behind this step): the spawn is handed the freed pid 22, and the stop signal meant for the
  // process aside hits the copy's new process. The same class as a reload's (found-by-sim-reload.test.ts):
  // every stop order before any start.
  const settings: Settings = { intervalMs: 0, stopTimeoutMs: 1000, alarmMs: 0 };
  const spec: ServerSpec = { argv: ["srv5"], name: "s5", stopSignal: 3, ready: { kind: "tcp", host: "127.0.0.1", port: 5432 } };
  const s = run(settings, [spec], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 19 },
    { type: "probe-result", at: 200, server: 0, pid: 19, purpose: "ready", ok: true, reason: "" },
    { type: "control", at: 300, id: 1, command: { op: "roll", name: "s5", servers: [0] } },
    { type: "spawned", at: 300, server: 1, pid: 22 },
  ]);
  expect(s.servers.at(1)?.replaces).toBe(0);
  const fx = step(s, { type: "exited", at: 400, pid: 19, status: { kind: "code", code: 1 }, server: 0 }).effects;
  const order = fx.flatMap((e) => (e.type === "spawn" ? [`spawn ${e.server}`] : e.type === "kill" ? [`kill ${e.pid}`] : []));
  expect(order).toEqual(["kill 22", "spawn 0"]);
});

test("a re-exec that waited for a process aside to end, the last process of all, is not carried out: the supervisor exits", () => {
  // Found by the simulator: `ctl restart srv0 --rolling`; the copy's new process took its place, the old one
  // moved aside was being stopped, a reload ended the roll, a re-exec came (it waits for the old process aside to
  // end), and then every process ended (the copy cleanly: cremated). In the step of that last end the core asked
  // for both the re-exec and the exit: the shell carried out the re-exec (an exec into an image with nothing to
  // supervise, which exits at once) and never the exit the step decided. Nothing is left to hand across: exit.
  const settings: Settings = { intervalMs: 1000, stopTimeoutMs: 1000, alarmMs: 0 };
  let s = run(settings, [{ argv: ["srv0"], name: "srv0" }], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 2 },
    { type: "control", at: 1, id: 1, command: { op: "roll", name: "srv0", servers: [0] } },
    { type: "spawned", at: 1, server: 1, pid: 3 },
    { type: "reconfigure", at: 2, id: 2, settings, servers: [{ argv: ["srv0"], name: "srv0" }] },
    { type: "exited", at: 3, pid: 3, status: { kind: "code", code: 0 }, server: 0 },
    { type: "reexec", at: 4 },
  ]);
  expect(s.servers.at(1)?.life.kind).toBe("alive");
  expect(s.pendingReexec).toBe(true);
  const fx = step(s, { type: "exited", at: 5, pid: 2, status: { kind: "signal", signal: 15 }, server: 1 }).effects;
  expect(fx.filter((e) => e.type === "reexec" || e.type === "exit").map((e) => e.type)).toEqual(["exit"]);
});

test("a rolling restart asked for while a re-exec waits is refused at once (the re-exec would cut it off unanswered)", () => {
  // Found by two 10-minute simulator runs (seeds 977986086, 230962844): a re-exec waited for the end of a process
  // (there: a roll's old process; here: one a reload removed); a `ctl restart web --rolling` came meanwhile and began
  // (stop-first: nothing aside for the re-exec to wait for); the awaited process ended, the re-exec was carried out,
  // and the roll was neither ended nor answered: its client lost its connection in the exec.
  const settings: Settings = { intervalMs: 1000, stopTimeoutMs: 1000, alarmMs: 0 };
  const gone: ServerSpec = { argv: ["gone"], name: "gone" };
  const web: ServerSpec = { argv: ["web"], name: "web", rolling: "stop-first" };
  const s = run(settings, [gone, web], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 2 },
    { type: "spawned", at: 0, server: 1, pid: 3 },
    { type: "reconfigure", at: 1, id: null, settings, servers: [web] },
    { type: "reexec", at: 2 },
  ]);
  const r = step(s, { type: "control", at: 3, id: 7, command: { op: "roll", name: "web", servers: [1] } });
  expect(r.effects.filter((e) => e.type !== "log")).toEqual([{ type: "reply", id: 7, ok: false, message: "lazarus re-execs once what it waits for has ended, which would end a rolling restart: ask again after the re-exec" }]);
  expect(r.state.roll).toBeUndefined();
  // The awaited process ends: the re-exec is carried out, with web's process untouched.
  const end = step(r.state, { type: "exited", at: 4, pid: 2, status: { kind: "signal", signal: 15 } });
  expect(end.effects.some((e) => e.type === "reexec")).toBe(true);
  expect(end.effects.some((e) => e.type === "kill" || e.type === "spawn")).toBe(false);
});

test("a reload's rolling restart begun while a re-exec waits, cut off when the re-exec is carried out, ends and says so", () => {
  // Found by the property harness once it generated reloads and tables (check.ts, fuzzer seed 684509947): a
  // re-exec waited for a process a reload removed; a second reload began a rolling restart of a table (a reload's
  // roll is not refused then: nobody waits for its answer). Stop-first, its first copy was restarted in place; once
  // the removed process had ended and the copy's new process was spawned, nothing was left to wait for and the
  // re-exec was carried out in the middle of the roll: the roll was not handed across, and its end was never said.
  const settings: Settings = { intervalMs: 1000, stopTimeoutMs: 1000, alarmMs: 0 };
  const web = (k: number, argv: string[]): ServerSpec => ({ argv, name: `web.${k}`, group: "web", rolling: "stop-first", ready: { kind: "log", pattern: "up" } });
  const x: ServerSpec = { argv: ["x"], name: "x" };
  let s = run(settings, [web(1, ["srv"]), web(2, ["srv"]), x], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 10 },
    { type: "spawned", at: 0, server: 1, pid: 11 },
    { type: "spawned", at: 0, server: 2, pid: 12 },
    { type: "output-match", at: 0, pid: 10 },
    { type: "output-match", at: 0, pid: 11 },
    // x removed: stopped; the re-exec asked for then waits for it.
    { type: "reconfigure", at: 1, id: null, settings, servers: [web(1, ["srv"]), web(2, ["srv"])] },
    { type: "reexec", at: 2 },
    // web changed: a rolling reload, stop-first (web.1 is stopped to be restarted in place).
    { type: "reconfigure", at: 3, id: null, settings, servers: [web(1, ["srv", "v2"]), web(2, ["srv", "v2"])] },
    { type: "exited", at: 4, pid: 12, status: { kind: "signal", signal: 15 }, server: 2 },
    { type: "exited", at: 5, pid: 10, status: { kind: "signal", signal: 15 }, server: 0 },
  ]);
  expect(s.roll?.name).toBe("web");
  const r = step(s, { type: "spawned", at: 5, server: 0, pid: 13 });
  s = r.state;
  const kinds = r.effects.map((e) => (e.type === "log" ? `log: ${e.record.text}` : e.type));
  const exec = kinds.indexOf("reexec");
  const said = kinds.findIndex((k) => k.startsWith("log: rolling restart of 'web' stopped at 'web.1': lazarus re-execs, which ends a rolling restart"));
  expect(exec).toBeGreaterThan(-1);
  expect(said).toBeGreaterThan(-1);
  expect(said).toBeLessThan(exec);
  expect(s.roll).toBeUndefined();
});
