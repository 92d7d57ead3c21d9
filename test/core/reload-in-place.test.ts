// A reload that changes a server's policy only (docs/spec.md, "Reload": updated in place): its process keeps its pid
// and gets no signal; its checks follow the new spec; what is under way keeps what it was given.
import { describe, expect, test } from "bun:test";
import { reconfigure, sameLaunch } from "../../src/core/reconfigure.ts";
import { SIGINT, SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { marshal, unmarshal } from "../../src/core/marshal.ts";
import { handoverOf, handoverSpecs } from "../../src/core/step.ts";
import type { Effect, HealthSpec, ServerSpec } from "../../src/core/types.ts";
import { code, Driver, kills, logs, spawns } from "../helpers/driver.ts";

const spec = (name: string, extra: Partial<ServerSpec> = {}): ServerSpec => ({ argv: [name], name, label: name, ...extra });
const HEALTH: HealthSpec = { probe: { kind: "tcp", host: "127.0.0.1", port: 80 }, intervalMs: 1000, timeoutMs: 500, retries: 2 };

function reload(d: Driver, at: number, servers: readonly ServerSpec[]): Effect[] {
  return d.feed({ type: "reconfigure", at, id: 1, settings: d.state.settings, servers });
}

const timers = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "arm" ? [`arm ${e.timer} ${e.at}`] : e.type === "disarm" ? [`disarm ${e.timer}`] : []));
const replies = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "reply" ? [e] : []));
const probes = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "probe" ? [e] : []));

describe("what restarts and what applies in place (reconfigure.ts)", () => {
  test("argv, label, launch, readiness check and table restart; every other field is policy", () => {
    const a = spec("a");
    for (const extra of [{ argv: ["a", "x"] }, { label: "b" }, { launch: "env" }, { ready: { kind: "notify" } as const }, { group: "g" }]) {
      expect(sameLaunch(a, spec("a", extra))).toBe(false);
    }
    const policy: Partial<ServerSpec>[] = [
      { intervalMs: 5 }, { stopSignal: SIGINT }, { stopTimeoutMs: 5 }, { restart: "always" }, { backoff: { initialMs: 1, maxMs: 2, retries: 3 } },
      { health: HEALTH }, { watchdogMs: 5 }, { readyTimeoutMs: 5 }, { dependsOn: [1] }, { rolling: "stop-first" }, { autostart: false },
    ];
    for (const extra of policy) expect(sameLaunch(a, spec("a", extra))).toBe(true);
  });

  test("a policy change is among the unchanged, named as updated; a launch change with it is a change", () => {
    const d = new Driver([spec("web"), spec("api"), spec("db")]);
    const r = reconfigure(d.state.servers, [spec("web", { stopTimeoutMs: 100 }), spec("api", { stopTimeoutMs: 100, argv: ["api", "-v"] }), spec("db")]);
    expect(r.summary).toEqual({ added: [], changed: ["api"], removed: [], unchanged: ["web", "db"], updated: ["web"] });
    expect(r.changes[0]).toEqual({ kind: "updated", slot: 0, spec: spec("web", { stopTimeoutMs: 100 }) });
  });
});

describe("a reload that changes policy only", () => {
  test("the process keeps its pid and gets no signal; the log and the reply say it was updated in place", () => {
    const d = new Driver([spec("web"), spec("api"), spec("db")]);
    d.start(0);
    const pids = [d.pid(0), d.pid(1), d.pid(2)];
    const fx = reload(d, 100, [spec("web", { stopTimeoutMs: 100, restart: "always" }), spec("api", { intervalMs: 10 }), spec("db")]);
    expect(kills(fx)).toEqual([]);
    expect(spawns(fx)).toEqual([]);
    expect([d.pid(0), d.pid(1), d.pid(2)]).toEqual(pids);
    expect(logs(fx)[0]).toBe("reloaded: 0 added, 0 changed, 0 removed, 3 unchanged (2 updated in place: web, api).");
    expect(replies(fx)[0]?.reload).toEqual({ added: [], changed: [], removed: [], unchanged: ["web", "api", "db"], updated: ["web", "api"] });
    expect(d.state.servers.at(0)?.spec.stopTimeoutMs).toBe(100);
  });

  test("a new stop timeout is the next stop order's; an order already given keeps its deadline", () => {
    const d = new Driver([spec("web"), spec("api")]);
    d.start(0);
    // api's stop order is given before the reload: its deadline (the old 5 s) stays
    d.feed({ type: "control", at: 50, id: 9, command: { op: "stop", server: 1 } });
    reload(d, 100, [spec("web", { stopTimeoutMs: 300, stopSignal: SIGINT }), spec("api", { stopTimeoutMs: 300 })]);
    const api = d.state.servers.at(1)?.life;
    expect(api?.kind === "alive" ? api.stop?.deadline : null).toBe(5050);
    // web's next stop order: its new signal, and SIGKILL 300 ms later
    const fx = d.feed({ type: "terminate", at: 200, signal: SIGTERM });
    expect(kills(fx)).toEqual([{ pid: d.pid(0), signal: SIGINT, group: true }]);
    expect(timers(fx)).toContain("arm stop:0 500");
    expect(kills(d.feed({ type: "timer", at: 500, timer: "stop:0" }))).toEqual([{ pid: d.pid(0), signal: SIGKILL, group: true }]);
  });

  test("a new interval and restart policy judge the next end", () => {
    const d = new Driver([spec("web")]);
    d.start(0);
    reload(d, 100, [spec("web", { restart: "never", intervalMs: 10 })]);
    // an abnormal end long after its start, with restart = never now: buried, not respawned
    expect(spawns(d.exit(d.pid(0), code(1), 5000))).toEqual([]);
    expect(d.kind(0)).toBe("buried");
  });

  test("a changed health check starts afresh: no failures counted, its first probe one new interval from the reload", () => {
    const d = new Driver([spec("web", { health: HEALTH })]);
    d.start(0);
    const pid = d.pid(0);
    expect(probes(d.feed({ type: "timer", at: 1000, timer: "probe:0" }))).toHaveLength(1);
    d.feed({ type: "probe-result", at: 1100, server: 0, pid, purpose: "health", ok: false, reason: "refused" });
    expect(d.state.servers.at(0)?.healthFails).toBe(1);
    const fx = reload(d, 1500, [spec("web", { health: { ...HEALTH, intervalMs: 300, retries: 1 } })]);
    expect(timers(fx)).toEqual(["arm probe:0 1800"]);
    expect(d.state.servers.at(0)?.healthFails).toBe(0);
    // the new schedule's timer: a probe of the new check
    expect(probes(d.feed({ type: "timer", at: 1800, timer: "probe:0" }))[0]?.timeoutMs).toBe(500);
  });

  test("the answer of the old check's probe in flight counts for nothing; the new schedule follows it", () => {
    const d = new Driver([spec("web", { health: { ...HEALTH, retries: 1 } })]);
    d.start(0);
    const pid = d.pid(0);
    d.feed({ type: "timer", at: 1000, timer: "probe:0" });
    const fx = reload(d, 1200, [spec("web", { health: { ...HEALTH, probe: { kind: "http", url: "http://127.0.0.1/" }, intervalMs: 400, retries: 1 } })]);
    expect(timers(fx)).toEqual([]);
    // the old check fails (retries 1 would make it unhealthy): it counts for nothing, the next probe is the new check's
    const after = d.feed({ type: "probe-result", at: 1300, server: 0, pid, purpose: "health", ok: false, reason: "refused" });
    expect(kills(after)).toEqual([]);
    expect(timers(after)).toEqual(["arm probe:0 1700"]);
    expect(d.state.servers.at(0)?.staleProbe).toBeUndefined();
    expect(probes(d.feed({ type: "timer", at: 1700, timer: "probe:0" }))[0]?.probe).toEqual({ kind: "http", url: "http://127.0.0.1/" });
    // the new check's failure counts
    expect(kills(d.feed({ type: "probe-result", at: 1750, server: 0, pid, purpose: "health", ok: false, reason: "404" }))).toEqual([{ pid, signal: SIGTERM, group: true }]);
  });

  test("a health check removed: its probes stop; added: they begin", () => {
    const d = new Driver([spec("web", { health: HEALTH }), spec("api")]);
    d.start(0);
    const fx = reload(d, 500, [spec("web"), spec("api", { health: HEALTH })]);
    expect(timers(fx).sort()).toEqual(["arm probe:1 1500", "disarm probe:0"]);
  });

  test("a server not ready yet: a new ready_timeout counts from its start; one already past fails it at once", () => {
    const d = new Driver([spec("web", { ready: { kind: "notify" }, readyTimeoutMs: 10_000 }), spec("api", { ready: { kind: "notify" }, readyTimeoutMs: 10_000 })]);
    d.start(0);
    const fx = reload(d, 3000, [spec("web", { ready: { kind: "notify" }, readyTimeoutMs: 20_000 }), spec("api", { ready: { kind: "notify" }, readyTimeoutMs: 1000 })]);
    expect(timers(fx)).toEqual(["arm ready:0 20000", "arm ready:1 3000"]);
    const api = d.pid(1);
    expect(kills(d.feed({ type: "timer", at: 3000, timer: "ready:1" }))).toEqual([{ pid: api, signal: SIGTERM, group: true }]);
    // web's old deadline (10 s) is early now: armed again for the new one
    expect(timers(d.feed({ type: "timer", at: 10_000, timer: "ready:0" }))).toEqual(["arm ready:0 20000"]);
  });

  test("a watchdog changed: a new window opens at the reload", () => {
    const notify = { kind: "notify" } as const;
    const d = new Driver([spec("web", { ready: notify, watchdogMs: 10_000 })]);
    d.start(0);
    d.feed({ type: "notify", at: 100, pid: d.pid(0), ready: true, watchdog: false, status: null });
    const fx = reload(d, 2000, [spec("web", { ready: notify, watchdogMs: 1000 })]);
    expect(timers(fx)).toEqual(["arm watchdog:0 3000"]);
    expect(d.state.servers.at(0)?.watchdogAt).toBe(3000);
  });

  test("a server in backoff keeps its retry; an unborn one whose autostart is turned on starts", () => {
    const d = new Driver([spec("web", { backoff: { initialMs: 500, maxMs: 500, retries: 3 } }), spec("job", { autostart: false })]);
    d.start(0);
    d.exit(d.pid(0), code(1), 100);
    expect(d.kind(0)).toBe("backoff");
    const fx = reload(d, 200, [spec("web", { backoff: { initialMs: 50, maxMs: 50, retries: 1 } }), spec("job")]);
    expect(timers(fx)).toEqual([]);
    expect(spawns(fx)).toEqual([{ server: 1, argv: ["job"] }]);
    expect(replies(fx)[0]?.reload?.updated).toEqual(["web"]);
    // (the one it starts is said as a changed one: no process of it runs on, and `ctl reload --wait` waits for it)
    expect(replies(fx)[0]?.reload?.changed).toEqual(["job"]);
    expect(spawns(d.feed({ type: "timer", at: 600, timer: "backoff:0" }))).toEqual([{ server: 0, argv: ["web"] }]);
  });

  test("a server waiting for its dependencies: its dependencies changed, it is said among the changed (and started); another policy, updated", () => {
    const READY = { kind: "tcp", host: "127.0.0.1", port: 1 } as const;
    const d = new Driver([spec("db", { ready: READY }), spec("web", { dependsOn: [0] })]);
    d.start(0);
    expect(d.kind(1)).toBe("waiting");
    // Only its stop timeout: it still waits; nothing of it is to be up that was not before.
    const same = reload(d, 100, [spec("db", { ready: READY }), spec("web", { dependsOn: [0], stopTimeoutMs: 50 })]);
    expect(replies(same)[0]?.reload).toMatchObject({ changed: [], updated: ["web"] });
    // Its dependency gone: the reload starts it, and `ctl reload --wait` waits for it as for a changed one (it said
    // "updated in place", and --wait did not wait).
    const fx = reload(d, 200, [spec("db", { ready: READY }), spec("web", { stopTimeoutMs: 50 })]);
    expect(spawns(fx)).toEqual([{ server: 1, argv: ["web"] }]);
    expect(replies(fx)[0]?.reload).toEqual({ added: [], changed: ["web"], removed: [], unchanged: ["db"] });
  });

  test("a server being restarted for a launch change takes the policy change as its pending spec", () => {
    const d = new Driver([spec("web")]);
    d.start(0);
    const old = d.pid(0);
    reload(d, 100, [spec("web", { argv: ["web", "-v"] })]);
    const fx = reload(d, 200, [spec("web", { argv: ["web", "-v"], stopTimeoutMs: 50 })]);
    expect(kills(fx)).toEqual([]);
    expect(d.state.servers.at(0)?.next).toEqual(spec("web", { argv: ["web", "-v"], stopTimeoutMs: 50 }));
    expect(spawns(d.exit(old, { kind: "signal", signal: SIGTERM }, 300))).toEqual([{ server: 0, argv: ["web", "-v"] }]);
    expect(d.state.servers.at(0)?.spec.stopTimeoutMs).toBe(50);
  });

  test("a re-exec after it hands the server over running, and the new image, which runs the reloaded files, adopts it under the updated spec", () => {
    const health = { ...HEALTH, intervalMs: 300 };
    const d = new Driver([spec("web", { health: HEALTH })]);
    d.start(0);
    const pid = d.pid(0);
    reload(d, 100, [spec("web", { stopTimeoutMs: 50, health })]);
    const h = handoverOf(d.state, 200);
    expect(h.servers[0]).toMatchObject({ kind: "alive", pid, stop: null });
    expect(h.servers[0]).not.toHaveProperty("runs");
    const read = unmarshal(marshal(h, handoverSpecs(d.state)), [spec("web", { stopTimeoutMs: 50, health })]);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    const img = new Driver([spec("web", { stopTimeoutMs: 50, health })]);
    const take = img.feed({ type: "start", at: 250, handover: read.handover });
    expect(take.filter((e) => e.type === "adopt")).toEqual([{ type: "adopt", server: 0, pid }]);
    expect(timers(take)).toContain("arm probe:0 550");
    expect(timers(img.feed({ type: "terminate", at: 300, signal: SIGTERM }))).toContain("arm stop:0 350");
  });

  test("a changed health check with a probe of the old one in flight also starts afresh: the failures counted before go", () => {
    const d = new Driver([spec("web", { health: HEALTH })]);
    d.start(0);
    const pid = d.pid(0);
    d.feed({ type: "timer", at: 1000, timer: "probe:0" });
    d.feed({ type: "probe-result", at: 1100, server: 0, pid, purpose: "health", ok: false, reason: "refused" });
    d.feed({ type: "timer", at: 2100, timer: "probe:0" });
    // one failure counted (retries 2), a probe in flight: the reload changes the interval only
    reload(d, 2200, [spec("web", { health: { ...HEALTH, intervalMs: 300 } })]);
    expect(d.state.servers.at(0)?.healthFails).toBe(0);
    d.feed({ type: "probe-result", at: 2300, server: 0, pid, purpose: "health", ok: false, reason: "refused" });
    d.feed({ type: "timer", at: 2600, timer: "probe:0" });
    // the new check's first failure is its first: not unhealthy yet
    expect(kills(d.feed({ type: "probe-result", at: 2650, server: 0, pid, purpose: "health", ok: false, reason: "refused" }))).toEqual([]);
    expect(d.state.servers.at(0)?.healthFails).toBe(1);
  });

  test("the mark of an old check's probe goes with its answer or its process: the next process's probes count", () => {
    const d = new Driver([spec("web", { health: { ...HEALTH, retries: 1 } })]);
    d.start(0);
    const old = d.pid(0);
    d.feed({ type: "timer", at: 1000, timer: "probe:0" });
    reload(d, 1100, [spec("web", { health: { ...HEALTH, intervalMs: 300, retries: 1 } })]);
    // restarted while the old check's probe is in flight: the probe is dropped with the stop order
    d.feed({ type: "control", at: 1200, id: 2, command: { op: "restart", server: 0 } });
    d.exit(old, { kind: "signal", signal: SIGTERM }, 1300);
    const pid = d.pid(0);
    expect(pid).not.toBe(old);
    expect(d.state.servers.at(0)?.staleProbe).toBeUndefined();
    d.feed({ type: "timer", at: 1600, timer: "probe:0" });
    expect(kills(d.feed({ type: "probe-result", at: 1650, server: 0, pid, purpose: "health", ok: false, reason: "refused" }))).toEqual([{ pid, signal: SIGTERM, group: true }]);
  });

  test("a copy a rolling reload left on its old process, whose files now differ from that process in policy only: updated in place, its pending spec gone", () => {
    const notify = { kind: "notify" } as const;
    const copy = (n: number, extra: Partial<ServerSpec> = {}) => spec(`web.${n}`, { argv: ["web"], group: "web", ready: notify, ...extra });
    const d = new Driver([copy(1), copy(2)]);
    d.start(0);
    for (const i of [0, 1]) d.feed({ type: "notify", at: 10, pid: d.pid(i), ready: true, watchdog: false, status: null });
    const pids = [d.pid(0), d.pid(1)];
    // a rolling reload to a new argv: web.1's new process starts aside; web.2 keeps its old process, the new spec pending
    reload(d, 100, [copy(1, { argv: ["web", "-v"] }), copy(2, { argv: ["web", "-v"] })]);
    expect(d.state.servers.at(1)?.next?.argv).toEqual(["web", "-v"]);
    // the files go back to the old argv with a new stop timeout: the reload ends the roll; what runs is updated in place
    const fx = reload(d, 200, [copy(1, { stopTimeoutMs: 100 }), copy(2, { stopTimeoutMs: 100 })]);
    expect(replies(fx)[0]?.reload).toMatchObject({ changed: [], updated: ["web.1", "web.2"] });
    expect(kills(fx).filter((k) => pids.includes(k.pid))).toEqual([]);
    for (const i of [0, 1]) {
      expect(d.state.servers.at(i)?.next).toBeUndefined();
      expect(d.state.servers.at(i)?.spec).toEqual(copy(i + 1, { stopTimeoutMs: 100 }));
    }
    expect([d.pid(0), d.pid(1)]).toEqual(pids);
  });
});
