// /healthz's verdict through a server's life: booting, running, buried,
// revived, not ready, stopping, shutting down.
import { expect, test } from "bun:test";
import { health } from "../../src/http/health.ts";
import { FakeSupervisor, ManualClock } from "../helpers/fake-supervisor.ts";

function fake() {
  const clock = new ManualClock();
  const sup = new FakeSupervisor([
    { name: "web", argv: ["web"], intervalMs: 60_000 },
    { name: "api", argv: ["api"] },
    { name: "manual", argv: ["manual"], autostart: false },
  ], clock);
  return { clock, sup };
}

test("booting: not healthy until the servers are started", () => {
  const { sup } = fake();
  const h = health(sup.snapshot());
  expect(h.ok).toBe(false);
  expect(h.supervisor).toBe("starting up");
  expect(h.servers.map((s) => s.server)).toEqual(["web", "api"]); // not "manual": autostart = false
  sup.start();
  expect(health(sup.snapshot())).toEqual({ ok: true, phase: "running", supervisor: null, servers: [] });
});

test("a buried server makes it unhealthy, naming it; a revive makes it healthy again", () => {
  const { clock, sup } = fake();
  sup.start();
  clock.advance(10);
  sup.crash("web", { code: 1 });
  const h = health(sup.snapshot());
  expect(h.ok).toBe(false);
  expect(h.servers).toEqual([{ server: "web", state: "buried", reason: "buried (waiting for a revive)" }]);
  sup.control({ op: "revive", server: null }, () => {});
  expect(health(sup.snapshot()).ok).toBe(true);
});

test("readiness counts once known; a server being stopped does not count as healthy", () => {
  const { sup } = fake();
  sup.start();
  sup.ready.set(sup.index("api"), false);
  expect(health(sup.snapshot()).servers).toEqual([{ server: "api", state: "alive", reason: "not ready" }]);
  sup.ready.set(sup.index("api"), true);
  expect(health(sup.snapshot()).ok).toBe(true);
  const snap = sup.snapshot();
  const stopping = { ...snap, servers: snap.servers.map((s) => (s.name === "web" ? { ...s, stopping: true } : s)) };
  expect(health(stopping).servers).toEqual([{ server: "web", state: "alive", reason: "stopping" }]);
});

test("an operator's stop of an autostart server, and a shutdown, make it unhealthy", () => {
  const { sup } = fake();
  sup.start();
  sup.control({ op: "start", server: sup.index("manual") }, () => {});
  sup.control({ op: "stop", server: sup.index("manual") }, () => {});
  expect(health(sup.snapshot()).ok).toBe(true); // manual servers do not count, up or down
  sup.control({ op: "stop", server: sup.index("api") }, () => {});
  expect(health(sup.snapshot()).servers).toEqual([{ server: "api", state: "cremated", reason: "cremated (will not be started again)" }]);
  sup.control({ op: "start", server: sup.index("api") }, () => {});
  expect(health(sup.snapshot()).ok).toBe(true);
  sup.terminate();
  const h = health(sup.snapshot());
  expect(h.ok).toBe(false);
  expect(h.supervisor).toBe("shutting down");
});

test("a server waiting for its retry is named: a crash in its backoff and a spawn that lacked a resource alike", () => {
  const { sup } = fake();
  sup.start();
  const snap = sup.snapshot();
  const waiting = { ...snap, servers: snap.servers.map((s) => (s.name === "web" ? { ...s, state: "backoff" as const, pid: null } : s)) };
  expect(health(waiting).servers).toEqual([{ server: "web", state: "backoff", reason: "waiting to be retried" }]);
});
