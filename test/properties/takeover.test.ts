// The take-over after a re-exec from any valid handover (also one an older
// image may write: a server handed across unborn, a pending revive, an alarm
// or a stop deadline already past), against the reference model: what is
// adopted, spawned, armed again, and the state it leaves; then the spawns are
// answered and the two still agree.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { initialState, step } from "../../src/core/step.ts";
import type { Effect, Event, ExitStatus, Handover, HandoverServer, ServerSpec, State, TimerName } from "../../src/core/types.ts";
import { budget } from "./budget.ts";
import { Model, type ModelHandover } from "./model.ts";
import { compareEffects, compareState, compareTimers } from "./oracle.ts";

const time = fc.constantFrom(0, 5, 999.5, 1000, 50_000);
const lastExit: fc.Arbitrary<ExitStatus | null> = fc.constantFrom(null, { kind: "code", code: 1 }, { kind: "signal", signal: 9 }, { kind: "unknown" });
const server: fc.Arbitrary<HandoverServer> = fc.oneof(
  fc.record({ kind: fc.constant("unborn" as const), spawns: fc.nat({ max: 3 }), lastExit }),
  fc.record({
    kind: fc.constant("alive" as const), spawns: fc.integer({ min: 1, max: 3 }), lastExit, pid: fc.constant(0), since: time,
    stop: fc.option(fc.record({ deadline: time, killed: fc.boolean(), then: fc.constantFrom("cremate" as const, "start" as const) })),
  }),
  fc.record({ kind: fc.constant("buried" as const), spawns: fc.integer({ min: 1, max: 3 }), lastExit, since: time, why: fc.constantFrom("crash-loop" as const, "spawn-failed" as const) }),
  fc.record({ kind: fc.constant("cremated" as const), spawns: fc.nat({ max: 3 }), lastExit, since: time, why: fc.constantFrom("clean-exit" as const, "stopped" as const) }),
);

const caseArb = fc.record({
  servers: fc.array(fc.tuple(server, fc.boolean(), fc.option(fc.constantFrom(0, 50, 3000))), { minLength: 1, maxLength: 6 }),
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
    servers: h.servers.map((s) => {
      if (s.kind === "invalid") return { kind: "cremated", spawns: s.spawns, lastExit: s.lastExit };
      if (s.kind === "waiting" || s.kind === "backoff") throw new Error(`the model has no ${s.kind} servers (none is generated here)`);
      return { ...s };
    }),
  };
}

test("the take-over from any valid handover is the model's", () => {
  fc.assert(fc.property(caseArb, (c) => {
    const specs: ServerSpec[] = c.servers.map(([, autostart, stopTimeoutMs], i) => ({
      argv: [`s${i}`], name: `s${i}`, ...(autostart ? {} : { autostart: false }), ...(stopTimeoutMs === null ? {} : { stopTimeoutMs }),
    }));
    const handover: Handover = {
      pendingRevive: c.pendingRevive, alarmAt: c.alarmAt, execAt: c.execAt,
      servers: c.servers.map(([s], i) => (s.kind === "alive" ? { ...s, pid: 100 + i } : s)),
    };
    const settings = { intervalMs: 1000, stopTimeoutMs: 10_000, alarmMs: 0 };
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
