// Properties of a rolling restart (`ctl restart NAME --rolling`) in the real
// core, against random outcomes of each new process (ready after a while,
// never ready until its ready_timeout, crashing before it is ready) and
// unrelated events meanwhile:
//
//   - at most one copy is ever out of service at once (its old process
//     stopping, or its new one not ready yet) while the roll runs;
//   - the copies are restarted in order, each only once the one before is
//     ready with its new process;
//   - the roll stops at the first copy whose new process fails: the copies
//     after it keep their old processes and are never signalled;
//   - exactly one answer, ok exactly when every copy came back ready.
//
// Two planted bugs (below) must each be caught. On failure fast-check prints
// the seed and path; replay with LAZARUS_SEED=… LAZARUS_PATH=… bun test test/properties/roll.test.ts.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { initialState, step } from "../../src/core/step.ts";
import type { Effect, Event, ServerSpec, State, StepResult } from "../../src/core/types.ts";
import { budget } from "./budget.ts";

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
});

export class Violation extends Error {}
function check(ok: boolean, what: string): void {
  if (!ok) throw new Violation(what);
}

const READY_TIMEOUT = 3000;
const ROLL_ID = 77;

function runScenario(sc: { copies: number; fates: readonly Fate[]; readiness: boolean }, stepFn: StepFn = step): void {
  const specs: ServerSpec[] = Array.from({ length: sc.copies }, (_, k) => ({
    argv: ["srv"], name: `web.${k + 1}`, ...(sc.readiness ? { ready: { kind: "log" as const, pattern: "up" }, readyTimeoutMs: READY_TIMEOUT } : {}),
  }));
  let state = initialState({ intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 0 }, specs);
  let now = 0;
  let pid = 100;
  const answers: { ok: boolean; message: string }[] = [];
  const signalled = new Set<number>();
  /** Pending world events (a new process's readiness or crash), by time. */
  let agenda: { at: number; event: (at: number) => Event | null }[] = [];
  let rolling = false;
  const spawnedDuringRoll = new Map<number, number>(); // pid → copy
  const feed = (e: Event): void => {
    const queue: Event[] = [e];
    for (let ev = queue.shift(); ev !== undefined; ev = queue.shift()) {
      const r = stepFn(state, ev);
      state = r.state;
      for (const x of r.effects) handle(x, queue);
      if (rolling) invariant();
    }
  };
  const handle = (x: Effect, queue: Event[]): void => {
    switch (x.type) {
      case "spawn": {
        const p = pid++;
        queue.push({ type: "spawned", at: now, server: x.server, pid: p });
        if (!rolling) {
          if (sc.readiness) agenda.push({ at: now, event: (at) => ({ type: "output-match", at, pid: p }) });
          return;
        }
        spawnedDuringRoll.set(p, x.server);
        const fate = sc.fates[x.server] as Fate;
        if (fate.kind === "ready" && sc.readiness) agenda.push({ at: now + fate.after, event: (at) => ({ type: "output-match", at, pid: p }) });
        if (fate.kind === "crash" && sc.readiness) agenda.push({ at: now + fate.after, event: (at) => (alivePid(x.server) === p ? { type: "exited", at, pid: p, status: { kind: "code", code: 1 } } : null) });
        return;
      }
      case "kill":
        signalled.add(x.pid);
        if (x.group) queue.push({ type: "exited", at: now, pid: x.pid, status: { kind: "signal", signal: x.signal } });
        return;
      case "arm":
        agenda.push({ at: x.at, event: (at) => ({ type: "timer", at, timer: x.timer }) });
        return;
      case "reply":
        if (x.id === ROLL_ID) answers.push({ ok: x.ok, message: x.message });
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
  const invariant = (): void => {
    const out = specs.map((_, i) => i).filter((i) => !inService(i));
    check(out.length <= 1, `copies ${out.map((i) => specs[i]?.name).join(", ")} out of service at once`);
    // In order: a copy with a new process means every copy before it has a new, ready one.
    for (let i = 1; i < specs.length; i++) {
      if (alivePid(i) !== original[i] || signalled.has(original[i] as number)) {
        for (let j = 0; j < i; j++) check(alivePid(j) !== original[j] && inService(j), `${specs[i]?.name} was restarted before ${specs[j]?.name} was ready again`);
      }
    }
  };
  const runAgenda = (until: number): void => {
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
  feed({ type: "control", at: now, id: ROLL_ID, command: { op: "roll", name: "web", servers: specs.map((_, i) => i) } });
  runAgenda(now + 60_000);
  rolling = false;

  check(answers.length === 1, `${answers.length} answers to the roll`);
  const answer = answers[0] as { ok: boolean; message: string };
  // The first copy whose new process fails: with readiness, one that hangs (its ready_timeout) or crashes first
  // (each crash comes before the timeout); without, every process is ready at once (and none is made to crash).
  const firstFail = sc.readiness ? specs.findIndex((_, i) => (sc.fates[i] as Fate).kind !== "ready") : -1;
  if (firstFail < 0) {
    check(answer.ok, `the roll failed: ${answer.message}`);
    for (let i = 0; i < specs.length; i++) check(alivePid(i) !== original[i], `${specs[i]?.name} kept its old process after a successful roll`);
  } else {
    check(!answer.ok, `the roll succeeded though ${specs[firstFail]?.name}'s new process failed`);
    check(answer.message.includes(`stopped at '${specs[firstFail]?.name}'`), `the answer names the wrong copy: ${answer.message}`);
    for (let i = firstFail + 1; i < specs.length; i++) {
      check(alivePid(i) === original[i] && !signalled.has(original[i] as number), `${specs[i]?.name} was touched after the roll stopped`);
    }
  }
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

const RUNS = 300;

describe("rolling restart: properties", () => {
  test("one copy out of service at a time, in order; stops at the first failure, leaving the rest untouched; one answer", () => {
    fc.assert(fc.property(scenarioArb, (sc) => runScenario(sc)), budget(RUNS));
  });

  for (const [name, fn] of Object.entries({ "every copy restarted at once": allAtOnce, "the roll goes on after a failure": goesOn })) {
    test(`planted bug caught: ${name}`, () => {
      const out = fc.check(fc.property(scenarioArb, (sc) => runScenario(sc, fn)), { ...budget(RUNS), endOnFailure: true });
      expect(out.failed).toBe(true);
      expect(out.errorInstance).toBeInstanceOf(Violation);
    });
  }

  test("the generator makes what the properties need: successes and each kind of failure", () => {
    const samples = fc.sample(scenarioArb, { seed: 1, numRuns: 300 });
    expect(samples.filter((s) => s.copies >= 3 && s.readiness && s.fates.slice(0, s.copies).every((f) => f.kind === "ready" && f.after < READY_TIMEOUT)).length).toBeGreaterThan(10);
    expect(samples.filter((s) => s.readiness && s.fates.slice(0, s.copies).some((f) => f.kind === "hang")).length).toBeGreaterThan(10);
    expect(samples.filter((s) => s.readiness && s.fates.slice(0, s.copies).some((f) => f.kind === "crash")).length).toBeGreaterThan(10);
  });
});
