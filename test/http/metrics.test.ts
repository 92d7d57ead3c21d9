// /metrics from the real core's state (FakeSupervisor: the pure core with
// made-up OS answers), parsed back by the strict parser.
import { expect, test } from "bun:test";
import { SIGKILL, SIGSEGV } from "../../src/core/signals.ts";
import { metricsText } from "../../src/http/metrics.ts";
import { SERVER_STATES } from "../../src/http/snapshot.ts";
import { FakeSupervisor, ManualClock } from "../helpers/fake-supervisor.ts";
import { parsePrometheus, sample } from "../helpers/prom-parse.ts";

const PROC = { cpuSeconds: 1.25, residentBytes: 50_000_000, virtualBytes: 900_000_000, openFds: 17, maxFds: 20000 };

function fake() {
  const clock = new ManualClock();
  const sup = new FakeSupervisor([
    { name: "web", argv: ["web"] },
    { name: "worker", argv: ["worker"], intervalMs: 60_000 },
    { name: 'od"d\\name', argv: ["odd"] },
    { name: "manual", argv: ["manual"], autostart: false },
  ], clock, { intervalMs: 1000 });
  sup.start();
  return { clock, sup };
}

function scrape(sup: FakeSupervisor, clock: ManualClock, proc: typeof PROC | null = PROC) {
  return parsePrometheus(metricsText(sup.snapshot(), { now: clock.now(), wall: 1_800_000_000_000 }, proc, { responses: { 200: 3, 401: 1 }, refused: { rate: 2 }, sseClients: 1 }));
}

test("every family has HELP and TYPE, counters end in _total, every per-server series names its server", () => {
  const { clock, sup } = fake();
  const m = scrape(sup, clock);
  for (const f of m.values()) {
    expect(f.help).not.toBeNull();
    expect(f.type === "counter" || f.type === "gauge").toBe(true);
    if (f.type === "counter") expect(f.name.endsWith("_total")).toBe(true);
    if (f.name.startsWith("lazarus_server_")) for (const s of f.samples) expect(typeof s.labels.server).toBe("string");
  }
  expect([...m.keys()]).toEqual(expect.arrayContaining([
    "lazarus_server_up", "lazarus_server_state", "lazarus_server_restarts_total", "lazarus_server_buried_total", "lazarus_server_uptime_seconds",
    "lazarus_build_info", "lazarus_phase", "lazarus_uptime_seconds", "lazarus_events_total", "lazarus_reexecs_total",
    "lazarus_log_lines_dropped_total", "lazarus_control_requests_total", "lazarus_http_responses_total", "lazarus_http_refused_total", "lazarus_http_sse_clients",
    "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds",
  ]));
  // A server name that needs escaping comes back intact.
  expect(sample(m, "lazarus_server_up", { server: 'od"d\\name' })).toBe(1);
});

test("up, one state series per state, uptime and state age follow the server", () => {
  const { clock, sup } = fake();
  clock.advance(2500);
  let m = scrape(sup, clock);
  expect(sample(m, "lazarus_server_up", { server: "web" })).toBe(1);
  expect(sample(m, "lazarus_server_up", { server: "manual" })).toBe(0);
  for (const st of SERVER_STATES) {
    expect(sample(m, "lazarus_server_state", { server: "web", state: st })).toBe(st === "alive" ? 1 : 0);
    expect(sample(m, "lazarus_server_state", { server: "manual", state: st })).toBe(st === "unborn" ? 1 : 0);
  }
  expect(sample(m, "lazarus_server_uptime_seconds", { server: "web" })).toBe(2.5);
  expect(sample(m, "lazarus_server_uptime_seconds", { server: "manual" })).toBe(0);
  expect(sample(m, "lazarus_server_state_age_seconds", { server: "manual" })).toBeUndefined();
  expect(sample(m, "lazarus_uptime_seconds")).toBe(2.5);
  expect(sample(m, "lazarus_phase", { phase: "running" })).toBe(1);
  expect(sample(m, "lazarus_phase", { phase: "stopping" })).toBe(0);
  expect(sample(m, "lazarus_build_info", { version: "0.1.0" })).toBe(1);
  expect(sample(m, "process_start_time_seconds")).toBe(1_800_000_000 - 2.5);
  sup.crash("worker", { code: 3 }); // lived 2.5 s < 60 s: buried
  clock.advance(1000);
  m = scrape(sup, clock);
  expect(sample(m, "lazarus_server_up", { server: "worker" })).toBe(0);
  expect(sample(m, "lazarus_server_state", { server: "worker", state: "buried" })).toBe(1);
  expect(sample(m, "lazarus_server_state_age_seconds", { server: "worker" })).toBe(1);
  expect(sample(m, "lazarus_server_buried_total", { server: "worker" })).toBe(1);
});

test("restarts_total grows by one per respawn; crashes are counted by exit code and by signal", () => {
  const { clock, sup } = fake();
  const restarts = () => sample(scrape(sup, clock), "lazarus_server_restarts_total", { server: "web" });
  expect(restarts()).toBe(0);
  for (let k = 1; k <= 3; k++) {
    clock.advance(5000); // lived longer than the interval: respawned
    sup.crash("web", k === 2 ? { code: 1 } : { signal: SIGSEGV });
    expect(restarts()).toBe(k);
  }
  const m = scrape(sup, clock);
  expect(sample(m, "lazarus_server_crashes_total", { server: "web", kind: "signal", signal: "SIGSEGV" })).toBe(2);
  expect(sample(m, "lazarus_server_crashes_total", { server: "web", kind: "exit", code: "1" })).toBe(1);
  expect(sample(m, "lazarus_server_buried_total", { server: "web" })).toBe(0);
  expect(sample(m, "lazarus_server_last_exit", { server: "web", kind: "signal", signal: "SIGSEGV" })).toBe(1);
  expect(sample(m, "lazarus_server_last_exit", { server: "worker" })).toBeUndefined();
  expect(sample(m, "lazarus_events_total")).toBe(sup.events);
});

test("an operator's stop is not a crash, whatever the server dies of", () => {
  const clock = new ManualClock();
  // Its stop signal is SIGKILL: it dies of a signal that is no clean end.
  const sup = new FakeSupervisor([{ name: "web", argv: ["web"], stopSignal: SIGKILL }, { name: "db", argv: ["db"] }], clock);
  sup.start();
  clock.advance(5000);
  sup.crash("db", { code: 2 });
  sup.control({ op: "stop", server: sup.index("web") }, () => {});
  expect(sup.state.servers.at(0)?.life.kind).toBe("cremated");
  expect(sup.state.servers.at(0)?.lastExit).toEqual({ kind: "signal", signal: SIGKILL });
  const m = scrape(sup, clock);
  expect(m.get("lazarus_server_crashes_total")?.samples.map((s) => s.labels)).toEqual([{ server: "db", kind: "exit", code: "2" }]);
  expect(sample(m, "lazarus_server_state", { server: "web", state: "cremated" })).toBe(1);
  expect(sample(m, "lazarus_server_last_exit", { server: "web", kind: "signal", signal: "SIGKILL" })).toBe(1);
  expect(sample(m, "lazarus_control_requests_total")).toBe(1);
});

test("readiness is a series only where it is known; process metrics only where measured", () => {
  const { clock, sup } = fake();
  let m = scrape(sup, clock, null);
  expect(m.get("lazarus_server_ready")).toBeUndefined();
  expect(m.get("process_cpu_seconds_total")).toBeUndefined();
  expect(sample(m, "process_start_time_seconds")).toBe(1_800_000_000); // from the clock, always there
  sup.ready.set(sup.index("web"), false);
  m = scrape(sup, clock);
  expect(sample(m, "lazarus_server_ready", { server: "web" })).toBe(0);
  expect(sample(m, "lazarus_server_ready", { server: "worker" })).toBeUndefined();
  expect(sample(m, "process_cpu_seconds_total")).toBe(1.25);
  expect(sample(m, "process_open_fds")).toBe(17);
  expect(sample(m, "lazarus_http_responses_total", { code: "401" })).toBe(1);
  expect(sample(m, "lazarus_http_refused_total", { reason: "rate" })).toBe(2);
});
