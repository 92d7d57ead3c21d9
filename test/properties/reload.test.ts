// Properties of reload (issue 15), against a small reference model of its own:
// random configurations are written as lazarus.toml texts, valid or broken,
// and reloaded (through the real loader and the real core) during churn
// (crashes, clean ends, revives), re-execs (the handover marshalled and read by
// a new image of the reloaded configuration) and a final shutdown.
//
//   - a reload never signals a server whose configuration did not change;
//   - once a reload has settled, the servers alive or starting are exactly the
//     model's running ones (the new configuration's autostart servers, less the
//     buried and those that ended cleanly);
//   - a removed server is never started again (by name, across re-execs);
//   - a file that does not validate changes nothing.
//
// Three planted bugs (below) must each be caught. On failure fast-check prints
// the seed and path; replay with LAZARUS_SEED=… LAZARUS_PATH=… bun test test/properties/reload.test.ts.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseCommandLine } from "../../src/cli/parse.ts";
import { type FileReader, loadPlan } from "../../src/config/load.ts";
import { DEFAULT_CONFIG } from "../../src/config/settings.ts";
import { marshal, unmarshal } from "../../src/core/marshal.ts";
import { isCurrent } from "../../src/core/reconfigure.ts";
import { handoverSpecs, initialState, step } from "../../src/core/step.ts";
import type { Effect, Event, ServerSpec, Settings, State, StepResult } from "../../src/core/types.ts";
import { withLaunchKeys } from "../../src/shell/launch-key.ts";
import { budget } from "./budget.ts";
import { BUSY_LOOP, StepBound } from "./busy.ts";
import { spawnAgainWhenSpawned } from "./mutants.ts";
import { eventWords } from "./oracle.ts";

type StepFn = (state: State, event: Event) => StepResult;

// --- configurations and their texts ------------------------------------------------

const NAMES = ["a", "b", "c", "d", "e"] as const;

/** One server of a configuration: which command variant, which environment, whether it starts by itself. */
interface Entry { readonly name: string; readonly cmd: number; readonly env: number; readonly autostart: boolean }
type Config = readonly Entry[];

const configArb: fc.Arbitrary<Config> = fc.subarray([...NAMES], { minLength: 1 }).chain((names) =>
  fc.tuple(...names.map((name) => fc.record({ name: fc.constant(name), cmd: fc.nat({ max: 1 }), env: fc.nat({ max: 1 }), autostart: fc.boolean() }))))
  .chain((entries) => fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }));

/** A table that does not validate (an unknown key). */
const BROKEN = `[servers.zz]\ncmd = ["srv"]\nintervall = 3\n`;

function tomlOf(c: Config, broken: number | null): string {
  const tables = c.map((e) => `[servers.${e.name}]\ncmd = ["srv", "${e.name}", "v${e.cmd}"]\nenv = { E = "${e.env}" }\n${e.autostart ? "" : "autostart = false\n"}`);
  // A broken table somewhere among the valid ones: a whole file that does not validate.
  if (broken !== null) tables.splice(broken % (tables.length + 1), 0, BROKEN);
  return `interval = 1\n\n${tables.join("\n")}`;
}

const OPTIONS = (() => {
  const p = parseCommandLine([], { defaultConfig: DEFAULT_CONFIG });
  if (p.kind !== "run") throw new Error("no options");
  return p.options;
})();

/** The real loader (lazarus.toml from this text), and the launch fingerprints boot.ts adds. */
function load(text: string): { ok: true; settings: Settings; servers: readonly ServerSpec[] } | { ok: false; error: string } {
  const files: FileReader = { readFile: () => ({ ok: true, bytes: new TextEncoder().encode(text) }) };
  const r = loadPlan(OPTIONS, [], "/srv", { PATH: "/bin" }, files);
  if (!r.ok) return r;
  const plan = withLaunchKeys(r.plan);
  return { ok: true, settings: plan.settings, servers: plan.servers };
}

/** How the shell turns a text into the core's event (boot.ts and the supervisor's reload). */
type Reloader = (text: string, at: number) => Event;
const reloader: Reloader = (text, at) => {
  const r = load(text);
  return r.ok ? { type: "reconfigure", at, id: 1, settings: r.settings, servers: r.servers } : { type: "reload-failed", at, id: 1, error: r.error };
};

// --- scenarios ---------------------------------------------------------------------

type Op =
  | { readonly op: "reload"; readonly config: Config; readonly broken: number | null }
  | { readonly op: "crash"; readonly who: number; readonly fast: boolean }
  | { readonly op: "clean"; readonly who: number }
  | { readonly op: "revive" }
  | { readonly op: "reexec" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("reload" as const), config: configArb, broken: fc.option(fc.nat({ max: 6 }), { freq: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("crash" as const), who: fc.nat({ max: 4 }), fast: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("clean" as const), who: fc.nat({ max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("revive" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reexec" as const) }) },
);

const scenarioArb = fc.record({ first: configArb, ops: fc.array(opArb, { minLength: 1, maxLength: 14 }) });

export class Violation extends Error {}

/**
 * Step bounds (busy.ts): a scenario's core steps at one instant, and in all. Measured with `busiest` over 3,000
 * generated scenarios: at most 11 steps at one instant, 48 in a run; the bounds are over 20 times that.
 */
const STEPS_PER_INSTANT = 250;
const STEPS_PER_RUN = 1_000;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Violation(what);
}

// --- the reference model: what runs, by name ---------------------------------------

type Fate = "running" | "buried" | "done" | "idle";

class Model {
  config: Config;
  readonly fate = new Map<string, Fate>();

  constructor(c: Config) {
    this.config = c;
    for (const e of c) this.fate.set(e.name, e.autostart ? "running" : "idle");
  }

  /** A valid reload: the names whose entry is the same are unchanged. */
  reload(c: Config): Set<string> {
    const old = new Map(this.config.map((e) => [e.name, e]));
    const unchanged = new Set<string>();
    for (const e of c) {
      const was = old.get(e.name);
      if (was === undefined) this.fate.set(e.name, e.autostart ? "running" : "idle");
      else if (was.cmd === e.cmd && was.env === e.env && was.autostart === e.autostart) unchanged.add(e.name);
      else if (this.fate.get(e.name) === "idle" && e.autostart) this.fate.set(e.name, "running");
    }
    for (const e of this.config) if (!c.some((x) => x.name === e.name)) this.fate.delete(e.name);
    this.config = c;
    return unchanged;
  }

  running(): string[] {
    return [...this.fate].flatMap(([n, f]) => (f === "running" ? [n] : [])).sort();
  }
}

// --- the system: the core, driven as the shell drives it ---------------------------

const INTERVAL = 1000;

class System {
  state: State;
  now = 0;
  nextPid = 100;
  /** Step bounds (busy.ts): everything here happens at one instant per event fed, so a core that keeps asking for something would loop in feed for ever. */
  private readonly bound = new StepBound("reload.test.ts", STEPS_PER_INSTANT, STEPS_PER_RUN);
  /** Every name the core was asked to spawn, in order. */
  readonly spawned: string[] = [];

  constructor(text: string, private readonly stepFn: StepFn) {
    const r = load(text);
    if (!r.ok) throw new Error(r.error);
    this.state = initialState(r.settings, r.servers);
    this.feed({ type: "start", at: 0, handover: null });
  }

  /** One event, its spawns answered at once and every stop obeyed at once (the process ends of its stop signal). */
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
        if (x.type === "spawn") {
          this.spawned.push(this.state.servers.at(x.server)?.spec.name ?? "?");
          queue.push({ type: "spawned", at: this.now, server: x.server, pid: this.nextPid++ });
        } else if (x.type === "kill" && x.group) {
          queue.push({ type: "exited", at: this.now, pid: x.pid, status: { kind: "signal", signal: x.signal } });
        }
      }
    }
    return out;
  }

  /** The alive server (by its slot) among the current ones, the who-th, or null. */
  alive(who: number): { slot: number; pid: number; since: number } | null {
    const all = this.state.servers.flatMap((s, slot) => (s.life.kind === "alive" && isCurrent(s) ? [{ slot, pid: s.life.pid, since: s.life.since }] : []));
    return all.length === 0 ? null : all[who % all.length] ?? null;
  }

  namesIn(kinds: readonly string[]): string[] {
    return this.state.servers.flatMap((s) => (isCurrent(s) && kinds.includes(s.life.kind) ? [s.spec.name] : [])).sort();
  }

  pidOf(name: string): number | null {
    const s = this.state.servers.find((x) => isCurrent(x) && x.spec.name === name);
    return s?.life.kind === "alive" ? s.life.pid : null;
  }

  /** A live re-exec: the handover marshalled, read by a new image of `text` (the reloaded configuration), which takes over. */
  reexec(text: string): void {
    const fx = this.feed({ type: "reexec", at: this.now });
    const x = fx.find((e): e is Extract<Effect, { type: "reexec" }> => e.type === "reexec");
    check(x !== undefined, "a re-exec with every reload settled was not carried out");
    if (x === undefined) return;
    const r = load(text);
    if (!r.ok) throw new Error(r.error);
    const h = unmarshal(marshal(x.handover, handoverSpecs(this.state)), r.servers);
    check(h.ok, `the new image could not read the handover: ${h.ok ? "" : h.error}`);
    if (!h.ok) return;
    this.state = initialState(r.settings, r.servers);
    this.feed({ type: "start", at: this.now, handover: h.handover });
  }
}

function runScenario(sc: { first: Config; ops: readonly Op[] }, stepFn: StepFn = step, reload: Reloader = reloader): void {
  let text = tomlOf(sc.first, null);
  const model = new Model(sc.first);
  const sys = new System(text, stepFn);
  sys.spawned.length = 0;
  const agree = (when: string) =>
    check(JSON.stringify(sys.namesIn(["alive", "starting"])) === JSON.stringify(model.running()),
      `${when}: alive ${sys.namesIn(["alive", "starting"]).join(",")} but the model runs ${model.running().join(",")}`);
  agree("at the start");
  for (const o of sc.ops) {
    sys.now += 100;
    switch (o.op) {
      case "reload": {
        const next = tomlOf(o.config, o.broken);
        const before = { servers: JSON.stringify(sys.state.servers), settings: JSON.stringify(sys.state.settings) };
        const pids = new Map(o.config.map((e) => [e.name, sys.pidOf(e.name)]));
        const fx = sys.feed(reload(next, sys.now));
        const kills = new Set(fx.flatMap((e) => (e.type === "kill" ? [e.pid] : [])));
        if (o.broken !== null) {
          check(JSON.stringify(sys.state.servers) === before.servers && JSON.stringify(sys.state.settings) === before.settings,
            "a file that does not validate changed what runs");
          check(!fx.some((e) => e.type === "spawn" || e.type === "kill"), "a file that does not validate started or signalled a server");
          break;
        }
        const unchanged = model.reload(o.config);
        text = next;
        for (const name of unchanged) {
          const pid = pids.get(name);
          check(pid === null || pid === undefined || !kills.has(pid), `the unchanged server ${name} (pid ${pid}) was signalled`);
          check(pid === null || pid === undefined || sys.pidOf(name) === pid, `the unchanged server ${name} lost its pid ${pid}`);
        }
        agree("after a reload");
        break;
      }
      case "crash":
      case "clean": {
        const a = sys.alive(o.who);
        if (a === null) break;
        const name = sys.state.servers.at(a.slot)?.spec.name as string;
        const fast = o.op === "crash" && o.fast;
        const at = fast ? a.since + INTERVAL / 2 : Math.max(sys.now, a.since + INTERVAL * 2);
        sys.now = Math.max(sys.now, at);
        sys.feed({ type: "exited", at, pid: a.pid, status: { kind: "code", code: o.op === "clean" ? 0 : 1 } });
        if (o.op === "clean") model.fate.set(name, "done");
        else if (fast) model.fate.set(name, "buried");
        agree(`after ${name} ${o.op === "clean" ? "ended cleanly" : fast ? "crashed fast" : "crashed"}`);
        break;
      }
      case "revive":
        sys.feed({ type: "revive", at: sys.now });
        for (const [n, f] of model.fate) if (f === "buried") model.fate.set(n, "running");
        agree("after a revive");
        break;
      case "reexec":
        sys.reexec(text);
        // A re-exec revives the buried (as mds-respawn did).
        for (const [n, f] of model.fate) if (f === "buried") model.fate.set(n, "running");
        agree("after a re-exec");
        break;
    }
    // A removed server is never started again.
    const names = new Set(model.config.map((e) => e.name));
    check(sys.spawned.every((n) => names.has(n) || n === "?"), `a server not in the configuration was started: ${sys.spawned.join(",")}`);
    sys.spawned.length = 0;
    if (sys.state.phase.kind === "exited") return;
  }
  sys.now += 100;
  sys.feed({ type: "terminate", at: sys.now, signal: 15 });
  check(sys.state.phase.kind === "exited", "the shutdown did not end");
}

// --- planted bugs ------------------------------------------------------------------

const MUTANTS: Readonly<Record<string, { step?: StepFn; reload?: Reloader }>> = {
  /** Every server of a reload taken as changed: the unchanged ones are restarted too. */
  "restart an unchanged server": {
    step: (state, event) => step(state, event.type === "reconfigure"
      ? { ...event, servers: event.servers.map((s) => ({ ...s, launch: `${s.launch ?? ""}!${event.at}` })) }
      : event),
  },
  /** A removed server is kept (never stopped): the reload acts as if it were still in the file. */
  "forget to stop a removed one": {
    step: (state, event) => {
      if (event.type !== "reconfigure") return step(state, event);
      const names = new Set(event.servers.map((s) => s.name));
      const kept = state.servers.filter((s) => isCurrent(s) && !names.has(s.spec.name)).map((s) => ({ ...s.spec, dependsOn: [] }));
      return step(state, { ...event, servers: [...event.servers, ...kept] });
    },
  },
  /** A file with an invalid table: the valid tables are applied anyway. */
  "apply a half-valid file": {
    reload: (text, at) => reloader(text.replace(BROKEN, ""), at),
  },
};

// --- the tests ---------------------------------------------------------------------

const RUNS = 300;

describe("reload: properties against a reference model", () => {
  test("never signals an unchanged server; the alive are the model's running; removed never respawned; an invalid file changes nothing", () => {
    fc.assert(fc.property(scenarioArb, (sc) => runScenario(sc)), budget(RUNS));
  });

  test("the generator makes what the properties need: valid and broken reloads, changes, removals, re-execs", () => {
    const samples = fc.sample(scenarioArb, { seed: 1, numRuns: 200 });
    const ops = samples.flatMap((s) => s.ops);
    expect(ops.some((o) => o.op === "reload" && o.broken !== null)).toBe(true);
    expect(ops.some((o) => o.op === "reload" && o.broken === null)).toBe(true);
    expect(ops.filter((o) => o.op === "reexec").length).toBeGreaterThan(20);
    expect(load(tomlOf(samples[0]!.first, 2)).ok).toBe(false);
  });

  for (const [name, m] of Object.entries(MUTANTS)) {
    test(`planted bug caught: ${name}`, () => {
      const out = fc.check(fc.property(scenarioArb, (sc) => runScenario(sc, m.step ?? step, m.reload ?? reloader)), { ...budget(RUNS), endOnFailure: true });
      expect(out.failed).toBe(true);
      expect(out.errorInstance).toBeInstanceOf(Violation);
    });
  }

  test("planted busy loop caught by the step bound, with a message that names it: a spawn retried when it succeeded", () => {
    const out = fc.check(fc.property(scenarioArb, (sc) => runScenario(sc, spawnAgainWhenSpawned)), { ...budget(RUNS), endOnFailure: true });
    expect(out.failed).toBe(true);
    expect(out.errorInstance).toBeInstanceOf(Violation);
    expect(String((out.errorInstance as Error).message)).toMatch(new RegExp(`^${BUSY_LOOP}: \\d+ steps at t=[\\d.]+ \\(bound 250\\), last event `));
  });
});
