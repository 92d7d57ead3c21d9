// Properties of `ctl scale` (issue 15), through the real planner (a config
// text and the counts, as boot.ts plans them) and the real core (the
// reconfigure event the supervisor sends), during crashes, re-execs (the
// counts carried as LAZARUS_SCALE) and reloads of the same file:
//
//   - scale up then down returns to the same set of pids for the survivors
//     (every server that ran before), none of which got a signal;
//   - a scale to N keeps NAME.1 … NAME.min(old, N) and every other server
//     untouched (same pid, no signal), stops exactly the copies above N,
//     highest-numbered first, and starts the missing ones;
//   - a re-exec and a reload of the unchanged file keep the counts (same pids).
//
// Three planted bugs (below) must each be caught. On failure fast-check prints
// the seed and path; replay with LAZARUS_SEED=… LAZARUS_PATH=… bun test test/properties/scale.test.ts.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseCommandLine } from "../../src/cli/parse.ts";
import { carryScales, type FileReader, loadPlan, readScales } from "../../src/config/load.ts";
import type { Plan, Scales } from "../../src/config/plan.ts";
import { DEFAULT_CONFIG } from "../../src/config/settings.ts";
import { marshal, unmarshal } from "../../src/core/marshal.ts";
import { isCurrent } from "../../src/core/reconfigure.ts";
import { handoverSpecs, initialState, step } from "../../src/core/step.ts";
import type { Effect, Event, State, StepResult } from "../../src/core/types.ts";
import { withLaunchKeys } from "../../src/shell/launch-key.ts";
import { budget } from "./budget.ts";
import { BUSY_LOOP, StepBound } from "./busy.ts";
import { spawnAgainWhenSpawned } from "./mutants.ts";
import { eventWords } from "./oracle.ts";

const NAMES = ["a", "b", "c"] as const;

/** Each table's `instances` (null: no key). */
type Config = readonly (number | null)[];
const configArb: fc.Arbitrary<Config> = fc.tuple(...NAMES.map(() => fc.option(fc.integer({ min: 1, max: 3 }), { freq: 3 })));

function tomlOf(c: Config): string {
  return `interval = 1\n\n${NAMES.map((n, k) => `[servers.${n}]\ncmd = ["srv", "${n}"]\n${c[k] === null ? "" : `instances = ${c[k]}\n`}`).join("\n")}`;
}

const OPTIONS = (() => {
  const p = parseCommandLine([], { defaultConfig: DEFAULT_CONFIG });
  if (p.kind !== "run") throw new Error("no options");
  return p.options;
})();

/** The plan boot.ts makes of this text with these counts (launch fingerprints included). */
function planOf(text: string, scales: Scales): Plan {
  const files: FileReader = { readFile: () => ({ ok: true, bytes: new TextEncoder().encode(text) }) };
  const r = loadPlan(OPTIONS, [], "/srv", { PATH: "/bin" }, files, undefined, scales);
  if (!r.ok) throw new Error(r.error);
  return withLaunchKeys(r.plan);
}

/** How the shell turns `ctl scale NAME N` into the core's event (boot.ts's scale and the supervisor). */
type StepFn = (state: State, event: Event) => StepResult;
type Scaler = (text: string, scales: Scales, plan: Plan, name: string, count: number, at: number) => { event: Event; plan: Plan };
const scaler: Scaler = (text, scales, plan, name, count, at) => {
  const next = planOf(text, { ...scales, [name]: { count, base: plan.scalable.get(name) ?? null } });
  return { event: { type: "reconfigure", at, id: 1, settings: next.settings, servers: next.servers, scale: { name, count } }, plan: next };
};

/** How a re-exec's new image plans: the carried texts and the carried counts. */
type Reexec = (text: string, carried: string | null) => Plan;
const reexecPlan: Reexec = (text, carried) => planOf(text, readScales(carried ?? undefined));

export class Violation extends Error {}
/**
 * Step bounds (busy.ts): a scenario's core steps at one instant, and in all. Measured with `busiest` over 3,000
 * generated scenarios: at most 16 steps at one instant, 82 in a run; the bounds are over 20 times that.
 */
const STEPS_PER_INSTANT = 400;
const STEPS_PER_RUN = 2_000;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Violation(what);
}

type Op =
  | { readonly op: "scale"; readonly who: number; readonly count: number }
  | { readonly op: "bounce"; readonly who: number; readonly by: number }
  | { readonly op: "crash"; readonly who: number }
  | { readonly op: "reexec" }
  | { readonly op: "reload" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("scale" as const), who: fc.nat({ max: 2 }), count: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("bounce" as const), who: fc.nat({ max: 2 }), by: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("crash" as const), who: fc.nat({ max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reexec" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reload" as const) }) },
);
const scenarioArb = fc.record({ config: configArb, ops: fc.array(opArb, { minLength: 1, maxLength: 12 }) });

/** The core, driven as the shell drives it: spawns answered at once, every stop obeyed at once. */
class System {
  state: State;
  now = 0;
  nextPid = 100;
  /** Step bounds (busy.ts): everything here happens at one instant per event fed, so a core that keeps asking for something would loop in feed for ever. */
  private readonly bound = new StepBound("scale.test.ts", STEPS_PER_INSTANT, STEPS_PER_RUN);
  scales: Scales;
  plan: Plan;

  constructor(readonly text: string, private readonly scale: Scaler, private readonly reexecOf: Reexec, private readonly stepFn: StepFn = step) {
    this.plan = planOf(text, {});
    this.scales = this.plan.scales;
    this.state = initialState(this.plan.settings, this.plan.servers);
    this.feed({ type: "start", at: 0, handover: null });
  }

  feed(e: Event): Effect[] {
    const out: Effect[] = [];
    const queue: Event[] = [e];
    for (let ev = queue.shift(); ev !== undefined; ev = queue.shift()) {
      const busy = this.bound.step(ev.at, () => eventWords(ev as Event));
      if (busy !== null) check(false, busy);
      const r = this.stepFn(this.state, ev);
      this.state = r.state;
      for (const x of r.effects) {
        out.push(x);
        if (x.type === "spawn") queue.push({ type: "spawned", at: this.now, server: x.server, pid: this.nextPid++ });
        else if (x.type === "kill" && x.group) queue.push({ type: "exited", at: this.now, pid: x.pid, status: { kind: "signal", signal: x.signal } });
      }
    }
    return out;
  }

  /** Every current server's pid by name (null: not alive). */
  pids(): Map<string, number | null> {
    return new Map(this.state.servers.flatMap((s) => (isCurrent(s) ? [[s.spec.name, s.life.kind === "alive" ? s.life.pid : null] as const] : [])));
  }

  /** `ctl scale NAME N`: the kills it caused, in order. */
  scaleTo(name: string, count: number): number[] {
    const { event, plan } = this.scale(this.text, this.scales, this.plan, name, count, this.now);
    const fx = this.feed(event);
    const reply = fx.find((x) => x.type === "reply");
    check(reply?.type === "reply" && reply.ok, `scale ${name} ${count} was not applied`);
    this.plan = plan;
    this.scales = plan.scales;
    return fx.flatMap((x) => (x.type === "kill" ? [x.pid] : []));
  }

  reexec(): void {
    const fx = this.feed({ type: "reexec", at: this.now });
    const x = fx.find((e): e is Extract<Effect, { type: "reexec" }> => e.type === "reexec");
    check(x !== undefined, "a re-exec was not carried out");
    if (x === undefined) return;
    const next = this.reexecOf(this.text, carryScales(this.scales));
    const h = unmarshal(marshal(x.handover, handoverSpecs(this.state)), next.servers);
    check(h.ok, `the new image could not read the handover: ${h.ok ? "" : h.error}`);
    if (!h.ok) return;
    this.plan = next;
    this.scales = next.scales;
    this.state = initialState(next.settings, next.servers);
    this.feed({ type: "start", at: this.now, handover: h.handover });
  }

  /** `ctl reload` of the same file: its kills. */
  reload(): number[] {
    const next = planOf(this.text, this.scales);
    const fx = this.feed({ type: "reconfigure", at: this.now, id: 1, settings: next.settings, servers: next.servers });
    this.plan = next;
    this.scales = next.scales;
    return fx.flatMap((x) => (x.type === "kill" ? [x.pid] : []));
  }
}

/** The copies of table `name` that run, in order of their number (NAME alone: a table never scaled without instances). */
function copiesOf(pids: Map<string, number | null>, name: string): string[] {
  return [...pids.keys()].filter((n) => n === name || n.startsWith(`${name}.`)).sort((x, y) => number(x) - number(y));
}
function number(n: string): number {
  const dot = n.lastIndexOf(".");
  return dot < 0 ? 0 : Number(n.slice(dot + 1));
}
const show = (m: Map<string, number | null>) => JSON.stringify([...m].sort());

function runScenario(sc: { config: Config; ops: readonly Op[] }, scale: Scaler = scaler, reexec: Reexec = reexecPlan, stepFn: StepFn = step): void {
  const sys = new System(tomlOf(sc.config), scale, reexec, stepFn);
  const allAlive = (when: string) => check([...sys.pids().values()].every((p) => p !== null), `${when}: a server is not alive: ${show(sys.pids())}`);
  allAlive("at the start");
  for (const o of sc.ops) {
    sys.now += 100;
    switch (o.op) {
      case "scale": {
        const name = NAMES[o.who] as string;
        const before = sys.pids();
        const old = copiesOf(before, name);
        const kills = sys.scaleTo(name, o.count);
        const after = sys.pids();
        allAlive(`after scale ${name} ${o.count}`);
        const want = Array.from({ length: o.count }, (_, k) => `${name}.${k + 1}`);
        check(JSON.stringify(copiesOf(after, name)) === JSON.stringify(want), `after scale ${name} ${o.count}: copies ${copiesOf(after, name).join(",")}`);
        // Every server there before and after kept its pid and got no signal; the ones that went are exactly the copies above N, highest first.
        for (const [n, pid] of before) {
          if (after.has(n)) check(after.get(n) === pid && !kills.includes(pid as number), `scale ${name} ${o.count}: ${n} (pid ${pid}) was touched`);
        }
        const gone = [...before.keys()].filter((n) => !after.has(n));
        const expectGone = old.every((n) => n.includes(".")) ? old.filter((n) => number(n) > o.count).reverse() : old;
        check(JSON.stringify(gone.sort()) === JSON.stringify([...expectGone].sort()), `scale ${name} ${o.count}: ${gone.join(",")} went, not ${expectGone.join(",")}`);
        check(JSON.stringify(kills) === JSON.stringify(expectGone.map((n) => before.get(n))), `scale ${name} ${o.count}: stop orders ${kills.join(",")}, not the gone highest-numbered first`);
        break;
      }
      case "bounce": {
        // Up by `by`, then back: the survivors are every server of before, with the same pids, never signalled.
        const name = NAMES[o.who] as string;
        const n = copiesOf(sys.pids(), name);
        if (!n.every((x) => x.includes("."))) break; // not numbered yet: its first scale renames it (the "scale" op covers that)
        const before = sys.pids();
        const up = sys.scaleTo(name, n.length + o.by);
        const down = sys.scaleTo(name, n.length);
        check(show(sys.pids()) === show(before), `scale ${name} up by ${o.by} and down again: ${show(before)} became ${show(sys.pids())}`);
        const survivors = new Set(before.values());
        check(![...up, ...down].some((p) => survivors.has(p)), `scale ${name} up by ${o.by} and down again signalled a survivor`);
        break;
      }
      case "crash": {
        const alive = [...sys.pids()].filter(([, p]) => p !== null);
        const [, pid] = alive[o.who % alive.length] as [string, number];
        const since = sys.state.servers.find((s) => s.life.kind === "alive" && s.life.pid === pid)?.life;
        sys.now = Math.max(sys.now, (since?.kind === "alive" ? since.since : 0) + 2000);
        sys.feed({ type: "exited", at: sys.now, pid, status: { kind: "code", code: 1 } });
        allAlive("after a crash");
        break;
      }
      case "reexec": {
        const before = sys.pids();
        sys.reexec();
        check(show(sys.pids()) === show(before), `a re-exec changed what runs: ${show(before)} became ${show(sys.pids())}`);
        break;
      }
      case "reload": {
        const before = sys.pids();
        const kills = sys.reload();
        check(kills.length === 0 && show(sys.pids()) === show(before), `a reload of the same file changed what runs: ${show(before)} became ${show(sys.pids())}`);
        break;
      }
    }
  }
  sys.now += 100;
  sys.feed({ type: "terminate", at: sys.now, signal: 15 });
  check(sys.state.phase.kind === "exited", "the shutdown did not end");
}

// --- planted bugs ------------------------------------------------------------------

const MUTANTS: Readonly<Record<string, { scale?: Scaler; reexec?: Reexec }>> = {
  /** A scale down keeps the highest-numbered copies (their names shifted down): the survivors are replaced. */
  "keep the highest-numbered copies": {
    scale: (text, scales, plan, name, count, at) => {
      const r = scaler(text, scales, plan, name, count, at);
      const old = plan.servers.filter((s) => s.name.startsWith(`${name}.`)).length;
      if (r.event.type !== "reconfigure" || count >= old) return r;
      const shift = old - count;
      const servers = r.event.servers.map((s) => (s.name.startsWith(`${name}.`) ? { ...s, name: `${name}.${number(s.name) + shift}`, label: `${name}.${number(s.name) + shift}` } : s));
      return { ...r, event: { ...r.event, servers } };
    },
  },
  /** Every copy of the scaled table is started afresh. */
  "restart every copy": {
    scale: (text, scales, plan, name, count, at) => {
      const r = scaler(text, scales, plan, name, count, at);
      if (r.event.type !== "reconfigure") return r;
      const servers = r.event.servers.map((s) => (s.name.startsWith(`${name}.`) ? { ...s, launch: `${s.launch ?? ""}!${at}` } : s));
      return { ...r, event: { ...r.event, servers } };
    },
  },
  /** The counts are not carried across a re-exec: the new image runs the file's. */
  "lose the count in a re-exec": {
    reexec: (text) => planOf(text, {}),
  },
};

const RUNS = 300;

describe("ctl scale: properties", () => {
  test("up then down returns to the same pids; a scale touches only the copies above N (highest first); re-execs and reloads keep the counts", () => {
    fc.assert(fc.property(scenarioArb, (sc) => runScenario(sc)), budget(RUNS));
  });

  test("the generator makes what the properties need: scales down and up, bounces, re-execs after a scale", () => {
    const samples = fc.sample(scenarioArb, { seed: 1, numRuns: 200 });
    const ops = samples.flatMap((s) => s.ops);
    expect(ops.filter((o) => o.op === "bounce").length).toBeGreaterThan(50);
    expect(ops.filter((o) => o.op === "scale" && o.count === 1).length).toBeGreaterThan(20);
    expect(samples.filter((s) => s.ops.findIndex((o) => o.op === "scale") < s.ops.findIndex((o) => o.op === "reexec")).length).toBeGreaterThan(10);
  });

  for (const [name, m] of Object.entries(MUTANTS)) {
    test(`planted bug caught: ${name}`, () => {
      const out = fc.check(fc.property(scenarioArb, (sc) => runScenario(sc, m.scale ?? scaler, m.reexec ?? reexecPlan)), { ...budget(RUNS), endOnFailure: true });
      expect(out.failed).toBe(true);
      expect(out.errorInstance).toBeInstanceOf(Violation);
    });
  }

  test("planted busy loop caught by the step bound, with a message that names it: a spawn retried when it succeeded", () => {
    const out = fc.check(fc.property(scenarioArb, (sc) => runScenario(sc, scaler, reexecPlan, spawnAgainWhenSpawned)), { ...budget(RUNS), endOnFailure: true });
    expect(out.failed).toBe(true);
    expect(out.errorInstance).toBeInstanceOf(Violation);
    expect(String((out.errorInstance as Error).message)).toMatch(new RegExp(`^${BUSY_LOOP}: \\d+ steps at t=[\\d.]+ \\(bound 400\\), last event `));
  });
});
