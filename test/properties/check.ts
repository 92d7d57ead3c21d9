// Runs a generated scenario against a reducer the way the shell does (one flat
// FIFO queue: a spawn's result joins the queue behind whatever was already
// waiting, so other events reach the core while it is in flight), beside a
// truth of its own about which processes exist and which signals they got,
// and the reference model (model.ts), which owns every deadline. After every
// step it checks the invariants of docs/spec.md and that the core's state,
// effects and armed timers are the model's. Timers are the model's: they fire
// when time passes them (or when an action fires them, early or late), and a
// deadline the core never armed is a violation, not a timer that silently
// never fires. A re-exec carries the core across marshal/unmarshal into a
// fresh state while the model keeps running on its own. At the end, a
// shutdown in which processes obey the signals they are sent (some ignore
// their stop signal): the supervisor must exit, with the model's status. A
// violation throws, naming the invariant and the step; fast-check then
// shrinks the scenario.
import { marshal, unmarshal } from "../../src/core/marshal.ts";
import { SIGINT, SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { initialState, step } from "../../src/core/step.ts";
import type { ControlCommand, Effect, Event, ExitStatus, Handover, ServerSpec, Settings, State, StepResult, TimerName } from "../../src/core/types.ts";
import { StepBound } from "./busy.ts";
import { canonicalJson, type Expected, Model, type ModelSummary, isClean } from "./model.ts";
import { compareAcrossReexec, compareEffects, comparePendingAcrossReexec, compareState, compareTimers, eventWords, handoverFromState } from "./oracle.ts";
import { handoverSpecs } from "../../src/core/step.ts";
import { type Action, type AddChoice, groupSize, type LifeChoice, type PolicyTweak, type RemoveWhich, type Scenario, type ServerChoice, type Simple, type TimerOffset } from "./scenario.ts";

export type StepFn = (state: State, event: Event) => StepResult;

/** How many spawns after one that failed for want of a resource fail so too (check.ts shortAgain). */
const SHORT_AGAIN = 2;

export class Violation extends Error {
  override name = "Violation";
}

const INITIAL_SPAWN = "--initial-spawn";
const RESPAWN = "--respawn";
/** The table with instances the scenario's group forms. */
export const GROUP = "web";

export function specsOf(sc: Scenario): ServerSpec[] {
  const k = groupSize(sc);
  return sc.servers.map((c, i) => {
    const spec = serverSpecOf(c, `srv${i}`, i < k ? `${GROUP}.${i + 1}` : `srv${i}`, policyOf(c, i));
    if (i < k) return { ...spec, group: GROUP, ...(sc.group?.stopFirst === true ? { rolling: "stop-first" as const } : {}) };
    // A dependency on a table with instances is one on each of its copies (as the config's planner makes it).
    const deps = spec.dependsOn;
    if (deps === undefined || !deps.some((d) => d < k)) return spec;
    return { ...spec, dependsOn: [...new Set([...deps, ...Array.from({ length: k }, (_, d) => d)])].sort((a, b) => a - b) };
  });
}

/** A generated server's spec: its argv (named by `word`), its name, its settings and its policy (dependsOn: as given). */
function serverSpecOf(c: ServerChoice, word: string, name: string, policy: Partial<ServerSpec>): ServerSpec {
  return {
    argv: [word, ...(c.initialSpawn ? [INITIAL_SPAWN] : []), "--initial-spawn=x", "tail"],
    name,
    ...(c.intervalMs === null ? {} : { intervalMs: c.intervalMs }),
    ...(c.stopTimeoutMs === null ? {} : { stopTimeoutMs: c.stopTimeoutMs }),
    ...(c.stopSignal === null ? {} : { stopSignal: c.stopSignal }),
    ...(c.autostart ? {} : { autostart: false }),
    ...policy,
  };
}

/** Issue 14's settings of a generated server, as the config would give them: depends_on only on lower indices (acyclic), a watchdog only with ready = notify, ready_timeout only with ready. */
export function policyOf(c: ServerChoice, i: number): Partial<ServerSpec> {
  const deps = i === 0 ? [] : [...new Set(c.dependsOn.map((d) => d % i))].sort((a, b) => a - b);
  return {
    ...(c.ready === null ? {} : { ready: c.ready }),
    ...(c.ready === null || c.readyTimeoutMs === null ? {} : { readyTimeoutMs: c.readyTimeoutMs }),
    ...(deps.length === 0 ? {} : { dependsOn: deps }),
    ...(c.health === null ? {} : { health: c.health }),
    ...(c.ready?.kind !== "notify" || c.watchdogMs === null ? {} : { watchdogMs: c.watchdogMs }),
    ...(c.restart === null ? {} : { restart: c.restart }),
    ...(c.backoff === null ? {} : { backoff: c.backoff }),
  };
}

/** A reload's change of one policy field (the next value in a small cycle; absent is one of them). */
function tweak(spec: ServerSpec, what: PolicyTweak, deps: readonly number[]): ServerSpec {
  const { intervalMs, stopSignal, stopTimeoutMs, restart, backoff, ready, readyTimeoutMs, health, watchdogMs, dependsOn, ...rest } = spec;
  const fields = { intervalMs, stopSignal, stopTimeoutMs, restart, backoff, ready, readyTimeoutMs, health, watchdogMs, dependsOn };
  switch (what) {
    // (and, with a readiness check, its deadline: both are timings, both apply in place)
    case "interval":
      fields.intervalMs = intervalMs === undefined ? 500 : intervalMs === 500 ? 0 : undefined;
      if (ready !== undefined) fields.readyTimeoutMs = readyTimeoutMs === undefined ? 1000 : readyTimeoutMs === 1000 ? 50 : undefined;
      break;
    case "stop-signal": fields.stopSignal = stopSignal === undefined ? SIGINT : stopSignal === SIGINT ? SIGTERM : undefined; break;
    case "stop-timeout": fields.stopTimeoutMs = stopTimeoutMs === undefined ? 50 : stopTimeoutMs === 50 ? 3000 : undefined; break;
    case "restart": fields.restart = restart === undefined ? "always" : restart === "always" ? "never" : undefined; break;
    case "backoff": fields.backoff = backoff === undefined ? { initialMs: 100, maxMs: 300, retries: 2 } : undefined; break;
    // readiness: none → READY=1 → a polled probe (with a deadline) → a line of output → none
    case "ready":
      fields.ready = ready === undefined ? { kind: "notify" } : ready.kind === "notify" ? { kind: "tcp", host: "127.0.0.1", port: 5432 } : ready.kind === "log" ? undefined : { kind: "log", pattern: "listening on" };
      fields.readyTimeoutMs = fields.ready?.kind === "tcp" ? 1000 : fields.ready === undefined ? undefined : readyTimeoutMs;
      break;
    case "health":
      fields.health = health === undefined ? { probe: { kind: "tcp", host: "127.0.0.1", port: 5432 }, intervalMs: 100, timeoutMs: 50, retries: 2 }
        : health.intervalMs === 100 ? { probe: { kind: "cmd", argv: ["./check"] }, intervalMs: 1000, timeoutMs: 1000, retries: 1 } : undefined;
      break;
    // a watchdog needs ready = notify (the config requires it): one is given too when it had another check
    case "watchdog":
      if (ready?.kind !== "notify") {
        fields.ready = { kind: "notify" };
        fields.watchdogMs = 500;
      } else fields.watchdogMs = watchdogMs === undefined ? 500 : watchdogMs === 500 ? 3000 : undefined;
      break;
    // its dependencies: those the reload gives (servers before it in the file), or none
    case "deps": fields.dependsOn = dependsOn === undefined || dependsOn.length === 0 ? (deps.length === 0 ? undefined : [...deps]) : undefined; break;
  }
  if (fields.ready?.kind !== "notify") fields.watchdogMs = undefined;
  if (fields.ready === undefined) fields.readyTimeoutMs = undefined;
  const kept = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { ...rest, ...kept };
}

/** A server of a file being edited: its spec, and its dependencies by name. */
interface Named {
  readonly spec: ServerSpec;
  deps: string[];
}

/** The file's specs again, dependencies as indices (none left that name a server it does not have; no cycle). */
function unnamed(list: readonly Named[]): ServerSpec[] {
  const index = new Map(list.map((x, i) => [x.spec.name, i]));
  return breakCycles(list.map(({ spec, deps }) => {
    const { dependsOn: _, ...rest } = spec;
    const ds = [...new Set(deps.flatMap((n) => (index.has(n) ? [index.get(n)!] : [])))].sort((a, b) => a - b);
    return ds.length === 0 ? rest : { ...rest, dependsOn: ds };
  }));
}

/**
 * Dependencies on these servers of `specs`, a table's copy standing for all of its copies (as the planner makes them);
 * none on the copies of `own`, the table of the server they are for (a table cannot depend on itself).
 */
function tableDeps(specs: readonly ServerSpec[], deps: readonly number[], own?: string): number[] {
  const out = new Set<number>();
  for (const d of deps) {
    const g = specs[d]?.group;
    if (g !== undefined && g === own) continue;
    if (g === undefined) out.add(d);
    else specs.forEach((s, j) => { if (s.group === g) out.add(j); });
  }
  return [...out].sort((a, b) => a - b);
}

/** The specs with every dependency that closes a cycle dropped (the config would refuse a cycle). */
function breakCycles(specs: readonly ServerSpec[]): ServerSpec[] {
  const out = specs.slice();
  const state = out.map(() => 0); // 0 unseen, 1 on the path, 2 done
  const visit = (i: number): void => {
    state[i] = 1;
    for (const d of out[i]!.dependsOn ?? []) {
      if (state[d] === 1) {
        const { dependsOn, ...rest } = out[i]!;
        const left = (dependsOn ?? []).filter((x) => x !== d);
        out[i] = left.length === 0 ? rest : { ...rest, dependsOn: left };
      } else if (state[d] === 0) visit(d);
    }
    state[i] = 2;
  };
  out.forEach((_, i) => { if (state[i] === 0) visit(i); });
  return out;
}

/** Two servers' processes cannot run at once: the same name, or a table's server without copies (NAME) and one of its copies (NAME.N). */
function sameSeat(a: string, b: string): boolean {
  const copyOf = (name: string, table: string) => name.startsWith(`${table}.`) && copyNumber(name) > 0 && name === `${table}.${copyNumber(name)}`;
  return a === b || copyOf(a, b) || copyOf(b, a);
}

/** The number of a table's copy (NAME.N), 0 for a name without one. */
function copyNumber(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  return m === null ? 0 : Number(m[1]);
}

export function settingsOf(sc: Scenario): Settings {
  return { intervalMs: sc.intervalMs, stopTimeoutMs: sc.stopTimeoutMs, alarmMs: sc.alarmMs, ...(sc.systemd === null ? {} : { systemd: sc.systemd }) };
}

interface Image {
  readonly initial: State;
  readonly events: Event[];
  readonly results: StepResult[];
}

/** A process as the OS knows it. */
interface Proc {
  readonly pid: number;
  /** How it behaves (its server's, by name, when it was spawned): whether it ignores its stop signal, how long it takes to die. */
  readonly choice: ServerChoice;
  /** Its slot (a rolling restart's swap moves a copy's new process from its slot aside to the copy's, and the old one aside). */
  server: number;
  /** When its spawn's result reached the core (its start, as the core knows it); null while in flight. */
  since: number | null;
  /** Signals it was sent, in order, and when. */
  readonly signals: { readonly signal: number; readonly at: number }[];
  /** The report of its end, once it ended (queued, not yet handled). */
  end: Event | null;
}

/** The outcome of a run: what a failing run printed, and numbers for the fuzzer. */
export interface RunReport {
  readonly steps: number;
  readonly exited: number | null;
  readonly trace: readonly string[];
}

/** A probe the core asked for and the shell has not answered yet. */
interface Probe {
  readonly server: number;
  readonly pid: number;
  readonly purpose: "ready" | "health";
  /** The process it is about (a pid may be reused by another meanwhile). */
  readonly proc: Proc | undefined;
  /** When the shell gives up and answers it failed (its timeout). */
  readonly deadline: number;
}

/**
 * The step bounds of a scenario, in units of its size (actions + servers + 10): a valid scenario takes at most about
 * 1.2 units of steps at one instant and 11 in all. (Measured with `busiest` of busy.ts over 6,000 generated scenarios,
 * 1,000 each with at most 4 servers and 40 actions (the default), 12 and 200, 30 and 100, 1 and 200, 60 and 5, 2 and
 * 20: the most at one instant was 1.20 units, in a run 1.06 × 10 units; in absolute terms, over 6,000 more, 56 steps
 * at one instant and 421 in a run.) The bounds are over 20 times that.
 */
export function stepBounds(sc: Scenario): { perInstant: number; perRun: number } {
  const size = sc.actions.length + sc.servers.length + 10;
  return { perInstant: 25 * size, perRun: 250 * size };
}

const DEFAULT_EXEC = { fails: false, delay: 0, deaths: 0, status: { kind: "code", code: 1 } as ExitStatus };

export class ScenarioRun {
  /**
   * The configuration in force (the last reload or scale applied), in the file's order (a server's slot in the core
   * is another matter once a reload added or removed servers: the model's specs are by slot); dependsOn are indices
   * into this list.
   */
  specs: ServerSpec[];
  readonly settings: Settings;
  private state: State;
  private readonly model: Model;
  /** The OS's truth: processes that exist (running, or ended and not yet reported), by pid. */
  private readonly procs = new Map<number, Proc>();
  /** Pids whose end was reported, oldest first (for stale reports). */
  private readonly reported: number[] = [];
  private lastFreed: number | null = null;
  /** The shell's queue of events for the core. */
  private readonly queue: Event[] = [];
  private busy = false;
  private readonly armed = new Map<TimerName, number>();
  private lastFired: TimerName | null = null;
  /** A spawn that fails, by server name (the next one of it). */
  private readonly failNext = new Map<string, string>();
  /**
   * A shortage lasts: a spawn that failed with EAGAIN makes the next SHORT_AGAIN spawns of that server fail so
   * too (its retries, 1 s, 2 s and 4 s later: the growing delays are checked), whatever else starts it meanwhile.
   */
  private readonly shortAgain = new Map<string, number>();
  private readonly firstFails: Set<string>;
  /** Spawns per server name over the whole run (across re-execs; from 0 again when a reload adds the name anew): the first carries argv as given. */
  private readonly spawnsSoFar = new Map<string, number>();
  /** How each server's processes behave, by name (a reload's new servers bring their own). */
  private readonly behaviour = new Map<string, ServerChoice>();
  /** The servers a reload removed, by name, as they were (one may be added again). */
  private readonly removedSpecs = new Map<string, Named>();
  /**
   * Tables `ctl scale NAME 0` holds at 0 copies (Settings.scaledToZero, in every reconfigure event from then on): the
   * spec of its highest-numbered copy, and what depended on it (a scale up runs it again, and they depend on it again).
   */
  private readonly zeroed = new Map<string, { readonly template: Named; readonly dependents: readonly string[] }>();
  /** Slots a reload removed (by the model) whose process still runs or is being started: no process may start in their seat. */
  private readonly outgoing = new Set<number>();
  /** Servers a reload added that have not been started yet: their first start is what the seat check judges. */
  private readonly unstarted = new Set<number>();
  /** Servers a reload added so far (their names: new1, new2, …). */
  private added = 0;
  private nextPid = 1000;
  /** How the next re-exec goes (set by the latest reexec action). */
  private exec: { fails: boolean; delay: number; deaths: number; status: ExitStatus } = DEFAULT_EXEC;
  /** The core's state when the last exec happened, until the new image has started. */
  private across: { before: State; execAt: number } | null = null;
  private nextId = 1;
  /** Reloads asked for so far (the word each adds to an argv). */
  private reloads = 0;
  private t = 0;
  private steps = 0;
  private exitedWith: number | null = null;
  private readonly images: Image[] = [];
  readonly trace: string[] = [];
  /** Probes in flight (the shell's), oldest first. */
  private readonly probes: Probe[] = [];
  /** READY=1 told to systemd so far, over the whole run. */
  private sdReadies = 0;
  /**
   * A core that keeps asking for something at one instant (a timer armed again at the instant it fires) would loop
   * here for ever (moveTo's prompt timers, the queue in feed): it fails with a message instead (stepBounds).
   */
  private readonly bound: StepBound;

  constructor(private readonly sc: Scenario, private readonly stepFn: StepFn = step) {
    this.specs = specsOf(sc);
    this.settings = settingsOf(sc);
    this.state = initialState(this.settings, this.specs);
    this.model = new Model(this.specs, this.settings);
    this.firstFails = new Set(sc.failFirst.filter((i) => i < this.specs.length).map((i) => this.specs[i]!.name));
    this.specs.forEach((spec, i) => this.behaviour.set(spec.name, sc.servers[i]!));
    this.images.push({ initial: this.state, events: [], results: [] });
    this.t = sc.startAt;
    const b = stepBounds(sc);
    this.bound = new StepBound("check.ts", b.perInstant, b.perRun);
  }

  run(): RunReport {
    if (this.sc.reviveBeforeStart) this.feed({ type: "revive", at: this.t });
    if (this.sc.terminateBeforeStart) this.feed({ type: "terminate", at: this.t, signal: SIGTERM });
    this.feed({ type: "start", at: this.t, handover: null });
    for (const action of this.sc.actions) {
      if (this.exitedWith !== null) break;
      this.act(action);
    }
    if (this.exitedWith === null) this.drain();
    this.checkDeterminism();
    return { steps: this.steps, exited: this.exitedWith, trace: this.trace };
  }

  // --- actions -------------------------------------------------------------

  private act(action: Action): void {
    switch (action.a) {
      case "exit": {
        const p = this.pick(action.k);
        if (p === undefined) return;
        this.moveTo((p.since ?? this.t) + this.lifeMs(action.life, p.server));
        if (this.exitedWith !== null || p.end !== null) return;
        this.feed(this.ended(p, action.status));
        return;
      }
      case "unknown-exit":
        this.feed({ type: "exited", at: this.t, pid: action.pid, status: action.status, ...this.hint(null) });
        return;
      case "fail-next-spawn":
        // (none when every table is scaled to 0)
        if (this.specs.length > 0) this.failNext.set(this.specs[action.k % this.specs.length]!.name, action.error);
        return;
      case "fire-timer": {
        // The model's deadlines: the core must have armed each, at exactly its instant.
        const due = [...this.model.timers()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
        if (due.length === 0) return;
        const [timer, at] = due[action.k % due.length]!;
        this.fire(timer, at, action.offset);
        return;
      }
      case "fire-again":
        // (a duplicate of a timer that already fired: not while the core has armed it again)
        if (this.lastFired !== null && !this.armed.has(this.lastFired)) this.feed({ type: "timer", at: this.t, timer: this.lastFired });
        return;
      case "stale-timer": {
        const kinds = ["stop", "probe", "ready", "watchdog", "backoff"] as const;
        const all: TimerName[] = ["alarm", "sd-watchdog", "leftovers", ...this.state.servers.toArray().flatMap((_, i) => kinds.map((k): TimerName => `${k}:${i}`))];
        const stale = all.filter((n) => !this.armed.has(n));
        if (stale.length === 0) return;
        this.feed({ type: "timer", at: this.t, timer: stale[action.k % stale.length] as TimerName });
        return;
      }
      case "advance":
        this.moveTo(this.t + action.ms);
        return;
      case "info":
        this.feed({ type: "info", at: this.t });
        return;
      case "start-again":
        this.feed({ type: "start", at: this.t, handover: null });
        return;
      case "together": {
        // Queued at once, as the shell queues what it collected: the spawns they cause answer behind them.
        const events = action.actions.flatMap((s) => this.simple(s));
        this.feed(...events);
        return;
      }
      default:
        this.feed(...this.simple(action));
    }
  }

  /** The events of a simple action, at the current time (not yet fed). */
  private simple(s: Simple): Event[] {
    switch (s.a) {
      case "end-now": {
        const p = this.pick(s.k);
        if (p === undefined) return [];
        const e = this.ended(p, s.status);
        return s.twice ? [e, { ...e }] : [e];
      }
      case "stale-exit": {
        const stale = this.reported.filter((pid) => !this.procs.has(pid));
        if (stale.length === 0) return [];
        return [{ type: "exited", at: this.t, pid: stale[s.k % stale.length]!, status: s.status, ...this.hint(null) }];
      }
      case "revive":
        return [{ type: "revive", at: this.t }];
      case "terminate": {
        const e: Event = { type: "terminate", at: this.t, signal: s.signal };
        return s.twice ? [e, { ...e }] : [e];
      }
      case "fire-now": {
        // The shell's timer fires now, due or not (early: the core must arm it again).
        const armed = [...this.armed.keys()].sort();
        if (armed.length === 0) return [];
        const timer = armed[s.k % armed.length]!;
        this.lastFired = timer;
        return [{ type: "timer", at: this.t, timer }];
      }
      case "reexec":
        this.exec = s;
        return [{ type: "reexec", at: this.t }];
      case "control": {
        // (any slot: a removed server's, or a rolling restart's slot aside, is no server: refused)
        const n = Math.max(this.specs.length, this.model.servers.length);
        if (n === 0) return [];
        const server = s.k % n;
        const command: ControlCommand =
          s.op === "revive-all" ? { op: "revive", server: null }
          : s.op === "shutdown" ? { op: "shutdown" }
          : s.op === "signal" ? { op: "signal", server, signal: 1 }
          : { op: s.op, server };
        return [{ type: "control", at: this.t, id: this.nextId++, command }];
      }
      case "roll": {
        const copies = this.copiesOf(GROUP);
        if (copies.length === 0) return [];
        if (this.model.roll !== null && !this.model.roll.reload) return this.rollAlong();
        return [{ type: "control", at: this.t, id: this.nextId++, command: { op: "roll", name: GROUP, servers: copies } }];
      }
      case "reload":
        return [this.reload(s)];
      case "reload-servers":
        return [this.reloadServers(s)];
      case "scale": {
        const e = this.scale(s);
        return e === null ? [] : [e];
      }
      case "obey": {
        const doomed = this.running().filter((p) => this.fatal(p) !== null);
        if (doomed.length === 0) return [];
        const p = doomed[s.k % doomed.length]!;
        return [this.ended(p, { kind: "signal", signal: this.fatal(p)!.signal })];
      }
      case "probe-answer": {
        this.dropReused();
        if (this.probes.length === 0) return [];
        const [p] = this.probes.splice(s.k % this.probes.length, 1);
        // Some failed answers are no verdict: the probe was cut short by a re-exec that failed (drawn from k,
        // so that the scenarios stay as they were): one in ten of a readiness probe's, one in three of a health probe's.
        if (!s.ok && s.k >= (p!.purpose === "health" ? 667 : 900)) return [{ type: "probe-interrupted", at: this.t, server: p!.server, pid: p!.pid, purpose: p!.purpose, reason: "interrupted by a re-exec" }];
        return [{ type: "probe-result", at: this.t, server: p!.server, pid: p!.pid, purpose: p!.purpose, ok: s.ok, reason: s.ok ? "" : "connection refused" }];
      }
      case "probe-bogus": {
        const n = Math.max(this.specs.length, this.model.servers.length);
        if (n === 0) return [];
        if (s.how === "dead-pid") {
          const gone = this.gone();
          if (gone.length === 0) return [];
          const pid = gone[s.k % gone.length]!;
          return [{ type: "probe-result", at: this.t, server: s.k % n, pid, purpose: s.k % 2 === 0 ? "ready" : "health", ok: s.ok, reason: "stale" }];
        }
        const p = this.pick(s.k);
        if (p === undefined || (s.how === "other-server" && n === 1)) return [];
        const mine = this.probes.find((x) => x.pid === p.pid)?.purpose ?? "ready";
        return s.how === "wrong-purpose"
          ? [{ type: "probe-result", at: this.t, server: p.server, pid: p.pid, purpose: mine === "ready" ? "health" : "ready", ok: s.ok, reason: "wrong purpose" }]
          : [{ type: "probe-result", at: this.t, server: (p.server + 1) % n, pid: p.pid, purpose: mine, ok: s.ok, reason: "another server's" }];
      }
      case "notify": {
        const pid = s.target === "live" ? this.pick(s.k)?.pid : s.target === "dead" ? this.gone()[s.k % Math.max(1, this.gone().length)] : 2 + (s.k % 98);
        if (pid === undefined) return [];
        return [{ type: "notify", at: this.t, pid, ready: s.ready, watchdog: s.watchdog, status: s.status ? `serving ${s.k}` : null }];
      }
      case "trigger": {
        const pid = s.target === "live" ? this.pick(s.k)?.pid : this.gone()[s.k % Math.max(1, this.gone().length)];
        if (pid === undefined) return [];
        return [{ type: "notify", at: this.t, pid, ready: s.ready, watchdog: false, status: null, trigger: true }];
      }
      case "says-ready": {
        const p = this.pick(s.k);
        return p === undefined ? [] : this.saysReady(p);
      }
      case "keepalive": {
        const ps = this.running().filter((p) => this.specOf(p.server).watchdogMs !== undefined || this.specOf(p.server).health !== undefined);
        if (ps.length === 0) return [];
        const p = ps[s.k % ps.length]!;
        const k = this.probes.findIndex((x) => x.proc === p && x.purpose === "health");
        if (k >= 0) {
          const [q] = this.probes.splice(k, 1);
          return [{ type: "probe-result", at: this.t, server: q!.server, pid: q!.pid, purpose: "health", ok: true, reason: "" }];
        }
        return this.specOf(p.server).watchdogMs === undefined ? [] : [{ type: "notify", at: this.t, pid: p.pid, ready: false, watchdog: true, status: null }];
      }
      case "output-match": {
        const pid = s.target === "live" ? this.pick(s.k)?.pid : this.gone()[s.k % Math.max(1, this.gone().length)];
        if (pid === undefined) return [];
        return [{ type: "output-match", at: this.t, pid }];
      }
    }
  }

  /**
   * What the rolling restart under way (the model's) waits for happens: the old process it stopped dies of its stop
   * signal (unless it ignores it), or the copy's new process says it is ready.
   */
  private rollAlong(): Event[] {
    const r = this.model.roll;
    if (r === null) return [];
    const waitsFor = r.draining ?? r.aside ?? r.current;
    const p = this.running().find((x) => x.server === waitsFor);
    if (p === undefined) return [];
    const f = this.fatal(p);
    if (f !== null) return [this.ended(p, { kind: "signal", signal: f.signal })];
    return this.saysReady(p);
  }

  /** Process p says it is ready the way its server's readiness check listens: READY=1, a matching line, or its readiness probe in flight passes. */
  private saysReady(p: Proc): Event[] {
    const r = this.specOf(p.server).ready;
    if (r === undefined) return [];
    if (r.kind === "notify") return [{ type: "notify", at: this.t, pid: p.pid, ready: true, watchdog: false, status: null }];
    if (r.kind === "log") return [{ type: "output-match", at: this.t, pid: p.pid }];
    const k = this.probes.findIndex((x) => x.proc === p && x.purpose === "ready");
    if (k < 0) return [];
    const [q] = this.probes.splice(k, 1);
    return [{ type: "probe-result", at: this.t, server: q!.server, pid: q!.pid, purpose: "ready", ok: true, reason: "" }];
  }

  /**
   * A reload of the files (`ctl reload`): the configuration in force with some servers' argv changed (a word
   * added at the end, or, undo, the last word a reload added taken away again); the same servers in the same
   * order, with the same policies. The harness takes it as the configuration in force once the core has it
   * (stepOne), unless the model refuses it (a reload during a shutdown).
   */
  private reload(r: Extract<Simple, { a: "reload" }>): Event {
    const n = this.specs.length;
    const group = this.specs.some((spec) => spec.group === GROUP);
    const chosen = (i: number): boolean => {
      switch (r.which) {
        case "one": return i === r.k % n;
        case "some": return ((r.k >> (i % 10)) & 1) === 1;
        case "group": return group ? this.specs[i]!.group === GROUP : i === r.k % n;
        case "all": return true;
        case "none": return false;
      }
    };
    const word = `--reload=${++this.reloads}`;
    const servers = this.specs.map((spec, i) => {
      if (!chosen(i)) return spec;
      const last = spec.argv[spec.argv.length - 1] ?? "";
      // (a dependency a reload gives: on a server before it in the file, a table's copies all)
      if ((r.policy ?? null) !== null) return tweak(spec, r.policy!, i === 0 ? [] : tableDeps(this.specs, [r.k % i], spec.group));
      if (!r.undo) return { ...spec, argv: [...spec.argv, word] };
      return last.startsWith("--reload=") ? { ...spec, argv: spec.argv.slice(0, -1) } : spec;
    });
    return { type: "reconfigure", at: this.t, id: this.nextId++, settings: this.reloadSettings(), servers: breakCycles(servers) };
  }

  /** The configuration in force with its dependencies by name (to edit it). */
  private named(): Named[] {
    return this.specs.map((spec) => ({ spec, deps: (spec.dependsOn ?? []).map((d) => this.specs[d]!.name) }));
  }

  /**
   * A reload of files that add a server and/or remove one (RemoveWhich): what depended on the removed one no
   * longer does (a file naming a server it does not have would not validate).
   */
  private reloadServers(r: Extract<Simple, { a: "reload-servers" }>): Event {
    const list = this.named();
    if (r.remove !== null && (list.length > 1 || r.add !== null)) {
      const [gone] = list.splice(this.toRemove(r.remove, r.k, list), 1);
      for (const x of list) x.deps = x.deps.filter((n) => n !== gone!.spec.name);
    }
    if (r.add !== null) this.addTo(list, r.add, r.k);
    // (a table held at 0 that has copies again, one removed before and added back: no longer held)
    for (const x of list) this.zeroed.delete(x.spec.group ?? x.spec.name);
    return { type: "reconfigure", at: this.t, id: this.nextId++, settings: this.reloadSettings(), servers: unnamed(list) };
  }

  /** The settings a reconfigure event carries: the tables held at 0 copies with them. */
  private reloadSettings(): Settings {
    return this.zeroed.size === 0 ? this.settings : { ...this.settings, scaledToZero: [...this.zeroed.keys()] };
  }

  /** Which server of `list` a reload removes: the k-th of those that fit `which`, or of all when none does. */
  private toRemove(which: RemoveWhich, k: number, list: readonly Named[]): number {
    const m = this.model;
    const slotsNamed = (n: string) => m.specs.flatMap((spec, i) => (spec.name === n && m.current(m.servers[i]!) ? [i] : []));
    const fits = (n: string): boolean => {
      switch (which) {
        case "any": return true;
        case "depended": return list.some((x) => x.deps.includes(n));
        case "rolling": return m.roll !== null && [m.roll.current, ...m.roll.rest].some((i) => m.specs[i]?.name === n);
        case "stopping": return slotsNamed(n).some((i) => m.servers[i]!.kind === "alive" && m.servers[i]!.stop !== null);
        case "copy": {
          // a table's highest-numbered copy (its `instances` lowered)
          const g = list.find((x) => x.spec.name === n)?.spec.group;
          return g !== undefined && n === list.filter((x) => x.spec.group === g).map((x) => x.spec.name).sort((a, b) => copyNumber(b) - copyNumber(a))[0];
        }
      }
    };
    const all = list.map((_, j) => j);
    const some = all.filter((j) => fits(list[j]!.spec.name));
    const from = some.length > 0 ? some : all;
    return from[k % from.length]!;
  }

  /** A server a reload adds to `list`: a new one, or one removed before (as it was) when `reuse` finds one. */
  private addTo(list: Named[], add: AddChoice, k: number): void {
    const at = add.at % (list.length + 1);
    const reusable = [...this.removedSpecs.keys()].filter((n) => !list.some((x) => x.spec.name === n));
    let x: Named;
    if (add.reuse && reusable.length > 0) {
      const old = this.removedSpecs.get(reusable[k % reusable.length]!)!;
      x = { spec: old.spec, deps: old.deps.filter((n) => list.some((y) => y.spec.name === n)) };
    } else {
      const name = `new${++this.added}`;
      // (its dependencies on any server of the file, before it or after it: nothing depends on a new name yet)
      const { dependsOn, ...policy } = policyOf(add.server, list.length);
      const deps = tableDeps(list.map((y) => y.spec), dependsOn ?? []).map((d) => list[d]!.spec.name);
      x = { spec: serverSpecOf(add.server, name, name, policy), deps };
    }
    this.behaviour.set(x.spec.name, add.server);
    list.splice(at, 0, x);
  }

  /**
   * `ctl scale NAME N` of the k-th table of the file (a table with instances, or a plain server, which becomes
   * NAME.1 … NAME.N): its copies as the planner makes them, in a row where the table's first one was; the new
   * ones with the spec of its highest-numbered copy (renamed); copies above N gone; what depended on the table
   * depends on each copy. The reconfigure event the supervisor sends, with `scale`.
   */
  private scale(sc: Extract<Simple, { a: "scale" }>): Event | null {
    const list = this.named();
    const tables = [...new Set([...list.map((x) => x.spec.group ?? x.spec.name), ...this.zeroed.keys()])];
    if (tables.length === 0) return null;
    const table = tables[sc.k % tables.length]!;
    const mine = (x: Named) => x.spec.group === table || (x.spec.group === undefined && x.spec.name === table);
    const old = list.filter(mine);
    const oldNames = new Set(old.map((x) => x.spec.name));
    const held = this.zeroed.get(table);
    const template = held?.template ?? old.slice().sort((a, b) => copyNumber(b.spec.name) - copyNumber(a.spec.name))[0]!;
    const copies: Named[] = [];
    for (let m = 1; m <= sc.count; m++) {
      const name = `${table}.${m}`;
      const had = old.find((x) => x.spec.name === name && x.spec.group === table);
      if (had !== undefined) {
        copies.push(had);
        continue;
      }
      // (not on the table's own copies: the generated copies of a table that depend on earlier ones are the harness's)
      copies.push({ spec: { ...template.spec, name, group: table }, deps: template.deps.filter((n) => !oldNames.has(n) && list.some((y) => y.spec.name === n)) });
      this.behaviour.set(name, this.behaviour.get(template.spec.name)!);
    }
    const names = copies.map((x) => x.spec.name);
    const out: Named[] = [];
    let placed = false;
    for (const x of list) {
      if (!mine(x)) out.push(x);
      else if (!placed) {
        out.push(...copies);
        placed = true;
      }
    }
    // (a table held at 0: its copies come last, and what depended on it, still there, depends on them again)
    if (!placed) out.push(...copies);
    for (const x of out) if (held?.dependents.includes(x.spec.name) === true && !mine(x)) x.deps = [...x.deps, ...names];
    // (a copy that depended on the table's own copies keeps those that remain)
    for (const x of out) {
      if (x.deps.some((n) => oldNames.has(n))) {
        x.deps = mine(x) ? x.deps.filter((n) => names.includes(n)) : [...x.deps.filter((n) => !oldNames.has(n)), ...names];
      }
    }
    if (sc.count === 0) {
      const dependents = list.filter((x) => !mine(x) && x.deps.some((n) => oldNames.has(n))).map((x) => x.spec.name);
      if (held === undefined) this.zeroed.set(table, { template: { spec: template.spec, deps: [...template.deps] }, dependents });
    } else this.zeroed.delete(table);
    return { type: "reconfigure", at: this.t, id: this.nextId++, settings: this.reloadSettings(), servers: unnamed(out), scale: { name: table, count: sc.count } };
  }

  /** The current slots of table `name`'s copies (NAME.1, NAME.2, … in the order of their numbers), as the control socket finds them. */
  private copiesOf(name: string): number[] {
    const m = this.model;
    return m.specs.flatMap((spec, i) => (spec.group === name && m.current(m.servers[i]!) && spec.name.startsWith(`${name}.`) ? [i] : []))
      .sort((a, b) => copyNumber(m.specs[a]!.name) - copyNumber(m.specs[b]!.name));
  }

  /**
   * The shell drops the answer to a probe of a process that has ended when its pid belongs to
   * another process by now: a probe's answer names only a pid, and the core would take it for
   * the new process's (an answer about a pid that is gone and not reused is still delivered, stale).
   */
  private dropReused(): void {
    for (let k = this.probes.length - 1; k >= 0; k--) {
      const p = this.probes[k]!;
      const now = this.procs.get(p.pid);
      if (now !== undefined && now !== p.proc) this.probes.splice(k, 1);
    }
  }

  /** Pids of processes that ended, were reported, and are not in use again. */
  private gone(): number[] {
    return this.reported.filter((pid) => !this.procs.has(pid));
  }

  /** Processes running (their spawn answered, their end not yet come), by pid. */
  private running(): Proc[] {
    return [...this.procs.values()].filter((p) => p.since !== null && p.end === null).sort((a, b) => a.pid - b.pid);
  }

  private pick(k: number): Proc | undefined {
    const ps = this.running();
    return ps.length === 0 ? undefined : ps[k % ps.length];
  }

  /**
   * The name of server slot i (a rolling restart's slot aside has its copy's; a removed server's slot its own until
   * another server of that name takes it over), as the model has it.
   */
  private nameOf(i: number): string {
    const name = this.model.specs[i]?.name ?? this.state.servers.at(i)?.spec.name;
    if (name === undefined) this.fail("model", `server ${i} is neither the model's nor the core's`);
    return name;
  }

  /**
   * The spec server slot i runs with now, as the model has it: a reload's new spec once its old process has ended
   * (until then the old one), a slot aside's its copy's (never restarted).
   */
  private specOf(i: number): ServerSpec {
    const spec = this.model.specs[i];
    if (spec === undefined) this.fail("model", `server ${i} is the core's, not the model's (${this.model.specs.length} slots)`);
    return spec;
  }

  /** The first signal it was sent that ends it (SIGKILL, or its stop signal unless it ignores that), and when it dies of it. */
  private fatal(p: Proc): { signal: number; dies: number } | null {
    const stop = this.specOf(p.server).stopSignal ?? SIGTERM;
    const c = p.choice;
    for (const s of p.signals) if (s.signal === SIGKILL || (s.signal === stop && !c.stubborn)) return { signal: s.signal, dies: s.at + c.dyingMs };
    return null;
  }

  /** Which server the shell says pid is: right, none, or wrong (the core must check it). */
  private hint(server: number | null): { server?: number } {
    const n = Math.max(1, this.state.servers.length);
    if (this.sc.hints === "none") return {};
    if (this.sc.hints === "right") return server === null ? {} : { server };
    // wrong: another server, preferably one that is alive (under another pid)
    const alive = this.state.servers.findIndex((s, i) => i !== server && s.life.kind === "alive");
    return { server: alive >= 0 ? alive : ((server ?? 0) + 1) % n };
  }

  /** Process p ends now: the report of it, to be fed. */
  private ended(p: Proc, status: ExitStatus, atTakeover = false): Event {
    const e: Event = { type: "exited", at: this.t, pid: p.pid, status, ...this.hint(p.server), ...(atTakeover ? { atTakeover: true } : {}) };
    p.end = e;
    return e;
  }

  private lifeMs(life: LifeChoice, server: number): number {
    const interval = this.specOf(server).intervalMs ?? this.settings.intervalMs;
    switch (life) {
      case "zero": return 0;
      case "below": return Math.max(0, interval - 1);
      case "hair-below": return Math.max(0, interval - 0.001);
      case "equal": return interval;
      case "hair-above": return interval + 0.001;
      case "above": return interval + 1;
      case "long": return interval * 3 + 7;
      case "now": return 0;
    }
  }

  /** Time passes to `to`; with prompt timers, every armed timer due by then fires first, at its instant. */
  private moveTo(to: number): void {
    while (this.exitedWith === null) {
      let next: [TimerName, number] | null = null;
      if (this.sc.promptTimers) for (const [name, at] of this.armed) if (at <= to && (next === null || at < next[1] || (at === next[1] && name < next[0]))) next = [name, at];
      // The shell answers a probe that took too long: failed (its timeout), whatever the scenario's timers do.
      this.dropReused();
      const late = this.probes.filter((p) => p.deadline <= to).sort((a, b) => a.deadline - b.deadline)[0];
      if (late !== undefined && (next === null || late.deadline < next[1])) {
        this.t = Math.max(this.t, late.deadline);
        this.probes.splice(this.probes.indexOf(late), 1);
        this.feed({ type: "probe-result", at: this.t, server: late.server, pid: late.pid, purpose: late.purpose, ok: false, reason: "timed out" });
        continue;
      }
      if (next === null) break;
      this.t = Math.max(this.t, next[1]);
      this.armed.delete(next[0]);
      this.lastFired = next[0];
      this.feed({ type: "timer", at: this.t, timer: next[0] });
    }
    this.t = Math.max(this.t, to);
  }

  /** Deliver the model's deadline `timer` (due at `at`) at an offset. */
  private fire(timer: TimerName, at: number, offset: TimerOffset): void {
    if (!this.armed.has(timer)) this.fail("timers", `the model's deadline for ${timer} (${at}) has no timer armed: it would never fire`);
    const when = offset === "exact" ? at : offset === "hair-late" ? at + 0.001 : offset === "late" ? at + 250
      : offset === "hair-early" ? at - 0.001 : at - Math.max(1, (at - this.t) / 2);
    if (offset === "exact" || offset === "hair-late" || offset === "late") this.moveTo(when);
    if (this.exitedWith !== null || !this.armed.has(timer)) return; // it fired on the way
    this.t = Math.max(this.t, when);
    this.armed.delete(timer);
    this.lastFired = timer;
    this.feed({ type: "timer", at: this.t, timer });
  }

  /**
   * After the scenario: a shutdown in which processes obey the signals they
   * get (some ignore their stop signal, some take their time to die), time
   * passes from one happening to the next (a death, a deadline of the model,
   * a second terminate); the supervisor must exit, with the model's status.
   */
  private drain(): void {
    this.trace.push("--- drain: terminate; processes obey their signals ---");
    const start = this.t;
    this.feed({ type: "terminate", at: this.t, signal: SIGTERM });
    if (this.sc.drain.reexec) this.feed({ type: "reexec", at: this.t });
    if (this.sc.drain.revive) this.feed({ type: "revive", at: this.t });
    let second = this.sc.drain.second === null ? null : start + this.sc.drain.second;
    for (let round = 0; this.exitedWith === null && round < 1000; round++) {
      const death = this.running().map((p) => ({ p, f: this.fatal(p) })).filter((x) => x.f !== null).sort((a, b) => a.f!.dies - b.f!.dies || a.p.pid - b.p.pid)[0];
      const timer = [...this.model.timers()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))[0];
      const next = Math.min(death?.f!.dies ?? Infinity, timer?.[1] ?? Infinity, second ?? Infinity);
      if (next === Infinity) {
        const left = this.running();
        const stuck = left.map((p) => `pid ${p.pid} of server ${p.server} (signals: ${p.signals.map((s) => s.signal).join(",") || "none"})`).join("; ");
        this.fail("7", `shutting down, ${left.length === 0 ? "nothing runs" : `${stuck} still ${left.length === 1 ? "runs" : "run"}`}, no deadline is pending, and the supervisor has not exited: it never will`);
      }
      if (death !== undefined && death.f!.dies === next) {
        this.moveTo(next);
        if (this.exitedWith === null && death.p.end === null) this.feed(this.ended(death.p, { kind: "signal", signal: death.f!.signal }));
      } else if (second !== null && second === next) {
        this.moveTo(next);
        second = null;
        this.feed({ type: "terminate", at: this.t, signal: SIGTERM });
      } else {
        this.fire(timer![0], timer![1], "exact");
      }
    }
    if (this.exitedWith === null) this.fail("7", "after a shutdown the supervisor never exited");
    if (this.running().length > 0) this.fail("7", `the supervisor exited with processes still running: ${this.running().map((p) => p.pid)}`);
  }

  // --- the shell's queue -------------------------------------------------------

  private feed(...events: Event[]): void {
    if (this.exitedWith !== null) return;
    this.queue.push(...events);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let e = this.queue.shift(); e !== undefined && this.exitedWith === null; e = this.queue.shift()) this.stepOne(e);
      this.queue.length = 0;
    } finally {
      this.busy = false;
    }
  }

  /**
   * A rolling restart's swap (start-first): the copy's new process, ready in its slot aside, takes the copy's
   * slot, and the old one moves to the slot aside. As the model has it (the core is compared with the model after
   * this step): a running process the model has alive in another slot of the same name is that slot's now.
   */
  private followSwaps(): void {
    const nameOf = (i: number) => this.model.specs[i]?.name;
    // (a process that ended and whose end is not yet reported is still the supervisor's, in whatever slot)
    for (const p of this.procs.values()) {
      if (p.since === null) continue;
      const j = this.model.servers.findIndex((m) => m.kind === "alive" && m.pid === p.pid);
      if (j >= 0 && j !== p.server && nameOf(j) === nameOf(p.server)) p.server = j;
    }
  }

  /** A pid for a new process, as the scenario's kernel hands them out; never one whose end is still to be reported. */
  private allocPid(): number {
    const free = (pid: number) => !this.procs.has(pid) && !this.queue.some((e) => e.type === "exited" && e.pid === pid);
    if (this.sc.pids === "last" && this.lastFreed !== null && free(this.lastFreed)) {
      const pid = this.lastFreed;
      this.lastFreed = null;
      return pid;
    }
    if (this.sc.pids === "lowest") {
      for (let pid = 1000; ; pid++) if (free(pid)) return pid;
    }
    while (!free(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  private stepOne(event: Event): void {
    const busy = this.bound.step(event.at, () => eventWords(event));
    if (busy !== null) this.fail("busy", busy);
    const image = this.images[this.images.length - 1]!;
    const before = this.state;
    const proc = event.type === "exited" ? this.procs.get(event.pid) : undefined;
    /** This is the real report of a process's end (not a stale or duplicate one). */
    const real = proc !== undefined && proc.end === event;
    // A timer event is the shell's timer firing: it is no longer armed (the core may arm it again).
    if (event.type === "timer") this.armed.delete(event.timer);
    // An answer made up as bogus when it was queued (the wrong purpose, another server's) may, by the time it
    // arrives, name a probe that went out meanwhile exactly (its server, pid and purpose): it answers that probe
    // then, as far as the core can tell, and the probe is in flight no more.
    if (event.type === "probe-result") {
      const k = this.probes.findIndex((p) => p.server === event.server && p.pid === event.pid && p.purpose === event.purpose && p.proc === this.procs.get(event.pid));
      if (k >= 0) this.probes.splice(k, 1);
    }
    const r = this.stepFn(this.state, event);
    image.events.push(event);
    image.results.push(r);
    this.state = r.state;
    // (the specs the servers ran with before this step: an end is judged by its process's, not by a reload's pending one)
    const specsBefore = this.model.specs.slice();
    const x = this.model.apply(event);
    this.steps++;
    // A reload the model applied is the configuration in force from now on (the next spawns carry its argv); a
    // server it adds anew starts counting its spawns from nothing (its first carries argv as given).
    if (event.type === "reconfigure" && x.reload !== null) {
      const now = new Set(event.servers.map((spec) => spec.name));
      for (const y of this.named()) if (!now.has(y.spec.name)) this.removedSpecs.set(y.spec.name, y);
      for (const i of x.reload.added) this.spawnsSoFar.delete(this.nameOf(i));
      this.specs = [...event.servers];
    }
    if (real) {
      this.procs.delete(proc.pid);
      this.reported.push(proc.pid);
      if (this.reported.length > 50) this.reported.shift();
      this.lastFreed = proc.pid;
    }
    if (event.type === "spawned") {
      const p = this.procs.get(event.pid);
      if (p !== undefined && p.server === event.server && p.since === null) p.since = event.at;
    }
    if (this.model.roll !== null || this.model.servers.length > this.specs.length) this.followSwaps();
    this.trace.push(`${describe(event)}  →  ${this.state.servers.map((s) => s.life.kind).join(",")}${r.effects.some((e) => e.type === "exit") ? " exit" : ""}`);

    let reexec: Handover | null = null;
    for (const e of r.effects) {
      switch (e.type) {
        case "spawn": {
          const i = e.server;
          // (a rolling restart's new process in a slot aside is its copy's: its argv, its spawn count, its failures)
          const h = this.nameOf(i);
          this.checkArgv(i, e.argv);
          this.spawnsSoFar.set(h, (this.spawnsSoFar.get(h) ?? 0) + 1);
          const again = this.shortAgain.get(h) ?? 0;
          const failure = this.failNext.get(h) ?? (again > 0 ? "EAGAIN" : this.firstFails.has(h) ? "ENOENT" : undefined);
          if (this.failNext.get(h) === "EAGAIN") this.shortAgain.set(h, SHORT_AGAIN);
          else if (again > 0 && !this.failNext.has(h)) this.shortAgain.set(h, again - 1);
          this.failNext.delete(h);
          this.firstFails.delete(h);
          if (failure !== undefined) {
            // EAGAIN is the shell's shortage (no free process): said so to the core, as BunPort does.
            this.queue.push({ type: "spawn-failed", at: this.t, server: i, error: failure, ...(failure === "EAGAIN" ? { short: true as const } : {}) });
          } else {
            const pid = this.allocPid();
            this.procs.set(pid, { pid, choice: this.behaviour.get(h)!, server: i, since: null, signals: [], end: null });
            this.queue.push({ type: "spawned", at: this.t, server: i, pid });
          }
          break;
        }
        case "kill": {
          const p = this.procs.get(e.pid);
          if (p === undefined || p.since === null) this.fail("2", `signal ${e.signal} sent to pid ${e.pid}, which is not a running process`);
          if (p.server !== e.server) this.fail("2", `signal ${e.signal} for server ${e.server} sent to pid ${e.pid}, a process of server ${p.server}`);
          p.signals.push({ signal: e.signal, at: this.t });
          break;
        }
        case "adopt": {
          const p = this.procs.get(e.pid);
          if (p === undefined || p.server !== e.server) this.fail("re-exec", `adopt of pid ${e.pid} for server ${e.server}, which is no process of it`);
          break;
        }
        case "arm":
          this.armed.set(e.timer, e.at);
          break;
        case "disarm":
          this.armed.delete(e.timer);
          break;
        case "probe":
          this.checkProbe(e, event);
          this.probes.push({ server: e.server, pid: e.pid, purpose: e.purpose, proc: this.procs.get(e.pid), deadline: this.t + e.timeoutMs });
          break;
        case "sd-notify":
          this.checkSdNotify(e.text, event);
          break;
        case "exit":
          if (this.exitedWith !== null) this.fail("8", "exit effect emitted twice");
          this.exitedWith = e.status;
          break;
        case "reexec":
          reexec = e.handover;
          break;
        default:
          break;
      }
    }
    this.checkStep(event, before, r.effects, real, specsBefore, x);
    if (this.across !== null && event.type === "start") {
      const d = comparePendingAcrossReexec(this.across.before, this.state);
      if (d !== null) this.fail("re-exec", d);
    }
    const oracle = compareEffects(event, r.effects, x, this.model) ?? compareState(this.state, this.model) ?? compareTimers(this.armed, this.model);
    if (oracle !== null) this.fail("model", oracle);
    if (this.across !== null && event.type === "start") {
      const d = compareAcrossReexec(this.across.before, this.state, this.across.execAt);
      if (d !== null) this.fail("re-exec", d);
      this.across = null;
    }
    if (reexec !== null) this.carryOutReexec(reexec);
  }

  /** The core asked for a re-exec: as the shell, exec (or fail to), and start a new image from nothing but the handover. */
  private carryOutReexec(h: Handover): void {
    if (this.queue.some((e) => e.type === "spawned" || e.type === "spawn-failed")) {
      this.fail("re-exec", "the core re-exec'd while a spawn's result was on its way: that child would be lost");
    }
    // Ends not yet told (queued here; the port's, in the shell) are told first, then the core is asked again.
    const exits = this.queue.filter((e) => e.type === "exited");
    if (exits.length > 0) {
      const rest = this.queue.filter((e) => e.type !== "exited" && !(e.type === "reexec" && e.again === true));
      this.queue.length = 0;
      this.queue.push(...exits, ...rest, { type: "reexec", at: this.t, again: true });
      return;
    }
    // Anything else that arrived meanwhile (a signal) reaches the new image, after its start.
    const later = this.queue.splice(0).filter((e) => !(e.type === "reexec" && e.again === true));
    if (this.exec.fails) {
      this.queue.push({ type: "reexec-failed", at: this.t, error: "ENOEXEC" }, ...later);
      return;
    }
    // The old image names each record by its server (in its slots' order, as the shell does); the new image, which
    // runs the configuration in force in the file's order, finds each by its name.
    const slotSpecs = handoverSpecs(this.state);
    const text = marshal(h, slotSpecs);
    const back = unmarshal(text, this.specs);
    if (!back.ok) this.fail("10", `a handover the core produced does not read back: ${back.error}`);
    // (in the new image's order; the dependencies of a spec an old process runs, by the handover's index, too)
    const reorder = (d: number) => this.specs.findIndex((x) => x.name === slotSpecs[d]?.name);
    const byName = {
      ...h,
      servers: this.specs.map((spec) => {
        const s = h.servers[slotSpecs.findIndex((x) => x.name === spec.name)];
        if (s?.kind !== "alive" || s.runs?.dependsOn === undefined) return s;
        return { ...s, runs: { ...s.runs, dependsOn: s.runs.dependsOn.map(reorder).filter((k) => k >= 0) } };
      }),
    };
    if (!Bun.deepEquals(back.handover, byName, true)) this.fail("10", `handover round trip changed it:\n${JSON.stringify(byName)}\n${JSON.stringify(back.handover)}`);
    const execAt = this.t;
    if (h.execAt !== execAt) this.fail("re-exec", `the handover says the exec was at ${h.execAt}; it is at ${execAt}`);
    // A rolling restart is not handed across: a re-exec ends it, and says so (docs/spec.md, "Scale"). One under way now
    // (a reload's, begun while the re-exec waited) would be cut off unsaid, and the model would go on with it.
    const roll = this.model.roll;
    if (roll !== null) this.fail("roll", `the re-exec is carried out while a rolling restart of '${roll.name}' (${roll.reload ? "a reload's, begun while the re-exec waited" : "an operator's"}) is under way at server ${roll.current}: it is cut off, and its end is never said (a roll is refused while a re-exec waits; a re-exec ends a roll and logs it)`);
    // (the new image runs the configuration in force: a reload's, without the slots aside of a rolling restart, in the
    // file's order: each process is its server's, found by name, in the new image)
    const names = new Map([...this.procs.values()].map((p) => [p, this.nameOf(p.server)]));
    const complaint = this.model.exec(execAt, this.specs);
    if (complaint !== null) this.fail("re-exec", complaint);
    for (const [p, name] of names) {
      const j = this.specs.findIndex((spec) => spec.name === name);
      if (j < 0) this.fail("re-exec", `process ${p.pid} of '${name}' (server ${p.server}) still runs at the re-exec, and the new image has no server of that name`);
      p.server = j;
    }
    this.across = { before: this.state, execAt };
    // Timers and probes do not survive an exec; the exec takes time, and children may die meanwhile.
    this.armed.clear();
    this.probes.length = 0;
    this.t += this.exec.delay;
    // (the new image plans with the counts `ctl scale` gave, carried across: the tables it holds at 0 included)
    const zero = this.state.settings.scaledToZero;
    this.state = initialState(zero === undefined ? this.settings : { ...this.settings, scaledToZero: zero }, this.specs);
    this.images.push({ initial: this.state, events: [], results: [] });
    this.trace.push(`--- re-exec at ${execAt}: new image at ${this.t} ---`);
    const deaths = this.running().slice(0, this.exec.deaths).map((p) => this.ended(p, this.exec.status, true));
    this.queue.push({ type: "start", at: this.t, handover: back.handover }, ...deaths, ...later.map((e) => ({ ...e, at: this.t })));
  }

  // --- the invariants ----------------------------------------------------------

  private checkArgv(i: number, argv: readonly string[]): void {
    const spec = this.specOf(i);
    const first = (this.spawnsSoFar.get(this.nameOf(i)) ?? 0) === 0;
    const expected = first ? spec.argv : spec.argv.map((a) => (a === INITIAL_SPAWN ? RESPAWN : a));
    if (JSON.stringify(argv) !== JSON.stringify(expected)) {
      this.fail("6", `spawn ${first ? "(first)" : "(later)"} of server ${i} carries ${JSON.stringify(argv)}, expected ${JSON.stringify(expected)}`);
    }
  }

  private checkStep(event: Event, before: State, effects: readonly Effect[], real: boolean, specsBefore: readonly ServerSpec[], x: Expected): void {
    const after = this.state;
    const spawned = effects.flatMap((e) => (e.type === "spawn" ? [e.server] : []));
    const exitFx = effects.filter((e) => e.type === "exit");

    // 1. one state each; `starting` only while its spawn's result is on its way
    after.servers.forEach((s, i) => {
      if (s.life.kind === "starting" && !this.queue.some((e) => (e.type === "spawned" || e.type === "spawn-failed") && e.server === i)) {
        this.fail("1", `server ${i} is starting, but no spawn of it is in flight`);
      }
    });

    // 2. alive = latest spawn succeeded and its process not reported ended; pids distinct
    const alive = new Map<number, number>();
    after.servers.forEach((s, i) => {
      if (s.life.kind !== "alive") return;
      if (alive.has(s.life.pid)) this.fail("2", `pid ${s.life.pid} is alive for two servers`);
      alive.set(s.life.pid, i);
      const p = this.procs.get(s.life.pid);
      if (p === undefined || p.server !== i || p.since === null) this.fail("2", `server ${i} is alive with pid ${s.life.pid}, but no such process of it runs`);
    });
    for (const [pid, p] of this.procs) {
      if (p.since !== null && alive.get(pid) !== p.server) this.fail("2", `process ${pid} of server ${p.server} runs, but the core has it ${after.servers.at(p.server)?.life.kind}`);
    }

    // 3. a cremated server is never spawned again (an operator's start/restart of it excepted, and a rolling
    // restart's, which restarts its copies one at a time: the copy it is at, or its new process in a slot aside
    // that an ended process had)
    for (const i of spawned) {
      if (before.servers.at(i)?.life.kind !== "cremated") continue;
      const c = event.type === "control" ? event.command : null;
      const operator = c !== null && (c.op === "start" || c.op === "restart") && c.server === i;
      const roll = this.model.roll;
      const rolling = roll !== null && (roll.current === i || roll.aside === i);
      // (a reload that adds a server of a name whose removed server has ended gives it that one's slot: a new server)
      const added = x.reload?.added.includes(i) === true;
      if (!operator && !rolling && !added) this.fail("3", `cremated server ${i} was spawned again by ${event.type}`);
    }

    // 4. an end by itself: restart = "on-failure" (the default): a clean one cremates; an abnormal one after >= interval
    // gives exactly one respawn in the same step (or it waits for its dependencies), sooner none: buried, or a backoff
    // while it has retries; restart = "always": a clean end too; "never": no respawn after any end.
    if (event.type === "exited" && real) {
      const i = before.servers.findIndex((s) => s.life.kind === "alive" && s.life.pid === event.pid);
      const b = i < 0 ? undefined : before.servers.at(i);
      // (a rolling restart's new process in a slot aside is never restarted, whatever its end)
      const aside = b !== undefined && (b.replaces !== undefined || b.retired === true);
      if (aside && spawned.includes(i)) this.fail("roll", `server ${i}, a rolling restart's new process aside (or a server a reload removed), ended by itself and was spawned again`);
      if (b?.life.kind === "alive" && b.life.stop === null && before.phase.kind === "running" && !aside) {
        const spec = specsBefore[i] ?? this.specOf(i);
        const interval = spec.intervalMs ?? this.settings.intervalMs;
        const restart = spec.restart ?? "on-failure";
        const execAt = this.model.execAt;
        const end = event.atTakeover === true && execAt !== null ? Math.min(event.at, execAt) : event.at;
        const lived = end - b.life.since;
        const mine = spawned.filter((s) => s === i).length;
        const k = after.servers.at(i)?.life.kind;
        const others = spawned.filter((s) => s !== i && before.servers.at(s)?.life.kind !== "waiting");
        if (others.length > 0) this.fail("4", `the end of server ${i} spawned server ${others[0]}, which was not waiting for it`);
        const clean = isClean(event.status);
        if (restart === "never") {
          if (mine !== 0 || k !== (clean ? "cremated" : "buried")) this.fail("restart", `server ${i} has restart = "never" and ended ${clean ? "cleanly" : "abnormally"}: it must be ${clean ? "cremated" : "buried"} and not started again, it is ${k} after ${mine} spawns`);
        } else if (clean && restart === "on-failure") {
          if (mine !== 0 || k !== "cremated") this.fail("4", `a clean end of server ${i} must cremate it`);
        } else if (lived >= interval) {
          if (mine !== 1 && k !== "waiting") this.fail(clean ? "restart" : "4", `server ${i} lived ${lived} >= ${interval} ms and ended ${clean ? `cleanly with restart = "always"` : "abnormally"}: ${mine} respawns instead of 1`);
        } else if (mine !== 0 || (k !== "buried" && k !== "backoff")) {
          this.fail(clean ? "restart" : "4", `server ${i} lived ${lived} < ${interval} ms and ended ${clean ? `cleanly with restart = "always"` : "abnormally"}: must be buried (or wait in its backoff), not respawned`);
        } else if (k === "backoff" && (spec.backoff === undefined || b.retries >= spec.backoff.retries)) {
          this.fail("backoff", `server ${i} crashed too fast with ${b.retries} retries used of ${spec.backoff?.retries ?? "no backoff"}: it must be buried, not retried`);
        }
      }
    }

    // backoff: a delay is min(max, initial·2^(n-1)) for the n-th retry in a row, never more than max
    after.servers.forEach((s, i) => {
      const l = s.life;
      if (l.kind !== "backoff" || l.since !== event.at || before.servers.at(i)?.life.kind === "backoff") return;
      // (a re-exec'd image's start takes over a backoff begun before: under the spec of then, which a reload may have changed since)
      if (event.type === "start" && event.handover !== null) return;
      // For want of a resource (its spawn failed so): 1 s, 2 s, 4 s, then every 5 s for the k-th in a row, whatever its backoff setting.
      if (l.short !== undefined) {
        if (event.type !== "spawn-failed" || event.short !== true || event.server !== i) {
          return this.fail("backoff", `server ${i} waits for a resource, but ${describe(event)} was no spawn of it that failed for want of one`);
        }
        const wait = Math.min(5000, 1000 * 2 ** (l.short - 1));
        if (Math.abs(l.until - l.since - wait) > 1e-6) this.fail("backoff", `server ${i}'s spawn failed for want of a resource (${l.short} in a row): tried again after ${l.until - l.since} ms, not ${wait}`);
        return;
      }
      if (event.type === "spawn-failed" && event.short === true && event.server === i) return this.fail("backoff", `server ${i} waits in an ordinary backoff after its spawn failed for want of a resource`);
      const b = (specsBefore[i] ?? this.specOf(i)).backoff;
      if (b === undefined) return this.fail("backoff", `server ${i} waits in backoff without a backoff setting`);
      const delay = l.until - l.since;
      if (delay > b.maxMs + 1e-6) this.fail("backoff", `server ${i}'s backoff delay is ${delay} ms, more than its max ${b.maxMs} ms (not capped)`);
      const want = Math.min(b.maxMs, b.initialMs * 2 ** (s.retries - 1));
      if (l.until !== l.since + want) this.fail("backoff", `server ${i}'s retry ${s.retries} comes after ${delay} ms; min(max ${b.maxMs}, initial ${b.initialMs}·2^${s.retries - 1}) is ${want}`);
    });

    // deps: a dependent is never spawned while a dependency is not ready (alive, ready, not stopping) or done (ended cleanly)
    for (const i of spawned) {
      for (const d of this.specOf(i).dependsOn ?? []) {
        const l = after.servers.at(d)?.life;
        const ok = (l?.kind === "alive" && l.ready && l.stop === null) || (l?.kind === "cremated" && l.why === "clean-exit");
        if (!ok) this.fail("deps", `server ${i} is spawned while server ${d}, which it depends on, is ${l?.kind === "alive" ? (l.stop !== null ? "being stopped" : l.ready ? "alive" : "not ready yet") : l?.kind} (a dependent started before its dependency is ready)`);
      }
    }

    // shutdown order: during a shutdown no server gets its stop signal while something that depends on it still runs
    // (a spawn that was in flight when the shutdown began gets its order as soon as it runs)
    if (after.phase.kind === "stopping" && !after.phase.killed && event.type !== "spawned") {
      for (const e of effects) {
        if (e.type !== "kill" || !e.group || e.signal === SIGKILL) continue;
        const running = (this.model.dependents[e.server] ?? []).filter((d) => {
          const k = after.servers.at(d)?.life.kind;
          return k === "alive" || k === "starting";
        });
        if (running.length > 0) this.fail("shutdown-order", `server ${e.server} gets its stop signal while server ${running[0]}, which depends on it, still runs (dependencies stopped before dependents)`);
      }
    }

    // reload: a server a reload removed (or a process a rolling restart moved aside or gave up) never runs on without a
    // stop order while the supervisor runs: it is stopped as soon as it runs
    if (after.phase.kind === "running") {
      after.servers.forEach((s, i) => {
        const l = s.life;
        if (s.retired === true && l.kind === "alive" && l.stop === null) {
          this.fail("reload", `server ${i} ('${s.spec.name}', pid ${l.pid}) was removed by a reload (or replaced in a rolling restart) and runs on with no stop order after ${eventWords(event)}: a removed server's process is never stopped`);
        }
      });
    }

    // reload: a reload (or a scale) leaves no change it accepted without something to carry it out. Once it is applied,
    // a server that runs on its old process with a new spec pending and no stop order (a copy of a rolling reload) is
    // one the rolling restart under way will still replace: a reload that ends a reload's roll carries it on.
    if (event.type === "reconfigure" && x.reload !== null && after.phase.kind === "running") {
      const roll = after.roll;
      const reaches = new Set(roll === undefined ? [] : [...(roll.draining === null ? [roll.current] : []), ...roll.rest]);
      after.servers.forEach((s, i) => {
        const l = s.life;
        if (s.next !== undefined && s.retired !== true && s.replaces === undefined && l.kind === "alive" && l.stop === null && !reaches.has(i)) {
          this.fail("reload", `after ${eventWords(event)}, server ${i} ('${s.spec.name}', pid ${l.pid}) runs its old process with a new spec pending, and no rolling restart under way will replace it: a change a reload accepted is never carried out`);
        }
      });
    }

    // in-place: a server whose spec a reload changed in policy only (the model's updated: argv, label, launch, readiness
    // check and table the same) and whose process ran with no stop order keeps that process: no signal, no new spec
    // pending, the same pid (docs/spec.md, "Reload"). Its checks follow the new spec: a changed health check's next
    // probe is one new interval from the reload (or, a probe of the old check in flight, its answer counts for nothing).
    if (event.type === "reconfigure" && x.reload !== null) {
      for (const i of x.reload.updated) {
        const was = before.servers.at(i);
        const now = after.servers.at(i);
        if (was === undefined || now === undefined || was.life.kind !== "alive" || was.life.stop !== null) continue;
        const pid = was.life.pid;
        const signalled = effects.some((e) => e.type === "kill" && e.server === i);
        const l = now.life;
        if (signalled || now.next !== undefined || l.kind !== "alive" || l.pid !== pid || l.stop !== null) {
          this.fail("in-place", `after ${eventWords(event)}, server ${i} ('${now.spec.name}', pid ${pid}) had only its policy changed by the reload, and the core ${signalled ? "signalled it" : now.next !== undefined ? "left it a new spec pending" : "did not keep its process"}: a policy-only change restarts the process`);
        }
        if (!was.life.ready || l.kind !== "alive" || l.stop !== null || canonicalJson(was.spec.health) === canonicalJson(now.spec.health)) continue;
        const h = now.spec.health;
        const armed = this.armed.get(`probe:${i}` as TimerName) ?? null;
        const want = h === undefined ? null : this.t + h.intervalMs;
        if (now.probing ? now.staleProbe !== true : armed !== want) {
          this.fail("in-place", `after ${eventWords(event)}, server ${i} ('${now.spec.name}', pid ${pid})'s health check changed in place, ${now.probing ? "and the answer of the old check's probe in flight would count against the new one" : `and its next probe is ${armed === null ? "not armed" : `at ${armed}`}, not ${want === null ? "none" : `at ${want}`} (one new interval from the reload)`}: an in-place health change keeps the old probe schedule`);
        }
      }
    }

    // reload-summary: what a reload (or a scale) answers and logs, by name, is the model's (docs/spec.md, "Reload"):
    // added, changed, removed, unchanged and updated, each the same set; a server the reload itself may start (unborn,
    // its autostart turned on; waiting, its dependencies changed) is among the changed, not the updated: `ctl reload
    // --wait` waits for the added and the changed only. Both the reply (when a request asked) and the log record.
    if (event.type === "reconfigure" && x.reload !== null) {
      const want = x.reload.summary;
      const said = effects.flatMap((e) => e.type === "reply" && e.reload !== undefined ? [{ where: "reply", s: e.reload }] : e.type === "log" && e.record.event === "reload" && e.record.reload !== undefined ? [{ where: "log record", s: e.record.reload }] : []);
      if (said.length === 0) this.fail("reload-summary", `after ${eventWords(event)}, the core neither answered nor logged what the reload did (the model's: ${summaryWords(want)})`);
      for (const { where, s: got } of said) {
        for (const k of ["added", "changed", "removed", "unchanged", "updated"] as const) {
          const a = [...new Set(got[k] ?? [])].sort();
          const b = [...new Set(want[k])].sort();
          if (a.join("\0") === b.join("\0")) continue;
          const extra = a.filter((n) => !b.includes(n));
          const missing = b.filter((n) => !a.includes(n));
          const other = (n: string) => (["added", "changed", "removed", "unchanged", "updated"] as const).filter((j) => j !== k && want[j].includes(n)).join("+") || "none";
          this.fail("reload-summary", `after ${eventWords(event)}, the core's ${where} lists ${k}: [${a.join(", ")}], the model's [${b.join(", ")}]${extra.length > 0 ? ` (${extra.map((n) => `${n}: the model's ${other(n)}`).join(", ")})` : ""}${missing.length > 0 ? ` (missing ${missing.join(", ")})` : ""}: a reload tells the operator what it did wrong ('ctl reload --wait' waits for the added and the changed: a server the reload starts listed as updated is not waited for)`);
        }
      }
    }

    // scale: `ctl scale NAME N` keeps NAME.1 … NAME.N running untouched (same pid, no signal) and stops the copies above
    // N that run, the highest-numbered first (their stop orders in that order, in one step). (A scale queued behind a
    // reload was planned from the texts before it: a copy whose spec it changes back, the model's changed, restarts.)
    if (event.type === "reconfigure" && event.scale !== undefined && x.reload !== null) {
      const { name, count } = event.scale;
      const changed = new Set(x.reload.changed);
      const copies = before.servers.toArray().flatMap((s, i) => {
        const n = s.spec.group === name && s.retired !== true && s.replaces === undefined ? copyNumber(s.spec.name) : 0;
        return n > 0 && s.life.kind === "alive" ? [{ i, n, pid: s.life.pid, stopping: s.life.stop !== null, spec: s.spec }] : [];
      });
      const stops = effects.flatMap((e) => (e.type === "kill" && e.group && e.signal !== SIGKILL ? [e.server] : []));
      const want = copies.filter((c) => c.n > count && !c.stopping).sort((a, b) => b.n - a.n).map((c) => c.i);
      const got = stops.filter((i) => copies.some((c) => c.i === i) && !changed.has(i));
      const words = (slots: readonly number[]) => slots.length === 0 ? "none" : slots.map((i) => `${before.servers.at(i)?.spec.name} (server ${i})`).join(", ");
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        this.fail("scale", `scale '${name}' to ${count} stopped ${words(got)}; it must stop ${words(want)}: the copies above ${count}, the highest-numbered first (a scale down stops the wrong copies)`);
      }
      // The copies that do not run (waiting, in backoff, buried, …): exactly those above N are removed.
      const idle = before.servers.toArray().flatMap((s, i) => {
        const n = s.spec.group === name && s.retired !== true && s.replaces === undefined ? copyNumber(s.spec.name) : 0;
        return n > 0 && s.life.kind !== "alive" && !changed.has(i) ? [{ i, n }] : [];
      });
      const idleWant = idle.filter((c) => c.n > count).map((c) => c.i);
      const idleGot = idle.filter((c) => after.servers.at(c.i)?.retired === true).map((c) => c.i);
      if (JSON.stringify(idleGot) !== JSON.stringify(idleWant)) {
        this.fail("scale", `scale '${name}' to ${count} stopped ${words(idleGot)}; it must stop ${words(idleWant)}: the copies above ${count}, the highest-numbered first (a scale down stops the wrong copies)`);
      }
      for (const c of copies) {
        const l = after.servers.at(c.i)?.life;
        if (c.n <= count && !changed.has(c.i) && (l?.kind !== "alive" || l.pid !== c.pid || after.servers.at(c.i)?.spec.name !== c.spec.name)) {
          this.fail("scale", `scale '${name}' to ${count}: ${c.spec.name} (server ${c.i}, pid ${c.pid}) is not kept running untouched (it is ${l?.kind}${l?.kind === "alive" ? ` as pid ${l.pid}, named ${after.servers.at(c.i)?.spec.name}` : ""})`);
        }
      }
    }

    // seat: never two processes of one name at once: a server whose seat (its name, its table's same copy, or a table's
    // server without copies and its copies: a rename) a removed server's process still holds is not started before
    // that process has ended (a rolling restart's start-first overlap is by design: its processes aside are not removed
    // by a reload).
    // (a new image numbers its servers afresh: a re-exec waited until every removed server's process had ended)
    // Only a server's first start after a reload added it is judged: one that already runs beside a seat-mate (two
    // reloads at one instant can make both, a rename and its reverse) and is respawned after that seat-mate was
    // removed in turn takes nobody's seat (found by a long fuzzer run, seed 750376101).
    if (event.type === "start") {
      this.outgoing.clear();
      this.unstarted.clear();
    }
    for (const i of x.reload?.removed ?? []) this.outgoing.add(i);
    for (const i of x.reload?.added ?? []) this.unstarted.add(i);
    for (const j of [...this.outgoing]) {
      const k = after.servers.at(j)?.life.kind;
      if (after.servers.at(j)?.retired !== true || (k !== "alive" && k !== "starting")) this.outgoing.delete(j);
    }
    for (const i of spawned) {
      const s = after.servers.at(i);
      if (s === undefined || !this.unstarted.delete(i)) continue;
      for (const j of this.outgoing) {
        const o = after.servers.at(j)!;
        if (j === i || !sameSeat(o.spec.name, s.spec.name)) continue;
        const l = o.life;
        this.fail("seat", `after ${eventWords(event)}, server ${i} ('${s.spec.name}') was started while server ${j} ('${o.spec.name}', removed by a reload, ${l.kind === "alive" ? `pid ${l.pid}` : "its spawn on its way"}) still stops: two processes of one name run at once`);
      }
    }

    // 5. a revive spawns every buried server exactly once (or it waits for its dependencies) and nothing else
    const reviveAll = event.type === "revive" || (event.type === "control" && event.command.op === "revive" && event.command.server === null);
    if (reviveAll && before.phase.kind === "running") {
      const buried = before.servers.toArray().flatMap((s, i) => (s.life.kind === "buried" && after.servers.at(i)?.life.kind !== "waiting" ? [i] : []));
      if (JSON.stringify([...spawned].sort((a, b) => a - b)) !== JSON.stringify(buried)) {
        this.fail("5", `revive spawned ${JSON.stringify(spawned)}, the buried were ${JSON.stringify(buried)}`);
      }
    }

    // sd-notify: a shutdown says STOPPING=1 at once
    const stopsNow = (event.type === "terminate" || (event.type === "control" && event.command.op === "shutdown")) && (before.phase.kind === "running" || before.phase.kind === "booting");
    if (stopsNow && this.settings.systemd !== undefined && !effects.some((e) => e.type === "sd-notify" && e.text.split("\n").includes("STOPPING=1"))) {
      this.fail("sd-notify", "a shutdown began and systemd was not told STOPPING=1");
    }

    // 7. once shutdown has begun nothing is spawned; every alive server is asked to stop
    if ((before.phase.kind === "stopping" || after.phase.kind === "stopping") && spawned.length > 0) this.fail("7", `spawned ${JSON.stringify(spawned)} during shutdown`);
    const terminating = event.type === "terminate" || (event.type === "control" && event.command.op === "shutdown");
    if (terminating && before.phase.kind === "running") {
      before.servers.forEach((s, i) => {
        if (s.life.kind !== "alive" || s.life.stop !== null) return;
        // (what something still running depends on waits for it: dependents first)
        if ((this.model.dependents[i] ?? []).some((d) => ["alive", "starting"].includes(after.servers.at(d)?.life.kind ?? ""))) return;
        const sig = this.specOf(i).stopSignal ?? SIGTERM;
        const pid = s.life.pid;
        if (!effects.some((e) => e.type === "kill" && e.pid === pid && e.signal === sig && e.group)) this.fail("7", `shutdown did not send its stop signal to server ${i}'s group`);
      });
    }

    // 8. exit only when nothing is alive and (outside shutdown) nothing is buried and no table is held at 0 copies; and then, always
    const kinds = after.servers.map((s) => s.life.kind);
    const held = (after.settings.scaledToZero ?? []).length > 0;
    if (exitFx.length > 0) {
      if (kinds.includes("alive") || kinds.includes("starting")) this.fail("8", "exited with a server alive or starting");
      const shutdown = before.phase.kind === "stopping" || terminating || (event.type === "timer" && event.timer === "alarm");
      if (!shutdown && (kinds.includes("buried") || kinds.includes("unborn") || kinds.includes("waiting") || kinds.includes("backoff"))) this.fail("8", "exited outside shutdown with a server buried or waiting");
      if (!shutdown && held) this.fail("8", `exited outside shutdown while ${after.settings.scaledToZero?.join(", ")} is scaled to 0 (a later ctl scale runs it again)`);
    } else if (after.phase.kind === "running" && kinds.every((k) => k === "cremated") && !held) {
      this.fail("8", "every server is cremated, yet the supervisor does not exit");
    } else if (after.phase.kind === "stopping" && !kinds.includes("alive") && !kinds.includes("starting")) {
      this.fail("8", "shutting down with nothing alive, yet the supervisor does not exit");
    }

    // 9. a report about an unknown pid changes nothing but the log
    if (event.type === "exited" && !real) {
      if (JSON.stringify(after) !== JSON.stringify(before)) this.fail("9", `the end of unknown pid ${event.pid} changed the state`);
      if (effects.some((e) => e.type !== "log")) this.fail("9", `the end of unknown pid ${event.pid} had effects`);
    }

    // 10. the state marshals for a re-exec and reads back the same
    if (after.phase.kind === "running") {
      // (what a reload removed and a rolling restart's slots aside are not handed across)
      const h = handoverFromState(after, this.t, (s) => s.retired !== true && s.replaces === undefined);
      const specs = after.servers.toArray().filter((s) => s.retired !== true && s.replaces === undefined).map((s) => s.next ?? s.spec);
      const back = unmarshal(marshal(h, specs), specs);
      if (!back.ok || !Bun.deepEquals(back.handover, h, true)) this.fail("10", `the state does not survive marshal/unmarshal:\n${JSON.stringify(h)}\n${back.ok ? JSON.stringify(back.handover) : back.error}`);
    }
  }

  /** probe: no probe targets a server that is not alive (or is being stopped, or during a shutdown), and never two for one process. */
  private checkProbe(e: Extract<Effect, { type: "probe" }>, event: Event): void {
    const l = this.state.servers.at(e.server)?.life;
    if (l?.kind !== "alive" || l.pid !== e.pid) this.fail("probe", `a ${e.purpose} probe of server ${e.server}'s pid ${e.pid} after ${eventWords(event)}, which is ${l?.kind === "alive" ? `pid ${l.pid}` : l?.kind}: a probe of a server that is not alive`);
    if (l.stop !== null) this.fail("probe", `a ${e.purpose} probe of server ${e.server} after ${eventWords(event)}, which is being stopped (a probe sent to a server being stopped)`);
    if (this.state.phase.kind !== "running") this.fail("probe", `a ${e.purpose} probe of server ${e.server} during a shutdown`);
    const proc = this.procs.get(e.pid);
    if (this.probes.some((p) => p.pid === e.pid && p.proc === proc)) this.fail("probe", `a second probe of server ${e.server}'s process ${e.pid} while one is in flight (probes overlap)`);
    const spec = this.specOf(e.server);
    if (e.purpose === "ready" && l.ready) this.fail("probe", `a readiness probe of server ${e.server}, which is ready`);
    if (e.purpose === "health" && (!l.ready || spec.health === undefined)) this.fail("probe", `a health probe of server ${e.server}, which is ${l.ready ? "without a health check" : "not ready yet"}`);
  }

  /** sd-notify: READY=1 exactly once, only once every server that starts by itself is ready, buried or done. */
  private checkSdNotify(text: string, event: Event): void {
    if (this.settings.systemd === undefined) this.fail("sd-notify", `systemd is told ${JSON.stringify(text)} although lazarus does not run under it`);
    const lines = text.split("\n");
    if (lines.includes("READY=1")) {
      this.sdReadies++;
      if (this.sdReadies > 1) this.fail("sd-notify", `READY=1 told to systemd a second time, after ${eventWords(event)}`);
      // A server that waits for what is at rest unready (buried, stopped, never started by itself) can only wait: at rest too.
      const all = this.state.servers.toArray();
      const unready = (d: number) => {
        const l = all[d]?.life;
        return !(l === undefined || (l.kind === "alive" && l.ready && l.stop === null) || (l.kind === "cremated" && l.why === "clean-exit"));
      };
      const vain = (i: number, seen: Set<number>): boolean => {
        if (seen.has(i)) return false;
        seen.add(i);
        return (all[i]?.spec.dependsOn ?? []).filter(unready).some((d) => {
          const x = all[d];
          const k = x?.life.kind;
          return k === "buried" || k === "cremated" || (k === "unborn" && x?.spec.autostart === false) || (k === "waiting" && vain(d, seen));
        });
      };
      const pending = all.flatMap((s, i) => {
        const l = s.life;
        const rest = (l.kind === "alive" && l.ready) || l.kind === "buried" || l.kind === "cremated" || (l.kind === "unborn" && s.spec.autostart === false) ||
          (l.kind === "waiting" && vain(i, new Set()));
        return rest ? [] : [`server ${i} (${l.kind}${l.kind === "alive" ? ", not ready" : ""})`];
      });
      if (pending.length > 0) this.fail("sd-notify", `READY=1 told to systemd after ${eventWords(event)} while ${pending.join(", ")} has not come to rest (READY=1 before every server is ready)`);
    }
    if (lines.includes("STOPPING=1") && !(event.type === "terminate" || (event.type === "control" && event.command.op === "shutdown"))) {
      this.fail("sd-notify", `STOPPING=1 after ${eventWords(event)}, which is no shutdown`);
    }
    if (lines.includes("WATCHDOG=1") && !(event.type === "timer" && event.timer === "sd-watchdog")) this.fail("sd-notify", `WATCHDOG=1 after ${eventWords(event)}`);
  }

  /** 11. the same events give the same states and effects. */
  private checkDeterminism(): void {
    for (const image of this.images) {
      let s = image.initial;
      image.events.forEach((e, k) => {
        const r = this.stepFn(s, e);
        if (!Bun.deepEquals(r, image.results[k], true)) this.fail("11", `replaying event ${k} (${e.type}) gave a different result`);
        s = r.state;
      });
    }
  }

  private fail(invariant: string, message: string): never {
    const tail = this.trace.slice(-14).join("\n  ");
    throw new Violation(`invariant ${invariant}: ${message}\n  last steps:\n  ${tail}`);
  }
}

function describe(e: Event): string {
  return eventWords(e);
}

export function runScenario(sc: Scenario, stepFn: StepFn = step): RunReport {
  return new ScenarioRun(sc, stepFn).run();
}

/** A model's reload summary in words: "added a; changed b, c; …" (the empty lists left out). */
function summaryWords(s: ModelSummary): string {
  const parts = (["added", "changed", "removed", "unchanged", "updated"] as const).filter((k) => s[k].length > 0).map((k) => `${k} ${s[k].join(", ")}`);
  return parts.length === 0 ? "nothing" : parts.join("; ");
}
