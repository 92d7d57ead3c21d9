// The take-over after a re-exec from any valid handover (also one an older
// image may write: a server handed across unborn, a pending revive, an alarm
// or a stop deadline already past), against the reference model: what is
// adopted, spawned, armed again, and the state it leaves; then the spawns are
// answered and the two still agree.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { initialState, step } from "../../src/core/step.ts";
import type { Effect, Event, ExitStatus, Handover, HandoverServer, ProbeSpec, ReadySpec, ServerSpec, State, TimerName } from "../../src/core/types.ts";
import { budget } from "./budget.ts";
import { Model, type ModelHandover } from "./model.ts";
import { compareEffects, compareState, compareTimers } from "./oracle.ts";

const time = fc.constantFrom(0, 5, 999.5, 1000, 50_000);
const retries = fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined });
const lastExit: fc.Arbitrary<ExitStatus | null> = fc.constantFrom(null, { kind: "code", code: 1 }, { kind: "signal", signal: 9 }, { kind: "unknown" });
const server: fc.Arbitrary<HandoverServer> = fc.oneof(
  fc.record({ kind: fc.constant("unborn" as const), spawns: fc.nat({ max: 3 }), lastExit, retries }, { requiredKeys: ["kind", "spawns", "lastExit"] }),
  fc.record({ kind: fc.constant("waiting" as const), spawns: fc.nat({ max: 3 }), lastExit, retries }, { requiredKeys: ["kind", "spawns", "lastExit"] }),
  fc.record({ kind: fc.constant("backoff" as const), spawns: fc.integer({ min: 1, max: 3 }), lastExit, retries: fc.integer({ min: 1, max: 4 }), since: time, until: time }),
  fc.record({
    kind: fc.constant("alive" as const), spawns: fc.integer({ min: 1, max: 3 }), lastExit, retries, pid: fc.constant(0), since: time,
    stop: fc.option(fc.record({ deadline: time, killed: fc.boolean(), then: fc.constantFrom("cremate" as const, "start" as const, "fail" as const) })),
    ready: fc.option(fc.constant(false), { nil: undefined }),
  }, { requiredKeys: ["kind", "spawns", "lastExit", "pid", "since", "stop"] }),
  fc.record({ kind: fc.constant("buried" as const), spawns: fc.integer({ min: 1, max: 3 }), lastExit, since: time, why: fc.constantFrom("crash-loop" as const, "spawn-failed" as const) }),
  fc.record({ kind: fc.constant("cremated" as const), spawns: fc.nat({ max: 3 }), lastExit, since: time, why: fc.constantFrom("clean-exit" as const, "stopped" as const) }),
);

/** Issue 14's settings of a server handed across (what its checks resume with). */
const policy = fc.record({
  ready: fc.option(fc.constantFrom<ReadySpec>({ kind: "tcp", host: "127.0.0.1", port: 1 }, { kind: "notify" }, { kind: "log", pattern: "up" })),
  readyTimeoutMs: fc.option(fc.constantFrom(300, 5000)),
  health: fc.option(fc.record({ probe: fc.constant<ProbeSpec>({ kind: "cmd", argv: ["./check"] }), intervalMs: fc.constantFrom(100, 1000), timeoutMs: fc.constant(50), retries: fc.constant(2) })),
  watchdogMs: fc.option(fc.constantFrom(500, 3000)),
  backoff: fc.option(fc.record({ initialMs: fc.constant(100), maxMs: fc.constant(1000), retries: fc.constant(3) })),
  dependsOnPrevious: fc.boolean(),
});

const caseArb = fc.record({
  servers: fc.array(fc.tuple(server, fc.boolean(), fc.option(fc.constantFrom(0, 50, 3000)), policy), { minLength: 1, maxLength: 6 }),
  systemd: fc.option(fc.record({ watchdogMs: fc.option(fc.constantFrom(1000, 10_000)) })),
  systemdReady: fc.boolean(),
  pendingRevive: fc.boolean(),
  alarmAt: fc.option(time),
  execAt: fc.constantFrom(0, 990, 49_999),
  delay: fc.constantFrom(0, 1, 40),
});

/** The model's view of a core handover. */
function modelHandover(h: Handover): ModelHandover {
  return {
    pendingRevive: h.pendingRevive,
    alarmAt: h.alarmAt,
    ...(h.systemdReady === true ? { systemdReady: true } : {}),
    servers: h.servers.map((s) => {
      if (s.kind === "invalid") return { kind: "cremated", spawns: s.spawns, lastExit: s.lastExit };
      return { ...s };
    }),
  };
}

test("the take-over from any valid handover is the model's", () => {
  fc.assert(fc.property(caseArb, (c) => {
    const specs: ServerSpec[] = c.servers.map(([, autostart, stopTimeoutMs, p], i) => ({
      argv: [`s${i}`], name: `s${i}`, ...(autostart ? {} : { autostart: false }), ...(stopTimeoutMs === null ? {} : { stopTimeoutMs }),
      ...(p.ready === null ? {} : { ready: p.ready }), ...(p.ready === null || p.readyTimeoutMs === null ? {} : { readyTimeoutMs: p.readyTimeoutMs }),
      ...(p.health === null ? {} : { health: p.health }), ...(p.ready?.kind !== "notify" || p.watchdogMs === null ? {} : { watchdogMs: p.watchdogMs }),
      ...(p.backoff === null ? {} : { backoff: p.backoff }), ...(p.dependsOnPrevious && i > 0 ? { dependsOn: [i - 1] } : {}),
    }));
    const handover: Handover = {
      pendingRevive: c.pendingRevive, alarmAt: c.alarmAt, execAt: c.execAt, ...(c.systemdReady ? { systemdReady: true } : {}),
      // (a backoff's until is never before its since)
      servers: c.servers.map(([s], i) => (s.kind === "alive" ? { ...s, pid: 100 + i } : s.kind === "backoff" ? { ...s, until: Math.max(s.since, s.until) } : s)),
    };
    const settings = { intervalMs: 1000, stopTimeoutMs: 10_000, alarmMs: 0, ...(c.systemd === null ? {} : { systemd: c.systemd }) };
    const model = Model.afterExec(specs, settings, modelHandover(handover), c.execAt);
    let state: State = initialState(settings, specs);
    const armed = new Map<TimerName, number>();
    const queue: Event[] = [{ type: "start", at: c.execAt + c.delay, handover }];
    let pid = 1000;
    for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
      const r = step(state, e);
      state = r.state;
      const x = model.apply(e);
      for (const fx of r.effects as Effect[]) {
        if (fx.type === "arm") armed.set(fx.timer, fx.at);
        if (fx.type === "disarm") armed.delete(fx.timer);
        if (fx.type === "spawn") queue.push({ type: "spawned", at: e.at, server: fx.server, pid: pid++ });
      }
      const problem = compareEffects(e, r.effects, x, model) ?? compareState(state, model) ?? compareTimers(armed, model);
      expect(problem).toBeNull();
    }
  }), budget(500));
});
