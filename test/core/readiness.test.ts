// Issue 14's policy on the pure core, case by case: readiness, start order and
// shutdown order, health checks and the watchdog, restart = always/never,
// backoff, and sd_notify to systemd. (The properties and the simulator check
// the same rules on generated scenarios.)
import { describe, expect, test } from "bun:test";
import { dumpLines, statusOf } from "../../src/core/status.ts";
import { handoverOf } from "../../src/core/step.ts";
import { READY_POLL_MS } from "../../src/core/table.ts";
import type { Effect, Handover, ProbeSpec, ServerSpec, Settings } from "../../src/core/types.ts";
import { code, Driver, kills, logs, SETTINGS, spawns } from "../helpers/driver.ts";

const TCP: ProbeSpec = { kind: "tcp", host: "127.0.0.1", port: 5432 };
const spec = (name: string, extra: Partial<ServerSpec> = {}): ServerSpec => ({ argv: [name, "--initial-spawn"], name, ...extra });
const probes = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "probe" ? [{ server: e.server, purpose: e.purpose, timeoutMs: e.timeoutMs }] : []));
const arms = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "arm" ? [`${e.timer}@${e.at}`] : []));
const notes = (fx: readonly Effect[]) => fx.flatMap((e) => (e.type === "sd-notify" ? [e.text] : []));
const notify = (d: Driver, pid: number, at: number, fields: { ready?: boolean; watchdog?: boolean; status?: string; trigger?: boolean } = {}) =>
  d.feed({ type: "notify", at, pid, ready: fields.ready ?? false, watchdog: fields.watchdog ?? false, status: fields.status ?? null, ...(fields.trigger === true ? { trigger: true } : {}) });

describe("readiness", () => {
  test("a server with `ready` is starting (unready) until it says so; without, ready at once", () => {
    const d = new Driver([spec("db", { ready: { kind: "notify" } }), spec("cache")]);
    d.start(0);
    const [db, cache] = d.state.servers;
    expect(db?.life).toMatchObject({ kind: "alive", ready: false });
    expect(cache?.life).toMatchObject({ kind: "alive", ready: true });
    const fx = notify(d, d.pid(0), 300, { ready: true });
    expect(d.state.servers.at(0)?.life).toMatchObject({ kind: "alive", ready: true });
    expect(logs(fx)).toEqual(["'db' is ready."]);
  });

  test("a probe kind is polled every READY_POLL_MS, one at a time, and bounded by what is left of ready_timeout", () => {
    const d = new Driver([spec("db", { ready: TCP, readyTimeoutMs: 1000 })]);
    const start = d.start(0);
    expect(arms(start)).toEqual([`probe:0@${READY_POLL_MS}`, "ready:0@1000"]);
    const pid = d.pid(0);
    const fx = d.feed({ type: "timer", at: 900, timer: "probe:0" });
    expect(probes(fx)).toEqual([{ server: 0, purpose: "ready", timeoutMs: 100 }]);
    // A second firing while one is in flight asks for nothing.
    expect(probes(d.feed({ type: "timer", at: 950, timer: "probe:0" }))).toEqual([]);
    const failed = d.feed({ type: "probe-result", at: 960, server: 0, pid, purpose: "ready", ok: false, reason: "connection refused" });
    expect(arms(failed)).toEqual([`probe:0@${960 + READY_POLL_MS}`]);
  });

  test("ready_timeout: a failed start, stopped, and its end judged as a crash by how long it lived", () => {
    const d = new Driver([spec("db", { ready: TCP, readyTimeoutMs: 500 })], { ...SETTINGS, intervalMs: 1000 });
    d.start(0);
    const pid = d.pid(0);
    const fx = d.feed({ type: "timer", at: 500, timer: "ready:0" });
    expect(logs(fx)).toEqual(["'db' did not become ready within 0.500 s: a failed start, stopping it."]);
    expect(kills(fx)).toEqual([{ pid, signal: 15, group: true }]);
    // It ends 600 ms after its start: sooner than the interval, so a fast crash: buried (no backoff).
    const end = d.exit(pid, { kind: "signal", signal: 15 }, 600);
    expect(d.kind(0)).toBe("buried");
    expect(logs(end)).toContain("'db' failed to start.");
  });

  test("a failed start that lived longer than the interval is respawned", () => {
    const d = new Driver([spec("db", { ready: TCP, readyTimeoutMs: 3000 })], { ...SETTINGS, intervalMs: 1000 });
    d.start(0);
    const pid = d.pid(0);
    d.feed({ type: "timer", at: 3000, timer: "ready:0" });
    const end = d.exit(pid, code(0), 3100);
    expect(spawns(end)).toEqual([{ server: 0, argv: ["db", "--respawn"] }]);
    // Its clean end (it obeyed its stop signal) is no restart = "always": the line does not say it is.
    expect(logs(end).slice(0, 2)).toEqual(["'db' failed to start.", "'db' exited normally once stopped, respawning."]);
  });

  test("a readiness line of output (output-match) makes it ready; for another pid or when ready already, nothing", () => {
    const d = new Driver([spec("web", { ready: { kind: "log", pattern: "listening" } })]);
    d.start(0);
    expect(d.feed({ type: "output-match", at: 10, pid: 999 })).toEqual([]);
    expect(logs(d.feed({ type: "output-match", at: 20, pid: d.pid(0) }))).toEqual(["'web' is ready."]);
    expect(d.feed({ type: "output-match", at: 30, pid: d.pid(0) })).toEqual([]);
  });

  test("READY=1 from a server whose readiness is not notify changes nothing; STATUS= is kept for people", () => {
    const d = new Driver([spec("web", { ready: TCP })]);
    d.start(0);
    notify(d, d.pid(0), 10, { ready: true, status: "warming up" });
    expect(d.state.servers.at(0)).toMatchObject({ life: { kind: "alive", ready: false }, note: "warming up" });
  });
});

describe("start order (depends_on)", () => {
  test("a dependent waits until its dependency is ready, then starts in the same step", () => {
    const d = new Driver([spec("db", { ready: { kind: "notify" } }), spec("web", { dependsOn: [0] })]);
    const start = d.start(0);
    expect(spawns(start).map((s) => s.server)).toEqual([0]);
    expect(d.kind(1)).toBe("waiting");
    expect(logs(start)).toContain("'web' waits for 'db' to be ready.");
    const fx = notify(d, d.pid(0), 700, { ready: true });
    expect(spawns(fx)).toEqual([{ server: 1, argv: ["web", "--initial-spawn"] }]);
  });

  test("a dependency without `ready` is ready once it runs: both start at once, in order", () => {
    const d = new Driver([spec("web", { dependsOn: [1] }), spec("db")]);
    const start = d.start(0);
    expect(spawns(start).map((s) => s.server)).toEqual([1, 0]);
  });

  test("a buried dependency keeps its dependents waiting; a revive resumes the order", () => {
    const d = new Driver([spec("db", { ready: { kind: "notify" } }), spec("web", { dependsOn: [0] })]);
    d.start(0);
    d.exit(d.pid(0), code(1), 100); // fast: buried
    expect(d.kinds()).toEqual(["buried", "waiting"]);
    const refused = d.feed({ type: "control", at: 200, id: 1, command: { op: "start", server: 1 } });
    expect(refused.find((e) => e.type === "reply")).toMatchObject({ ok: false, message: "web waits for db to be ready" });
    d.feed({ type: "revive", at: 300 });
    expect(d.kinds()).toEqual(["alive", "waiting"]);
    notify(d, d.pid(0), 400, { ready: true });
    expect(d.kinds()).toEqual(["alive", "alive"]);
  });

  test("a stopped dependent started (or restarted) while its dependency is not ready is answered that it waits, not 'started' (found on a real supervisor)", () => {
    const d = new Driver([spec("db", { ready: { kind: "notify" } }), spec("web", { dependsOn: [0] })]);
    d.start(0);
    d.feed({ type: "control", at: 100, id: 1, command: { op: "stop", server: 1 } });
    expect(d.kinds()).toEqual(["alive", "cremated"]);
    for (const op of ["start", "restart"] as const) {
      const fx = d.feed({ type: "control", at: 200, id: 2, command: { op, server: 1 } });
      expect(fx.find((e) => e.type === "reply")).toMatchObject({ ok: true, message: "web waits for db to be ready, and starts then" });
      expect(d.kinds()).toEqual(["alive", "waiting"]);
      d.feed({ type: "control", at: 300, id: 3, command: { op: "stop", server: 1 } });
    }
    // Ready: started, as before.
    notify(d, d.pid(0), 400, { ready: true });
    const fx = d.feed({ type: "control", at: 500, id: 4, command: { op: "start", server: 1 } });
    expect(fx.find((e) => e.type === "reply")).toMatchObject({ ok: true, message: "started web" });
  });

  test("a dependency that ended cleanly (a one-shot job) lets its dependents start", () => {
    const d = new Driver([spec("migrate", { ready: { kind: "notify" } }), spec("web", { dependsOn: [0] })]);
    d.start(0);
    d.exit(d.pid(0), code(0), 2000);
    expect(d.kinds()).toEqual(["cremated", "alive"]);
  });

  test("a shutdown stops dependents first, then what they depend on", () => {
    const d = new Driver([spec("db"), spec("api", { dependsOn: [0] }), spec("web", { dependsOn: [1] })]);
    d.start(0);
    const [db, api, web] = [d.pid(0), d.pid(1), d.pid(2)];
    const fx = d.feed({ type: "terminate", at: 1000, signal: 15 });
    expect(kills(fx).map((k) => k.pid)).toEqual([web]);
    expect(kills(d.exit(web, { kind: "signal", signal: 15 }, 1100)).map((k) => k.pid)).toEqual([api]);
    expect(kills(d.exit(api, { kind: "signal", signal: 15 }, 1200)).map((k) => k.pid)).toEqual([db]);
    d.exit(db, { kind: "signal", signal: 15 }, 1300);
    expect(d.all.filter((e) => e.type === "exit")).toEqual([{ type: "exit", status: 0 }]);
  });

  test("a second terminate kills everything at once, dependencies included", () => {
    const d = new Driver([spec("db"), spec("web", { dependsOn: [0] })]);
    d.start(0);
    d.feed({ type: "terminate", at: 1000, signal: 15 });
    const fx = d.feed({ type: "terminate", at: 1100, signal: 15 });
    expect(kills(fx).map((k) => [k.pid, k.signal])).toEqual([[d.pid(0), 9], [d.pid(1), 9]]);
  });
});

describe("health checks and the watchdog", () => {
  const health = { probe: TCP, intervalMs: 1000, timeoutMs: 300, retries: 2 };

  function healthy(): { d: Driver; pid: number } {
    const d = new Driver([spec("web", { health })]);
    d.start(0);
    return { d, pid: d.pid(0) };
  }
  const probeAt = (d: Driver, at: number) => d.feed({ type: "timer", at, timer: "probe:0" });
  const answer = (d: Driver, pid: number, at: number, ok: boolean) =>
    d.feed({ type: "probe-result", at, server: 0, pid, purpose: "health", ok, reason: ok ? "" : "HTTP 500" });

  test("a probe cut short by lazarus (no verdict) counts for nothing: the streak stands, the probe is tried again at its interval", () => {
    const { d, pid } = healthy();
    probeAt(d, 1000);
    answer(d, pid, 1100, false); // one failure of two
    probeAt(d, 2100);
    const fx = d.feed({ type: "probe-interrupted", at: 2150, server: 0, pid, purpose: "health", reason: "interrupted by a re-exec" });
    expect(kills(fx)).toEqual([]);
    expect(logs(fx)).toEqual([]);
    expect(arms(fx)).toEqual(["probe:0@3150"]);
    expect(d.state.servers.at(0)?.healthFails).toBe(1);
    expect(d.state.servers.at(0)?.probing).toBe(false);
    // A stale interruption (about another pid) changes nothing; the next real failure is the second in a row.
    expect(d.feed({ type: "probe-interrupted", at: 2160, server: 0, pid: pid + 1, purpose: "health", reason: "x" })).toEqual([]);
    probeAt(d, 3150);
    expect(kills(answer(d, pid, 3200, false))).toEqual([{ pid, signal: 15, group: true }]);
  });

  test("an interrupted readiness probe is polled again, as a failed one", () => {
    const d = new Driver([spec("web", { ready: TCP })]);
    d.start(0);
    const pid = d.pid(0);
    expect(probes(d.feed({ type: "timer", at: 0, timer: "probe:0" }))).toHaveLength(1);
    const fx = d.feed({ type: "probe-interrupted", at: 50, server: 0, pid, purpose: "ready", reason: "interrupted by a re-exec" });
    expect(arms(fx)).toEqual([`probe:0@${50 + READY_POLL_MS}`]);
    expect(d.state.servers.at(0)?.life).toMatchObject({ kind: "alive", ready: false });
  });

  test("`retries` failed probes in a row: unhealthy, one log line with the reason, a stop order, then a start with --respawn", () => {
    const { d, pid } = healthy();
    expect(probes(probeAt(d, 1000))).toEqual([{ server: 0, purpose: "health", timeoutMs: 300 }]);
    answer(d, pid, 1100, false);
    probeAt(d, 2100);
    const fx = answer(d, pid, 2200, false);
    expect(logs(fx)).toEqual(["'web' is unhealthy (2 failed health checks in a row, the last: HTTP 500): restarting it."]);
    expect(kills(fx)).toEqual([{ pid, signal: 15, group: true }]);
    // Not a crash, however soon: started again with --respawn.
    const end = d.exit(pid, { kind: "signal", signal: 15 }, 2300);
    expect(spawns(end)).toEqual([{ server: 0, argv: ["web", "--respawn"] }]);
    expect(d.kind(0)).toBe("alive");
  });

  test("a passing probe resets the streak", () => {
    const { d, pid } = healthy();
    probeAt(d, 1000);
    answer(d, pid, 1100, false);
    probeAt(d, 2100);
    answer(d, pid, 2200, true);
    probeAt(d, 3200);
    const fx = answer(d, pid, 3300, false);
    expect(logs(fx)).toEqual([]);
    expect(d.state.servers.at(0)?.healthFails).toBe(1);
  });

  test("no probe for a server being stopped, and a late answer about a stopped process changes nothing", () => {
    const { d, pid } = healthy();
    probeAt(d, 1000);
    d.feed({ type: "control", at: 1050, id: 1, command: { op: "stop", server: 0 } });
    expect(answer(d, pid, 1100, false)).toEqual([]);
    expect(probes(probeAt(d, 2000))).toEqual([]);
  });

  test("the watchdog: WATCHDOG=1 moves its deadline; none in time makes it unhealthy", () => {
    const d = new Driver([spec("svc", { ready: { kind: "notify" }, watchdogMs: 1000 })]);
    d.start(0);
    const pid = d.pid(0);
    expect(arms(notify(d, pid, 100, { ready: true }))).toEqual(["watchdog:0@1100"]);
    expect(arms(notify(d, pid, 800, { watchdog: true }))).toEqual(["watchdog:0@1800"]);
    // The old timer firing early is armed again for the new deadline.
    expect(arms(d.feed({ type: "timer", at: 1100, timer: "watchdog:0" }))).toEqual(["watchdog:0@1800"]);
    const fx = d.feed({ type: "timer", at: 1800, timer: "watchdog:0" });
    expect(logs(fx)).toEqual(["'svc' is unhealthy (no WATCHDOG=1 within 1.000 s): restarting it."]);
  });

  describe("WATCHDOG=trigger: it asks to be treated as failed", () => {
    const NOTIFY = { ready: { kind: "notify" as const } };

    test("a ready server (with no watchdog) is stopped; its end is judged by its life: fast, buried; slow, respawned", () => {
      const d = new Driver([spec("web", NOTIFY)], { ...SETTINGS, intervalMs: 1000 });
      d.start(0);
      const pid = d.pid(0);
      notify(d, pid, 100, { ready: true });
      const fx = notify(d, pid, 200, { trigger: true });
      expect(logs(fx)).toEqual(["'web' asked to be treated as failed (WATCHDOG=trigger): stopping it."]);
      expect(kills(fx)).toEqual([{ pid, signal: 15, group: true }]);
      const end = d.exit(pid, { kind: "signal", signal: 15 }, 300);
      expect(logs(end)).toContain("'web' ended as failed, as it asked.");
      expect(d.kind(0)).toBe("buried");

      const slow = new Driver([spec("web", NOTIFY)], { ...SETTINGS, intervalMs: 1000 });
      slow.start(0);
      const p2 = slow.pid(0);
      notify(slow, p2, 100, { ready: true });
      notify(slow, p2, 5000, { trigger: true });
      expect(spawns(slow.exit(p2, code(0), 5100))).toEqual([{ server: 0, argv: ["web", "--respawn"] }]);
    });

    test("with backoff, a server that keeps asking is retried with growing delays, then buried (no restart loop)", () => {
      const d = new Driver([spec("web", { ...NOTIFY, backoff: { initialMs: 100, maxMs: 1000, retries: 2 } })], { ...SETTINGS, intervalMs: 1000 });
      d.start(0);
      let t = 0;
      for (let k = 0; k < 3; k++) {
        const pid = d.pid(0);
        notify(d, pid, t + 10, { trigger: true });
        d.exit(pid, { kind: "signal", signal: 15 }, t + 20);
        if (k < 2) {
          expect(d.kind(0)).toBe("backoff");
          const life = d.state.servers.at(0)?.life;
          t = life?.kind === "backoff" ? life.until : t;
          d.feed({ type: "timer", at: t, timer: "backoff:0" });
        }
      }
      expect(d.kind(0)).toBe("buried");
    });

    test("before it is ready: a failed start; READY=1 and WATCHDOG=trigger in one datagram: ready, then failed", () => {
      const d = new Driver([spec("web", NOTIFY)], { ...SETTINGS, intervalMs: 1000 });
      d.start(0);
      const pid = d.pid(0);
      const fx = notify(d, pid, 100, { trigger: true });
      expect(kills(fx)).toEqual([{ pid, signal: 15, group: true }]);
      expect(logs(d.exit(pid, code(0), 200))).toContain("'web' failed to start.");

      const both = new Driver([spec("web", NOTIFY)], { ...SETTINGS, intervalMs: 1000 });
      both.start(0);
      const p2 = both.pid(0);
      expect(logs(notify(both, p2, 100, { ready: true, trigger: true }))).toEqual([
        "'web' is ready.", "'web' asked to be treated as failed (WATCHDOG=trigger): stopping it.",
      ]);
    });

    test("from a server being stopped, during a shutdown, or from a pid that is no server's: nothing", () => {
      const d = new Driver([spec("web", NOTIFY), spec("db", NOTIFY)]);
      d.start(0);
      expect(notify(d, 999_999, 10, { trigger: true })).toEqual([]);
      d.feed({ type: "control", at: 20, id: 1, command: { op: "stop", server: 0 } });
      expect(kills(notify(d, d.pid(0), 30, { trigger: true }))).toEqual([]);
      d.feed({ type: "terminate", at: 40, signal: 15 });
      expect(kills(notify(d, d.pid(1), 50, { trigger: true }))).toEqual([]);
      expect(d.state.servers.at(1)?.life).toMatchObject({ kind: "alive" });
    });
  });
});

describe("restart and backoff", () => {
  test("backoff: fast crashes retried after growing delays, capped at max, then buried", () => {
    const d = new Driver([spec("w", { backoff: { initialMs: 500, maxMs: 1500, retries: 3 } })], { ...SETTINGS, intervalMs: 5000 });
    d.start(0);
    let t = 0;
    const delays: number[] = [];
    for (let k = 0; k < 3; k++) {
      const fx = d.exit(d.pid(0), code(1), t + 10);
      const until = (d.state.servers.at(0)?.life as { until: number }).until;
      delays.push(until - (t + 10));
      // (and, at its first crash, the timer of what is left of its group: test/core/leftovers.test.ts)
      expect(arms(fx).filter((a) => !a.startsWith("leftovers@"))).toEqual([`backoff:0@${until}`]);
      expect(spawns(d.feed({ type: "timer", at: until, timer: "backoff:0" }))).toEqual([{ server: 0, argv: ["w", "--respawn"] }]);
      t = until;
    }
    expect(delays).toEqual([500, 1000, 1500]);
    d.exit(d.pid(0), code(1), t + 10);
    expect(d.kind(0)).toBe("buried");
  });

  test("a life of at least the interval resets the count", () => {
    const d = new Driver([spec("w", { backoff: { initialMs: 500, maxMs: 8000, retries: 3 } })], { ...SETTINGS, intervalMs: 1000 });
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    d.feed({ type: "timer", at: 510, timer: "backoff:0" });
    expect(d.state.servers.at(0)?.retries).toBe(1);
    d.exit(d.pid(0), code(1), 5000); // lived long: respawned, count reset
    expect(d.state.servers.at(0)?.retries).toBe(0);
    const fx = d.exit(d.pid(0), code(1), 5010);
    expect(logs(fx)).toContain("'w' died abnormally too fast, retrying in 0.500 s (retry 1 of 3).");
  });

  test("a life of at least the interval resets the count also when it ends by a restart (an operator's, a health check's, a reload's)", () => {
    const health = { probe: TCP, intervalMs: 1000, timeoutMs: 300, retries: 1 };
    const d = new Driver([spec("w", { backoff: { initialMs: 500, maxMs: 8000, retries: 2 }, health })], { ...SETTINGS, intervalMs: 1000 });
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    d.feed({ type: "timer", at: 510, timer: "backoff:0" });
    expect(d.state.servers.at(0)?.retries).toBe(1);
    // Restarted at once (a short life): the count stands.
    d.feed({ type: "control", at: 600, id: 1, command: { op: "restart", server: 0 } });
    d.exit(d.pid(0), { kind: "signal", signal: 15 }, 650);
    expect(d.state.servers.at(0)?.retries).toBe(1);
    // It runs for an hour, then `ctl restart`: the new process crashes at once, its first fast crash since that long life.
    d.feed({ type: "control", at: 3_600_000, id: 2, command: { op: "restart", server: 0 } });
    d.exit(d.pid(0), { kind: "signal", signal: 15 }, 3_600_100);
    expect(logs(d.exit(d.pid(0), code(1), 3_600_200))).toContain("'w' died abnormally too fast, retrying in 0.500 s (retry 1 of 2).");
    // Again an hour, then unhealthy: the same.
    d.feed({ type: "timer", at: 3_600_700, timer: "backoff:0" });
    const pid = d.pid(0);
    d.feed({ type: "timer", at: 7_200_000, timer: "probe:0" });
    d.feed({ type: "probe-result", at: 7_200_100, server: 0, pid, purpose: "health", ok: false, reason: "HTTP 500" });
    d.exit(pid, { kind: "signal", signal: 15 }, 7_200_200);
    expect(logs(d.exit(d.pid(0), code(1), 7_200_300))).toContain("'w' died abnormally too fast, retrying in 0.500 s (retry 1 of 2).");
  });

  test("a backoff timer firing early is armed again; an operator's start does not wait for it", () => {
    const d = new Driver([spec("w", { backoff: { initialMs: 500, maxMs: 8000, retries: 3 } })]);
    d.start(0);
    d.exit(d.pid(0), code(1), 10);
    expect(arms(d.feed({ type: "timer", at: 100, timer: "backoff:0" }))).toEqual(["backoff:0@510"]);
    const fx = d.feed({ type: "control", at: 200, id: 1, command: { op: "start", server: 0 } });
    expect(fx.some((e) => e.type === "disarm" && e.timer === "backoff:0")).toBe(true);
    expect(d.kind(0)).toBe("alive");
  });

  test('restart = "always": a clean end is respawned after a long life, buried after a short one', () => {
    const d = new Driver([spec("w", { restart: "always" })], { ...SETTINGS, intervalMs: 1000 });
    d.start(0);
    const fx = d.exit(d.pid(0), code(0), 2000);
    expect(logs(fx)).toContain("'w' exited normally, respawning (restart = \"always\").");
    expect(d.kind(0)).toBe("alive");
    d.exit(d.pid(0), code(0), 2100);
    expect(d.kind(0)).toBe("buried");
  });

  test('restart = "never": an abnormal end is buried (crashed), a clean one cremated', () => {
    const d = new Driver([spec("a", { restart: "never" }), spec("b", { restart: "never" })], { ...SETTINGS, intervalMs: 1000 });
    d.start(0);
    const fx = d.exit(d.pid(0), code(3), 5000);
    expect(logs(fx)).toContain("'a' died abnormally and is not restarted (restart = \"never\"), burying.");
    expect(d.state.servers.at(0)?.life).toMatchObject({ kind: "buried", why: "crashed" });
    d.exit(d.pid(1), code(0), 5000);
    expect(d.kind(1)).toBe("cremated");
  });
});

describe("sd_notify to systemd", () => {
  const systemd: Settings = { ...SETTINGS, systemd: { watchdogMs: 2000 } };

  test("READY=1 once every autostart server is ready, STATUS= with the counts, WATCHDOG=1 every half period, STOPPING=1", () => {
    const d = new Driver([spec("db", { ready: { kind: "notify" } }), spec("web", { dependsOn: [0] })], systemd);
    const start = d.start(0);
    expect(arms(start)).toContain("sd-watchdog@1000");
    expect(notes(start)).toEqual(["STATUS=0 ready, 2 starting, 0 buried"]);
    const ready = notify(d, d.pid(0), 300, { ready: true });
    // The notify step spawns web (STATUS= says so); web's spawn result makes everything ready (READY=1).
    expect(notes(ready).sort()).toEqual(["READY=1\nSTATUS=2 ready, 0 starting, 0 buried", "STATUS=1 ready, 1 starting, 0 buried"]);
    const wd = d.feed({ type: "timer", at: 1000, timer: "sd-watchdog" });
    expect(notes(wd)).toEqual(["WATCHDOG=1"]);
    expect(arms(wd)).toEqual(["sd-watchdog@2000"]);
    expect(notes(d.feed({ type: "terminate", at: 1500, signal: 15 }))[0]).toBe("STOPPING=1");
  });

  test("READY=1 once what waits can only wait (its dependency buried, or never started on its own); not while the dependency may still come", () => {
    // db crashes before it is ready, and is buried: web and api (behind web) wait for a revive, which may never come.
    const d = new Driver([spec("db", { ready: TCP }), spec("web", { dependsOn: [0] }), spec("api", { dependsOn: [1] }), spec("other")], systemd);
    expect(notes(d.start(0)).some((n) => n.includes("READY=1"))).toBe(false);
    const buried = d.exit(d.pid(0), code(1), 100);
    expect(d.kind(0)).toBe("buried");
    expect(notes(buried)).toEqual(["READY=1\nSTATUS=1 ready, 2 starting, 1 buried"]);
    // A dependency that waits to be started by an operator (autostart = false): nothing of the start is in flight.
    const e = new Driver([spec("db", { autostart: false }), spec("web", { dependsOn: [0] })], systemd);
    expect(notes(e.start(0))).toEqual(["READY=1\nSTATUS=0 ready, 1 starting, 0 buried"]);
    // A dependency in backoff may still become ready: no READY=1 until it is buried.
    const f = new Driver([spec("db", { ready: TCP, backoff: { initialMs: 500, maxMs: 500, retries: 1 } }), spec("web", { dependsOn: [0] })], systemd);
    f.start(0);
    expect(notes(f.exit(f.pid(0), code(1), 100)).some((n) => n.includes("READY=1"))).toBe(false);
    f.feed({ type: "timer", at: 600, timer: "backoff:0" });
    expect(notes(f.exit(f.pid(0), code(1), 700)).some((n) => n.includes("READY=1"))).toBe(true);
  });

  test("without systemd, nothing is sent", () => {
    const d = new Driver([spec("db")]);
    expect(notes(d.start(0))).toEqual([]);
  });

  test("READY=1 is not sent again after a re-exec", () => {
    const d = new Driver([spec("db")], systemd);
    d.start(0);
    const h = handoverOf(d.state, 500);
    expect(h.systemdReady).toBe(true);
    const e = new Driver([spec("db")], systemd);
    expect(notes(e.start(600, h)).some((n) => n.includes("READY=1"))).toBe(false);
  });
});

describe("a re-exec carries it all", () => {
  test("an unready server's probe and deadline are armed again; a backoff's retry too; the retry count is kept", () => {
    const specs = [spec("db", { ready: TCP, readyTimeoutMs: 5000 }), spec("w", { backoff: { initialMs: 500, maxMs: 8000, retries: 3 } })];
    const d = new Driver(specs);
    d.start(0);
    d.exit(d.pid(1), code(1), 100);
    const h: Handover = handoverOf(d.state, 200);
    expect(h.servers).toMatchObject([{ kind: "alive", ready: false }, { kind: "backoff", until: 600, retries: 1 }]);
    const e = new Driver(specs);
    const fx = e.start(250, h);
    expect(arms(fx)).toEqual(expect.arrayContaining([`probe:0@${250 + READY_POLL_MS}`, "ready:0@5000", "backoff:1@600"]));
    expect(e.state.servers.at(1)?.retries).toBe(1);
    expect(e.kinds()).toEqual(["alive", "backoff"]);
  });

  test("a server waiting for its dependencies still waits in the new image", () => {
    const specs = [spec("db", { ready: { kind: "notify" } }), spec("web", { dependsOn: [0] })];
    const d = new Driver(specs);
    d.start(0);
    const h = handoverOf(d.state, 200);
    const e = new Driver(specs);
    e.start(250, h);
    expect(e.kinds()).toEqual(["alive", "waiting"]);
  });
});

describe("status and the dump say it", () => {
  test("not ready yet, waiting for whom, when a backoff retries", () => {
    const d = new Driver([
      spec("db", { ready: { kind: "notify" } }), spec("web", { dependsOn: [0] }),
      spec("w", { backoff: { initialMs: 500, maxMs: 8000, retries: 3 } }),
    ]);
    d.start(0);
    d.exit(d.pid(2), code(1), 100);
    const st = statusOf(d.state, 200);
    expect(st.servers.map((s) => [s.state, s.ready, s.words, s.waitingFor, s.retryAt, s.retries])).toEqual([
      ["alive", false, "up, not ready yet", [], null, 0],
      ["waiting", null, "waiting for db", ["db"], null, 0],
      ["backoff", null, "waiting to be retried", [], 600, 1],
    ]);
    expect(dumpLines(st).filter((l) => l.startsWith("server "))).toEqual([
      "server 0: name db, pid 100, up, not ready yet, since 0.000 s, restarts 0, command: db --initial-spawn",
      "server 1: name web, pid -, waiting for db, since -, restarts 0, command: web --initial-spawn",
      "server 2: name w, pid -, waiting to be retried, since 0.100 s, restarts 0, command: w --initial-spawn",
    ]);
  });
});
