// Properties of a rolling restart (`ctl restart NAME --rolling`) in the real
// core, in both of its ways (start-first: a copy's new process starts aside and
// takes the copy's place once ready, then the old one is stopped; stop-first:
// the copy is restarted in place), against random outcomes of each new process
// (ready after a while, never ready until its ready_timeout, crashing before it
// is ready) and old processes that take a while to stop, or ignore their stop
// signal until the stop timeout's SIGKILL:
//
//   - start-first: every copy is in service all along (its old process serves
//     until its new one is ready), and at most one process more than there are
//     copies runs at once; stop-first: at most one copy is out of service;
//   - the copies are replaced in order, each only once the one before is
//     ready with its new process;
//   - the roll stops at the first copy whose new process fails: the copies
//     after it keep their old processes and are never signalled; start-first,
//     the failed copy keeps its old process too, never signalled;
//   - a process that ignores its stop signal gets SIGKILL exactly at its stop
//     timeout after it (never sooner), and the roll goes on once it has ended;
//   - exactly one answer, ok exactly when every copy came back ready; once it
//     is answered and things settle, exactly one process per copy runs (no
//     new process given up, no old one, is left running).
//
// The same for a reload that changes the table (the trigger "reload").
//
// Planted bugs (below) must each be caught. On failure fast-check prints the
// seed and path; replay with LAZARUS_SEED=… LAZARUS_PATH=… bun test test/properties/roll.test.ts.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { initialState, step } from "../../src/core/step.ts";
import type { Effect, Event, ServerSpec, State, StepResult } from "../../src/core/types.ts";
import { Vec } from "../../src/core/vec.ts";
import { budget } from "./budget.ts";
import { BUSY_LOOP, StepBound } from "./busy.ts";
import { eventWords } from "./oracle.ts";

type StepFn = (state: State, event: Event) => StepResult;

/** What the next process of a copy does: ready after `after` ms, never ready, or crash after `after` ms. */
type Fate = { readonly kind: "ready" | "crash"; readonly after: number } | { readonly kind: "hang" };
const fateArb: fc.Arbitrary<Fate> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("ready" as const), after: fc.integer({ min: 0, max: 2500 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "hang" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const), after: fc.integer({ min: 1, max: 2500 }) }) },
);
const scenarioArb = fc.record({
  copies: fc.integer({ min: 1, max: 5 }),
  fates: fc.array(fateArb, { minLength: 5, maxLength: 5 }),
  readiness: fc.boolean(),
  way: fc.constantFrom("start-first" as const, "stop-first" as const),
  /** How long a process takes to end after its stop signal (0: at once). */
  linger: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4000 })),
  /** Processes ignore their stop signal: only the SIGKILL at the stop timeout ends them. */
  stubborn: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  /** `ctl restart web --rolling`, or a reload that changes the table (its copies have a readiness check). */
  trigger: fc.constantFrom("ctl" as const, "reload" as const),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

export class Violation extends Error {}
function check(ok: boolean, what: string): void {
  if (!ok) throw new Violation(what);
}

/**
 * Step bounds (busy.ts): a scenario's core steps at one instant, and in all. Measured with `busiest` over 3,000
 * generated scenarios: at most 78 steps at one instant, 3,493 in a run; the bounds are over 20 times that.
 */
const STEPS_PER_INSTANT = 2_000;
const STEPS_PER_RUN = 80_000;

const READY_TIMEOUT = 3000;
const STOP_TIMEOUT = 5000;
const ROLL_ID = 77;

function runScenario(given: Scenario, stepFn: StepFn = step): void {
  // A reload rolls a table only when it has a readiness check (else it restarts its copies at once, as any change).
  const sc = given.readiness ? given : { ...given, trigger: "ctl" as const };
  const specs: ServerSpec[] = Array.from({ length: sc.copies }, (_, k) => ({
    argv: ["srv"], name: `web.${k + 1}`, group: "web", ...(sc.way === "stop-first" ? { rolling: "stop-first" as const } : {}),
    ...(sc.readiness ? { ready: { kind: "log" as const, pattern: "up" }, readyTimeoutMs: READY_TIMEOUT } : {}),
  }));
  let state = initialState({ intervalMs: 1000, stopTimeoutMs: STOP_TIMEOUT, alarmMs: 0 }, specs);
  let now = 0;
  let pid = 100;
  const answers: { ok: boolean; message: string }[] = [];
  const signalled = new Set<number>();
  /** The signals each process got, in order, and when. */
  const signals = new Map<number, number[]>();
  const signalledAt = new Map<number, number[]>();
  /** Processes that run (the world's view, whatever the core believes). */
  const running = new Set<number>();
  /** Pending world events (a new process's readiness or crash, an end after a stop signal), by time. */
  let agenda: { at: number; event: (at: number) => Event | null }[] = [];
  let rolling = false;
  const bound = new StepBound("roll.test.ts", STEPS_PER_INSTANT, STEPS_PER_RUN);
  const feed = (e: Event): void => {
    const queue: Event[] = [e];
    for (let ev = queue.shift(); ev !== undefined; ev = queue.shift()) {
      const busy = bound.step(ev.at, () => eventWords(ev as Event));
      if (busy !== null) check(false, busy);
      const r = stepFn(state, ev);
      state = r.state;
      for (const x of r.effects) handle(x, queue);
      if (rolling) invariant();
    }
  };
  const end = (p: number, status: Extract<Event, { type: "exited" }>["status"]) => (at: number): Event | null => {
    if (!running.delete(p)) return null;
    return { type: "exited", at, pid: p, status };
  };
  const handle = (x: Effect, queue: Event[]): void => {
    switch (x.type) {
      case "spawn": {
        const p = pid++;
        running.add(p);
        queue.push({ type: "spawned", at: now, server: x.server, pid: p });
        if (!rolling) {
          if (sc.readiness) agenda.push({ at: now, event: (at) => ({ type: "output-match", at, pid: p }) });
          return;
        }
        // The copy this process is for: a slot aside names it.
        const copy = state.servers.at(x.server)?.replaces ?? x.server;
        const fate = sc.fates[copy] as Fate;
        if (fate.kind === "ready" && sc.readiness) agenda.push({ at: now + fate.after, event: (at) => ({ type: "output-match", at, pid: p }) });
        if (fate.kind === "crash" && sc.readiness) agenda.push({ at: now + fate.after, event: end(p, { kind: "code", code: 1 }) });
        return;
      }
      case "kill":
        signalled.add(x.pid);
        signals.set(x.pid, [...(signals.get(x.pid) ?? []), x.signal]);
        signalledAt.set(x.pid, [...(signalledAt.get(x.pid) ?? []), now]);
        if (x.group && running.has(x.pid) && (!sc.stubborn || x.signal === 9)) {
          if (sc.linger === 0 || x.signal === 9) queue.push(...[end(x.pid, { kind: "signal", signal: x.signal })(now)].filter((e) => e !== null));
          else agenda.push({ at: now + sc.linger, event: end(x.pid, { kind: "signal", signal: x.signal }) });
        }
        return;
      case "arm":
        agenda.push({ at: x.at, event: (at) => ({ type: "timer", at, timer: x.timer }) });
        return;
      case "log": {
        // A reload's roll answers nobody: its end is its log line.
        const t = x.record.text;
        if (sc.trigger === "reload" && x.record.event === "roll" && t.startsWith("rolling restart of") && (t.includes("' done: ") || t.includes("' stopped "))) {
          answers.push({ ok: t.includes("' done: "), message: t });
        }
        return;
      }
      case "reply":
        if (x.id !== ROLL_ID) return;
        answers.push({ ok: x.ok, message: x.message });
        // A successful roll answers once the old processes have ended.
        if (x.ok) {
          const left = original.filter((p) => p !== null && running.has(p));
          check(left.length === 0, `the roll answered while old processes ${left.join(", ")} still ran`);
        }
        return;
      default:
        return;
    }
  };
  const alivePid = (i: number): number | null => {
    const l = state.servers.at(i)?.life;
    return l?.kind === "alive" ? l.pid : null;
  };
  const original: (number | null)[] = [];
  /** A copy is in service when its process runs, is ready and has no stop order. */
  const inService = (i: number): boolean => {
    const l = state.servers.at(i)?.life;
    return l?.kind === "alive" && l.ready && l.stop === null;
  };
  const replaced = (i: number): boolean => alivePid(i) !== original[i] || signalled.has(original[i] as number);
  const invariant = (): void => {
    const out = specs.map((_, i) => i).filter((i) => !inService(i));
    if (sc.way === "start-first") {
      check(out.length === 0, `start-first, yet ${out.map((i) => specs[i]?.name).join(", ")} out of service`);
      check(running.size <= specs.length + 1, `${running.size} processes run at once for ${specs.length} copies (start-first: at most one more)`);
    } else {
      check(out.length <= 1, `copies ${out.map((i) => specs[i]?.name).join(", ")} out of service at once`);
      check(running.size <= specs.length, `${running.size} processes run at once for ${specs.length} copies (stop-first: never more)`);
    }
    // In order: a copy with a new process (or a new process aside) means every copy before it has a new, ready one.
    const asideFor = state.servers.flatMap((s) => (s.replaces === undefined || s.life.kind === "cremated" ? [] : [s.replaces]));
    for (let i = 1; i < specs.length; i++) {
      if (replaced(i) || asideFor.includes(i)) {
        for (let j = 0; j < i; j++) check(alivePid(j) !== original[j] && inService(j), `${specs[i]?.name} was restarted before ${specs[j]?.name} was ready again`);
      }
    }
  };
  const runAgenda = (until: number): void => {
    // (a core that keeps asking for something at the same instant, a timer armed again at the instant it fires, say,
    // would loop here for ever: the step bound in feed ends it)
    for (;;) {
      agenda.sort((a, b) => a.at - b.at);
      const next = agenda[0];
      if (next === undefined || next.at > until) return;
      agenda = agenda.slice(1);
      now = Math.max(now, next.at);
      const e = next.event(now);
      if (e !== null) feed(e);
    }
  };

  feed({ type: "start", at: 0, handover: null });
  runAgenda(0);
  for (let i = 0; i < specs.length; i++) original.push(alivePid(i));
  check(specs.every((_, i) => inService(i)), "not every copy is in service before the roll");
  now = 10_000;
  rolling = true;
  const v2 = specs.map((x) => ({ ...x, argv: ["srv", "--v2"] }));
  if (sc.trigger === "ctl") feed({ type: "control", at: now, id: ROLL_ID, command: { op: "roll", name: "web", servers: specs.map((_, i) => i) } });
  else feed({ type: "reconfigure", at: now, id: null, settings: state.settings, servers: v2 });
  const endAt = now + 120_000;
  runAgenda(endAt);
  rolling = false;

  // Asked first: whatever process was signalled got its stop signal before any SIGKILL, and the SIGKILL (one
  // that ignores its stop signal needs it) exactly at its stop timeout after it.
  for (const [p, got] of signals) {
    check(got[0] === 15, `pid ${p} got ${got.join(", ")}: SIGKILL without its stop signal first`);
    const at = signalledAt.get(p) ?? [];
    const kill = got.indexOf(9);
    if (kill > 0) check(at[kill] === (at[0] as number) + STOP_TIMEOUT, `pid ${p} got SIGKILL at ${at[kill]}, its stop signal at ${at[0]}: the stop timeout is ${STOP_TIMEOUT}`);
    // (one told to stop within its stop timeout of the end, its SIGKILL still to come, is not one)
    const due = (at[0] as number) + STOP_TIMEOUT <= endAt;
    if (sc.stubborn && due) check(kill > 0 || !running.has(p), `pid ${p}, which ignores its stop signal, got ${got.join(", ")} and still runs: no SIGKILL at its stop timeout`);
  }
  check(answers.length === 1, `${answers.length} answers to the roll`);
  const answer = answers[0] as { ok: boolean; message: string };
  // The first copy whose new process fails: with readiness, one that hangs (its ready_timeout) or crashes first
  // (each crash comes before the timeout); without, every process is ready at once (and none is made to crash).
  const firstFail = sc.readiness ? specs.findIndex((_, i) => (sc.fates[i] as Fate).kind !== "ready") : -1;
  if (firstFail < 0) {
    check(answer.ok, `the roll failed: ${answer.message}`);
    for (let i = 0; i < specs.length; i++) check(alivePid(i) !== original[i], `${specs[i]?.name} kept its old process after a successful roll`);
    if (sc.trigger === "reload") {
      for (let i = 0; i < specs.length; i++) check(state.servers.at(i)?.spec.argv[1] === "--v2", `${specs[i]?.name} does not run the reloaded command after the roll`);
    }
  } else {
    check(!answer.ok, `the roll succeeded though ${specs[firstFail]?.name}'s new process failed`);
    check(answer.message.includes(`stopped at '${specs[firstFail]?.name}'`), `the answer names the wrong copy: ${answer.message}`);
    const untouched = sc.way === "start-first" ? firstFail : firstFail + 1;
    for (let i = untouched; i < specs.length; i++) {
      check(alivePid(i) === original[i] && !signalled.has(original[i] as number), `${specs[i]?.name} was touched after the roll stopped`);
    }
  }
  // Settled: one process per copy, nothing else (a new process given up, an old one moved aside) still runs.
  const copies = new Set(specs.map((_, i) => alivePid(i)));
  const strays = [...running].filter((p) => !copies.has(p));
  check(strays.length === 0, `processes left running besides the copies' own: ${strays.join(", ")} (a new process given up, or an old one, never stopped)`);
}

// --- planted bugs ------------------------------------------------------------------

/** A roll turned into a restart of every copy at once (a shell that loops over them). */
const allAtOnce: StepFn = (state, event) => {
  if (event.type !== "control" || event.command.op !== "roll") return step(state, event);
  let s = state;
  const effects: Effect[] = [];
  for (const server of event.command.servers) {
    const r = step(s, { ...event, command: { op: "restart", server } });
    s = r.state;
    effects.push(...r.effects.filter((x) => x.type !== "reply"));
  }
  effects.push({ type: "reply", id: event.id, ok: true, message: "rolled" });
  return { state: s, effects };
};

/** A roll that goes on after a failure: the copies after the failed one are restarted anyway. */
const goesOn: StepFn = (state, event) => {
  const r = step(state, event);
  const failed = r.effects.find((x) => x.type === "reply" && !x.ok && x.message.startsWith("rolling restart"));
  const roll = state.roll;
  if (failed === undefined || roll === undefined) return r;
  let s = r.state;
  const effects = [...r.effects];
  for (const server of roll.rest) {
    const x = step(s, { type: "control", at: event.at, id: -1, command: { op: "restart", server } });
    s = x.state;
    effects.push(...x.effects.filter((e) => e.type !== "reply"));
  }
  return { state: s, effects };
};

/** `rolling` ignored: every roll stops a copy before its new process starts. */
const alwaysStopFirst: StepFn = (state, event) => {
  if (event.type !== "control" || event.command.op !== "roll") return step(state, event);
  const servers = state.servers.map((s) => ({ ...s, spec: { ...s.spec, rolling: "stop-first" as const } }));
  return step({ ...state, servers: Vec.of(servers) }, event);
};

/** A reload that changes a table with instances restarts its copies at once, as any changed server (no roll). */
const reloadAllAtOnce: StepFn = (state, event) => {
  if (event.type !== "reconfigure") return step(state, event);
  return step(state, { ...event, servers: event.servers.map(({ group: _, ...rest }) => rest) });
};

/** The new process aside counted as ready as soon as it runs (its readiness check skipped). */
const readyAtOnce: StepFn = (state, event) => {
  const r = step(state, event);
  if (event.type !== "spawned" || state.roll?.aside !== event.server) return r;
  const more = step(r.state, { type: "output-match", at: event.at, pid: event.pid });
  return { state: more.state, effects: [...r.effects, ...more.effects] };
};

/** The old process, replaced by its copy's new one, is never sent its stop signal. */
const oldNotStopped: StepFn = (state, event) => {
  const r = step(state, event);
  if (!r.effects.some((x) => x.type === "log" && x.record.event === "replaced")) return r;
  const old = state.roll?.old ?? null;
  return { state: r.state, effects: r.effects.filter((x) => !(x.type === "kill" && x.pid === old)) };
};

/** A busy loop at one instant: every timer is armed again at the instant it fires (core-edits' '<= for <' deadline edit did this). */
const rearmAtOnce: StepFn = (state, event) => {
  const r = step(state, event);
  if (event.type !== "timer") return r;
  return { state: r.state, effects: [...r.effects, { type: "arm", timer: event.timer, at: event.at }] };
};

/** No SIGKILL at a stop order's deadline: a process that ignores its stop signal runs on. */
const noKillAtDeadline: StepFn = (state, event) => {
  const r = step(state, event);
  return event.type === "timer" ? { state: r.state, effects: r.effects.filter((x) => !(x.type === "kill" && x.signal === 9)) } : r;
};

/** A stop order whose deadline comes 4 s early (a stop timeout miscounted). */
const earlyKill: StepFn = (state, event) => {
  const r = step(state, event);
  const servers = r.state.servers.map((s, i) => {
    const l = s.life;
    if (l.kind !== "alive" || l.stop === null || l.stop.killed) return s;
    const before = state.servers.at(i)?.life;
    if (before?.kind === "alive" && before.stop !== null) return s; // (moved once, when it was given)
    return { ...s, life: { ...l, stop: { ...l.stop, deadline: l.stop.deadline - 4000 } } };
  });
  const effects = r.effects.map((x) => {
    if (x.type !== "arm" || !x.timer.startsWith("stop:")) return x;
    const i = Number(x.timer.slice(5));
    const l = servers[i]?.life;
    return l?.kind === "alive" && l.stop !== null ? { ...x, at: l.stop.deadline } : x;
  });
  return { state: { ...r.state, servers: Vec.of(servers) }, effects };
};

const RUNS = 300;

describe("rolling restart: properties", () => {
  test("start-first: every copy serves all along; stop-first: one out at a time; in order; stops at the first failure, leaving the rest untouched; one answer; nothing left running", () => {
    fc.assert(fc.property(scenarioArb, (sc) => runScenario(sc)), budget(RUNS));
  });

  const bugs = {
    "every copy restarted at once": allAtOnce,
    "the roll goes on after a failure": goesOn,
    "start-first ignored (the old process stopped before the new one is ready)": alwaysStopFirst,
    "the new process aside counted as ready as soon as it runs": readyAtOnce,
    "a reload restarts a table's copies at once": reloadAllAtOnce,
    "the old process, once replaced, never stopped": oldNotStopped,
    "no SIGKILL at the stop timeout": noKillAtDeadline,
    "SIGKILL before the stop timeout": earlyKill,
  };
  /** The checks that must catch these (not a hang, not another check by chance). */
  const NAMED: Partial<Record<keyof typeof bugs, RegExp>> = {
    "no SIGKILL at the stop timeout": /ignores its stop signal, got 15 and still runs: no SIGKILL at its stop timeout/,
    "SIGKILL before the stop timeout": /got SIGKILL at \d+, its stop signal at \d+: the stop timeout is 5000/,
  };
  for (const [name, fn] of Object.entries(bugs)) {
    test(`planted bug caught: ${name}`, () => {
      const out = fc.check(fc.property(scenarioArb, (sc) => runScenario(sc, fn)), { ...budget(RUNS), endOnFailure: true });
      expect(out.failed).toBe(true);
      expect(out.errorInstance).toBeInstanceOf(Violation);
      const named = NAMED[name as keyof typeof bugs];
      if (named !== undefined) expect(String((out.errorInstance as Error).message)).toMatch(named);
    });
  }

  test("planted busy loop caught by the step bound, with a message that names it: a timer armed again at the instant it fires", () => {
    const out = fc.check(fc.property(scenarioArb, (sc) => runScenario(sc, rearmAtOnce)), { ...budget(RUNS), endOnFailure: true });
    expect(out.failed).toBe(true);
    expect(out.errorInstance).toBeInstanceOf(Violation);
    expect(String((out.errorInstance as Error).message)).toMatch(new RegExp(`^${BUSY_LOOP}: \\d+ steps at t=[\\d.]+ \\(bound 2000\\), last event timer `));
  });

  test("the generator makes what the properties need: successes and each kind of failure, in both ways, with lingering stops", () => {
    const samples = fc.sample(scenarioArb, { seed: 1, numRuns: 300 });
    const allReady = (s: Scenario) => s.fates.slice(0, s.copies).every((f) => f.kind === "ready" && f.after < READY_TIMEOUT);
    for (const way of ["start-first", "stop-first"] as const) {
      const mine = samples.filter((s) => s.way === way);
      expect(mine.filter((s) => s.copies >= 3 && s.readiness && allReady(s)).length).toBeGreaterThan(5);
      expect(mine.filter((s) => s.readiness && s.fates.slice(0, s.copies).some((f) => f.kind === "hang")).length).toBeGreaterThan(5);
      expect(mine.filter((s) => s.readiness && s.fates.slice(0, s.copies).some((f) => f.kind === "crash")).length).toBeGreaterThan(5);
      expect(mine.filter((s) => s.linger > 0).length).toBeGreaterThan(20);
      expect(mine.filter((s) => s.stubborn && s.copies >= 2 && s.readiness && allReady(s)).length).toBeGreaterThan(3);
    }
  });
});
