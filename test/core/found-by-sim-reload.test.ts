// Bugs of the core's reload found by the simulator (test/sim) once it generated
// reloads that change things (issue 15), and by the shared model's writing:
// each as a plain unit test. They fail until the core is fixed (src/core/step.ts).
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
  const fx = step(s, { type: "reconfigure", at: 1, id: 1, settings, servers: [{ argv: ["srv3"], name: "s3.1" }] }).effects;
  const order = fx.flatMap((e: Effect) => (e.type === "spawn" ? ["spawn"] : e.type === "kill" ? [`kill ${e.pid}`] : []));
  expect(order).toEqual([`kill 2`, "spawn"]);
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
