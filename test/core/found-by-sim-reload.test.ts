// Bugs of the core's reload found by the simulator (test/sim) once it generated
// reloads that change things (issue 15), and by the shared model's writing:
// each as a plain unit test. Each failed before its fix (src/core/step.ts, table.ts).
import { expect, test } from "bun:test";
import { SIGTERM } from "../../src/core/signals.ts";
import { initialState, step } from "../../src/core/step.ts";
import type { Effect, Event, ServerSpec, Settings, State } from "../../src/core/types.ts";

function run(settings: Settings, specs: ServerSpec[], events: Event[]): State {
  let s = initialState(settings, specs);
  for (const e of events) s = step(s, e).state;
  return s;
}

test("a reload stops the removed servers before it starts the new ones (a pid reaped but not yet told may be reused by the spawn)", () => {
  // Found by the simulator (`ctl scale s3 1`: s3 becomes s3.1): s3's process had died and been reaped, its end
  // not yet told to the core; the reconfigure's effects were [spawn s3.1, SIGTERM to pid 2]. The shell carries
  // them out in order: the spawn got the freed pid 2, and the SIGTERM meant for the old s3 hit the new s3.1.
  // Its stop order first, and the port refuses a signal to a pid it has reaped (and not handed out again).
  const settings: Settings = { intervalMs: 1000, stopTimeoutMs: 1000, alarmMs: 0 };
  const s = run(settings, [{ argv: ["srv3"], name: "s3" }], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 2 },
  ]);
  const r = step(s, { type: "reconfigure", at: 1, id: 1, settings, servers: [{ argv: ["srv3"], name: "s3.1" }] });
  const order = (fx: readonly Effect[]) => fx.flatMap((e: Effect) => (e.type === "spawn" ? ["spawn"] : e.type === "kill" ? [`kill ${e.pid}`] : []));
  // (since a rename waits for the old process to end, s3.1 is not spawned in this step at all: never two at once)
  expect(order(r.effects)).toEqual([`kill 2`]);
  expect(order(step(r.state, { type: "exited", at: 2, pid: 2, status: { kind: "signal", signal: 15 }, server: 0 }).effects)).toEqual(["spawn"]);
});

// Found while writing the shared model's reload (test/properties/model.ts takes a pending spec at the old process's end).
test("a server changed by a reload while its failed start (ready_timeout) is being stopped starts again with its new spec", () => {
  // Its stop order says "fail" (not ready in time): the reload's change does not replace that order. Its end,
  // judged as a slow crash (it lived at least its interval), respawns it at once, alive to starting: the spec
  // the reload left pending was never taken on, and it started again with its old command.
  const settings: Settings = { intervalMs: 100, stopTimeoutMs: 1000, alarmMs: 0 };
  const old: ServerSpec = { argv: ["srv0"], name: "s0", ready: { kind: "notify" }, readyTimeoutMs: 500 };
  const s = run(settings, [old], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 10 },
    { type: "timer", at: 500, timer: "ready:0" },
    { type: "reconfigure", at: 600, id: 1, settings, servers: [{ ...old, argv: ["srv0", "v1"] }] },
  ]);
  const fx = step(s, { type: "exited", at: 700, pid: 10, status: { kind: "signal", signal: SIGTERM } }).effects;
  const argvs = fx.flatMap((e: Effect) => (e.type === "spawn" ? [e.argv] : []));
  expect(argvs.length).toBe(1);
  expect(argvs[0]).toContain("v1");
});

test("a server being killed (its stop timeout passed) that a reload removes is stopped for good: its stop order no longer ends in a start", () => {
  // Found by the simulator: `ctl restart s0` with stop_timeout 0 (SIGKILL at once: `killed`, then start), then a
  // reload that renamed s0 (instances = 1: s0.1). The table had no `remove` for `killed`: the stop order still said
  // "then start" (the slot, retired, was not started again, but its state said it would be).
  const settings: Settings = { intervalMs: 3000, stopTimeoutMs: 0, alarmMs: 0 };
  let s = initialState(settings, [{ argv: ["srv0"], name: "s0" }]);
  for (const e of [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 2 },
    { type: "control", at: 2125, id: 1, command: { op: "restart", server: 0 } },
    { type: "timer", at: 2125, timer: "stop:0" },
  ] as Event[]) s = step(s, e).state;
  const before = s.servers.at(0)?.life;
  expect(before?.kind === "alive" && before.stop).toEqual({ deadline: 2125, killed: true, then: "start" });
  s = step(s, { type: "reconfigure", at: 2127, id: 2, settings, servers: [{ argv: ["srv0"], name: "s0.1", group: "s0" }] }).state;
  const after = s.servers.at(0)?.life;
  expect(after?.kind === "alive" && after.stop).toEqual({ deadline: 2125, killed: true, then: "cremate" });
  expect(s.servers.at(1)?.life.kind).toBe("waiting"); // s0.1 waits for the old s0 to end (a rename: the same seat)
  const end = step(s, { type: "exited", at: 2130, pid: 2, status: { kind: "signal", signal: 9 }, server: 0 });
  expect(end.state.servers.at(0)?.life.kind).toBe("cremated");
  // Not started again: only s0.1, which waited for it, starts now.
  expect(end.effects.filter((e) => e.type === "spawn")).toEqual([{ type: "spawn", server: 1, argv: ["srv0"] }]);
});

test("a reload that takes a waiting server's dependency away starts it (its life did not change, its spec did)", () => {
  // Found by a 10-minute simulator run (seed 867419854): s2's copies waited for s0 (stopped by an operator); a
  // reload removed s0 and changed the copies (no depends_on any more). settle looked at waiting servers again
  // only when a life had changed, and a reload changed specs only: they waited for ever.
  const settings: Settings = { intervalMs: 1000, stopTimeoutMs: 1000, alarmMs: 0 };
  // db never became ready, and an operator stopped it: web waits (for a db that is cremated).
  const db: ServerSpec = { argv: ["db"], name: "db", ready: { kind: "notify" } };
  const web: ServerSpec = { argv: ["web"], name: "web", dependsOn: [0] };
  const s = run(settings, [db, web], [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 2 },
    { type: "control", at: 1, id: 1, command: { op: "stop", server: 0 } },
    { type: "exited", at: 2, pid: 2, status: { kind: "signal", signal: SIGTERM } },
  ]);
  expect(s.servers.at(0)?.life.kind).toBe("cremated");
  expect(s.servers.at(1)?.life.kind).toBe("waiting");
  const fx = step(s, { type: "reconfigure", at: 3, id: 2, settings, servers: [{ argv: ["web"], name: "web" }] }).effects;
  expect(fx.flatMap((e: Effect) => (e.type === "spawn" ? [e.argv[0]] : []))).toEqual(["web"]);
});
