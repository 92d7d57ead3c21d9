// Bugs of the core found by the properties (test/properties) once they generated
// issue 14's settings: each shrunk counterexample, as a plain unit test.
import { expect, test } from "bun:test";
import { SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { initialState, step } from "../../src/core/step.ts";
import type { Event, ServerSpec, Settings, State } from "../../src/core/types.ts";

function run(settings: Settings, specs: ServerSpec[], events: Event[]): State {
  let s = initialState(settings, specs);
  for (const e of events) s = step(s, e).state;
  return s;
}

test("a failed start (ready_timeout) that ends during a shutdown is cremated, and the supervisor exits", () => {
  // Shrunk from the properties: ready by a log line within 300 ms; it ignores SIGTERM, is SIGKILLed at its
  // stop deadline, the alarm starts a shutdown, and only then is it reaped. Its stop order still said "fail":
  // judged as a slow crash it was "respawned", which does nothing during a shutdown, so it stayed alive
  // with a dead pid and the supervisor never exited.
  const settings: Settings = { intervalMs: 0, stopTimeoutMs: 0, alarmMs: 30_000 };
  const specs: ServerSpec[] = [{ argv: ["srv0"], name: "srv0", ready: { kind: "log", pattern: "listening on" }, readyTimeoutMs: 300 }];
  let s = run(settings, specs, [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 1000 },
    { type: "timer", at: 300, timer: "ready:0" },
    { type: "timer", at: 300, timer: "stop:0" },
    { type: "timer", at: 30_000, timer: "alarm" },
  ]);
  const r = step(s, { type: "exited", at: 30_000, pid: 1000, status: { kind: "signal", signal: SIGKILL } });
  s = r.state;
  expect(s.servers.at(0)?.life.kind).toBe("cremated");
  expect(r.effects.some((e) => e.type === "exit")).toBe(true);
});

test("the same during a plain shutdown that waits for a dependent: the failed start is cremated, not respawned", () => {
  // srv1 depends on srv0; srv0 is ready, srv1 runs; srv0 is restarted after a slow crash and fails its ready_timeout;
  // the shutdown stops srv1 first, so srv0's order still says "fail" when it ends.
  const settings: Settings = { intervalMs: 100, stopTimeoutMs: 10_000, alarmMs: 0 };
  const specs: ServerSpec[] = [
    { argv: ["srv0"], name: "srv0", ready: { kind: "notify" }, readyTimeoutMs: 300 },
    { argv: ["srv1"], name: "srv1", dependsOn: [0] },
  ];
  let s = run(settings, specs, [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 1000 },
    { type: "notify", at: 10, pid: 1000, ready: true, watchdog: false, status: null },
    { type: "spawned", at: 10, server: 1, pid: 1001 },
    { type: "exited", at: 1000, pid: 1000, status: { kind: "code", code: 1 } },
    { type: "spawned", at: 1000, server: 0, pid: 1002 },
    { type: "timer", at: 1300, timer: "ready:0" },
    { type: "terminate", at: 1400, signal: SIGTERM },
  ]);
  s = step(s, { type: "exited", at: 1500, pid: 1002, status: { kind: "signal", signal: SIGTERM } }).state;
  expect(s.servers.at(0)?.life.kind).toBe("cremated");
  const r = step(s, { type: "exited", at: 1600, pid: 1001, status: { kind: "signal", signal: SIGTERM } });
  expect(r.effects.some((e) => e.type === "exit")).toBe(true);
});

test("a revive forgets a server's fast crashes: its backoff starts over (types.ts: retries are reset by a revive)", () => {
  // Shrunk from the properties: one retry allowed; a fast crash uses it; the retried spawn fails (buried); a revive.
  // The revived server kept retries = 1, so its next fast crash was buried at once instead of being retried.
  const settings: Settings = { intervalMs: 500, stopTimeoutMs: 0, alarmMs: 0 };
  const specs: ServerSpec[] = [{ argv: ["srv0"], name: "srv0", backoff: { initialMs: 100, maxMs: 300, retries: 1 } }];
  let s = run(settings, specs, [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 1000 },
    { type: "exited", at: 0, pid: 1000, status: { kind: "signal", signal: 11 } },
    { type: "timer", at: 100, timer: "backoff:0" },
    { type: "spawn-failed", at: 100, server: 0, error: "ENOENT" },
    { type: "revive", at: 100 },
  ]);
  expect(s.servers.at(0)?.retries).toBe(0);
  s = run(settings, specs, [{ type: "start", at: 0, handover: null }]);
  s = step(s, { type: "spawned", at: 0, server: 0, pid: 1000 }).state;
  s = step(s, { type: "exited", at: 0, pid: 1000, status: { kind: "code", code: 1 } }).state;
  s = step(s, { type: "timer", at: 100, timer: "backoff:0" }).state;
  s = step(s, { type: "spawned", at: 100, server: 0, pid: 1001 }).state;
  s = step(s, { type: "exited", at: 100, pid: 1001, status: { kind: "code", code: 1 } }).state;
  expect(s.servers.at(0)?.life.kind).toBe("buried");
  s = step(s, { type: "control", at: 200, id: 1, command: { op: "revive", server: 0 } }).state;
  s = step(s, { type: "spawned", at: 200, server: 0, pid: 1002 }).state;
  s = step(s, { type: "exited", at: 200, pid: 1002, status: { kind: "code", code: 1 } }).state;
  expect(s.servers.at(0)?.life.kind).toBe("backoff");
});

test("a probe answer of the wrong purpose is stale: it neither cancels the probe in flight nor stops the polling", () => {
  // Found by the properties (a bogus answer): a readiness probe in flight, an answer for the same pid saying
  // "health" took its place (probing cleared, nothing armed), so the server was never probed again.
  const settings: Settings = { intervalMs: 0, stopTimeoutMs: 0, alarmMs: 0 };
  const specs: ServerSpec[] = [{ argv: ["srv0"], name: "srv0", ready: { kind: "tcp", host: "127.0.0.1", port: 1 } }];
  const s = run(settings, specs, [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 1000 },
    { type: "timer", at: 200, timer: "probe:0" },
    { type: "probe-result", at: 210, server: 0, pid: 1000, purpose: "health", ok: false, reason: "wrong purpose" },
  ]);
  expect(s.servers.at(0)?.probing).toBe(true);
  const r = step(s, { type: "probe-result", at: 220, server: 0, pid: 1000, purpose: "ready", ok: true, reason: "" });
  expect(r.state.servers.at(0)?.life).toMatchObject({ kind: "alive", ready: true });
});

test("a stale stop timer for a server that waits for its dependents to stop (no stop order yet) changes nothing", () => {
  // Found by the properties (a stale timer): during a shutdown a server that something running depends on is
  // "stopping" without a stop order; its stop timer's action assumed an order and threw a TypeError.
  const settings: Settings = { intervalMs: 0, stopTimeoutMs: 0, alarmMs: 0 };
  const specs: ServerSpec[] = [{ argv: ["srv0"], name: "srv0" }, { argv: ["srv1"], name: "srv1", dependsOn: [0] }];
  const s = run(settings, specs, [
    { type: "start", at: 0, handover: null },
    { type: "spawned", at: 0, server: 0, pid: 1000 },
    { type: "spawned", at: 0, server: 1, pid: 1001 },
    { type: "terminate", at: 5, signal: SIGTERM },
  ]);
  expect(s.servers.at(0)?.life).toMatchObject({ kind: "alive", stop: null });
  const r = step(s, { type: "timer", at: 6, timer: "stop:0" });
  expect(r.effects.filter((e) => e.type !== "log")).toEqual([]);
  expect(r.state.servers.at(0)?.life).toMatchObject({ kind: "alive", stop: null });
});
