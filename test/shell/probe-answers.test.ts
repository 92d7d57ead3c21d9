// A probe's answer names a pid only. The shell gives the core the answers of probes
// about processes that are still running, and drops those about a process that has
// ended: its pid may be another process's by the time the answer comes, and the core
// would take the answer for the new process's. (The simulator checks the same across
// generated scenarios: test/sim/world.ts, "a probe's answer about pid …".)
import { expect, test } from "bun:test";
import type { Event } from "../../src/core/types.ts";
import type { ProbeDone, SpawnRequest } from "../../src/os/port.ts";
import { Supervisor } from "../../src/shell/supervisor.ts";
import { fakePort } from "../helpers/fake-port.ts";

/** A port whose spawns hand out the pids it is told to, and whose probes are answered by the test. */
function scriptedPort(pids: number[]) {
  const probes: ProbeDone[] = [];
  const timers: { fn: () => void; live: boolean }[] = [];
  const { port, exit } = fakePort({
    spawn: (_r: SpawnRequest) => ({ ok: true, pid: pids.shift() ?? 999 }),
    setTimer: (_at: number, fn: () => void) => {
      const timer = { fn, live: true };
      timers.push(timer);
      return { cancel: () => { timer.live = false; } };
    },
    probe: (_r: unknown, done: ProbeDone) => { probes.push(done); },
  });
  /** Fire every timer armed so far (the readiness probe's poll among them). */
  const fire = () => {
    for (const timer of timers.splice(0)) if (timer.live) timer.fn();
  };
  return { port, probes, fire, exit };
}

function supervisor(pids: number[]) {
  const p = scriptedPort(pids);
  const seen: Event[] = [];
  const sup = new Supervisor(p.port, {
    settings: { intervalMs: 0, stopTimeoutMs: 1000, alarmMs: 0 },
    servers: [{ name: "web", argv: ["/bin/web"], ready: { kind: "tcp", host: "127.0.0.1", port: 8080 } }],
    logFormat: "text",
    spawnExtras: () => ({ env: {} }),
    onStep: (e) => { seen.push(e); },
  });
  sup.start(null);
  return { ...p, sup, seen, results: () => seen.filter((e) => e.type === "probe-result") };
}

test("the answer of a probe about a running process reaches the core", () => {
  const s = supervisor([100]);
  s.fire();
  expect(s.probes).toHaveLength(1); // web's readiness probe, about pid 100
  s.probes[0]!({ ok: true, reason: "" });
  expect(s.results()).toEqual([expect.objectContaining({ type: "probe-result", pid: 100, ok: true })]);
});

test("an answer that comes after its process ended is dropped, also when the pid is another process's by then", () => {
  // web's first process gets pid 100; it crashes, and its respawn is handed pid 100 again.
  const s = supervisor([100, 100]);
  s.fire();
  expect(s.probes).toHaveLength(1);
  s.exit(100);
  s.fire();
  expect(s.seen.filter((e) => e.type === "spawned").map((e) => (e as { pid: number }).pid)).toEqual([100, 100]);
  expect(s.probes).toHaveLength(2); // the new process's own readiness probe
  // The old probe answers "ready": about the process that ended, not the one that has pid 100 now.
  s.probes[0]!({ ok: true, reason: "" });
  expect(s.results()).toEqual([]);
  // The new process's probe is its own.
  s.probes[1]!({ ok: false, reason: "connection refused" });
  expect(s.results()).toEqual([expect.objectContaining({ type: "probe-result", pid: 100, ok: false })]);
});

test("a probe cut short by lazarus itself (no verdict) reaches the core as probe-interrupted, and a failing server is not restarted for it", () => {
  const probes: ProbeDone[] = [];
  const timers: { fn: () => void; live: boolean }[] = [];
  const kills: number[] = [];
  const { port } = fakePort({
    spawn: (_r: SpawnRequest) => ({ ok: true, pid: 100 }),
    setTimer: (_at: number, fn: () => void) => {
      const timer = { fn, live: true };
      timers.push(timer);
      return { cancel: () => { timer.live = false; } };
    },
    probe: (_r: unknown, done: ProbeDone) => { probes.push(done); },
    kill: (pid: number) => { kills.push(pid); return true; },
  });
  const fire = () => { for (const timer of timers.splice(0)) if (timer.live) timer.fn(); };
  const seen: Event[] = [];
  const sup = new Supervisor(port, {
    settings: { intervalMs: 0, stopTimeoutMs: 1000, alarmMs: 0 },
    // One failed health check makes it unhealthy (retries 1).
    servers: [{ name: "web", argv: ["/bin/web"], health: { probe: { kind: "cmd", argv: ["/bin/check"] }, intervalMs: 1000, timeoutMs: 500, retries: 1 } }],
    logFormat: "text",
    spawnExtras: () => ({ env: {} }),
    onStep: (e) => { seen.push(e); },
  });
  sup.start(null);
  fire();
  expect(probes).toHaveLength(1); // the health probe, about pid 100
  probes[0]!({ ok: null, reason: "interrupted by a re-exec" });
  expect(seen.filter((e) => e.type === "probe-result")).toEqual([]);
  expect(seen.filter((e) => e.type === "probe-interrupted")).toEqual([expect.objectContaining({ pid: 100, purpose: "health", reason: "interrupted by a re-exec" })]);
  expect(kills).toEqual([]); // not taken for a failed check: web is not restarted
  fire();
  expect(probes).toHaveLength(2); // tried again at its interval
  probes[1]!({ ok: false, reason: "exit status 1" });
  expect(kills).toEqual([100]); // a real failure still counts
});
