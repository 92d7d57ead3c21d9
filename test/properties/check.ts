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
import { SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { initialState, step } from "../../src/core/step.ts";
import type { ControlCommand, Effect, Event, ExitStatus, Handover, ServerSpec, Settings, State, StepResult, TimerName } from "../../src/core/types.ts";
import { Model, isClean } from "./model.ts";
import { compareAcrossReexec, compareEffects, compareState, compareTimers, eventWords, handoverFromState } from "./oracle.ts";
import type { Action, LifeChoice, Scenario, Simple, TimerOffset } from "./scenario.ts";

export type StepFn = (state: State, event: Event) => StepResult;

export class Violation extends Error {
  override name = "Violation";
}

const INITIAL_SPAWN = "--initial-spawn";
const RESPAWN = "--respawn";

export function specsOf(sc: Scenario): ServerSpec[] {
  return sc.servers.map((c, i) => {
    const argv = [`srv${i}`, ...(c.initialSpawn ? [INITIAL_SPAWN] : []), "--initial-spawn=x", "tail"];
    return {
      argv,
      name: `srv${i}`,
      ...(c.intervalMs === null ? {} : { intervalMs: c.intervalMs }),
      ...(c.stopTimeoutMs === null ? {} : { stopTimeoutMs: c.stopTimeoutMs }),
      ...(c.stopSignal === null ? {} : { stopSignal: c.stopSignal }),
      ...(c.autostart ? {} : { autostart: false }),
    };
  });
}

export function settingsOf(sc: Scenario): Settings {
  return { intervalMs: sc.intervalMs, stopTimeoutMs: sc.stopTimeoutMs, alarmMs: sc.alarmMs };
}

interface Image {
  readonly initial: State;
  readonly events: Event[];
  readonly results: StepResult[];
}

/** A process as the OS knows it. */
interface Proc {
  readonly pid: number;
  readonly server: number;
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

const DEFAULT_EXEC = { fails: false, delay: 0, deaths: 0, status: { kind: "code", code: 1 } as ExitStatus };

export class ScenarioRun {
  readonly specs: ServerSpec[];
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
  private readonly failNext = new Map<number, string>();
  private readonly firstFails: Set<number>;
  /** Spawns per server over the whole run (across re-execs): the first carries argv as given. */
  private readonly spawnsSoFar: number[];
  private nextPid = 1000;
  /** How the next re-exec goes (set by the latest reexec action). */
  private exec: { fails: boolean; delay: number; deaths: number; status: ExitStatus } = DEFAULT_EXEC;
  /** The core's state when the last exec happened, until the new image has started. */
  private across: { before: State; execAt: number } | null = null;
  private nextId = 1;
  private t = 0;
  private steps = 0;
  private exitedWith: number | null = null;
  private readonly images: Image[] = [];
  readonly trace: string[] = [];

  constructor(private readonly sc: Scenario, private readonly stepFn: StepFn = step) {
    this.specs = specsOf(sc);
    this.settings = settingsOf(sc);
    this.state = initialState(this.settings, this.specs);
    this.model = new Model(this.specs, this.settings);
    this.firstFails = new Set(sc.failFirst.filter((i) => i < this.specs.length));
    this.spawnsSoFar = this.specs.map(() => 0);
    this.images.push({ initial: this.state, events: [], results: [] });
    this.t = sc.startAt;
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
        this.failNext.set(action.k % this.specs.length, action.error);
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
        const all: TimerName[] = ["alarm", ...this.specs.map((_, i): TimerName => `stop:${i}`)];
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
        const n = this.specs.length;
        const server = s.k % n;
        const command: ControlCommand =
          s.op === "revive-all" ? { op: "revive", server: null }
          : s.op === "shutdown" ? { op: "shutdown" }
          : s.op === "signal" ? { op: "signal", server, signal: 1 }
          : { op: s.op, server };
        return [{ type: "control", at: this.t, id: this.nextId++, command }];
      }
      case "obey": {
        const doomed = this.running().filter((p) => this.fatal(p) !== null);
        if (doomed.length === 0) return [];
        const p = doomed[s.k % doomed.length]!;
        return [this.ended(p, { kind: "signal", signal: this.fatal(p)!.signal })];
      }
    }
  }

  /** Processes running (their spawn answered, their end not yet come), by pid. */
  private running(): Proc[] {
    return [...this.procs.values()].filter((p) => p.since !== null && p.end === null).sort((a, b) => a.pid - b.pid);
  }

  private pick(k: number): Proc | undefined {
    const ps = this.running();
    return ps.length === 0 ? undefined : ps[k % ps.length];
  }

  /** The first signal it was sent that ends it (SIGKILL, or its stop signal unless it ignores that), and when it dies of it. */
  private fatal(p: Proc): { signal: number; dies: number } | null {
    const stop = this.specs[p.server]!.stopSignal ?? SIGTERM;
    const c = this.sc.servers[p.server]!;
    for (const s of p.signals) if (s.signal === SIGKILL || (s.signal === stop && !c.stubborn)) return { signal: s.signal, dies: s.at + c.dyingMs };
    return null;
  }

  /** Which server the shell says pid is: right, none, or wrong (the core must check it). */
  private hint(server: number | null): { server?: number } {
    const n = this.specs.length;
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
    const interval = this.specs[server]?.intervalMs ?? this.settings.intervalMs;
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
    while (this.sc.promptTimers && this.exitedWith === null) {
      let next: [TimerName, number] | null = null;
      for (const [name, at] of this.armed) if (at <= to && (next === null || at < next[1] || (at === next[1] && name < next[0]))) next = [name, at];
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
    const image = this.images[this.images.length - 1]!;
    const before = this.state;
    const proc = event.type === "exited" ? this.procs.get(event.pid) : undefined;
    /** This is the real report of a process's end (not a stale or duplicate one). */
    const real = proc !== undefined && proc.end === event;
    // A timer event is the shell's timer firing: it is no longer armed (the core may arm it again).
    if (event.type === "timer") this.armed.delete(event.timer);
    const r = this.stepFn(this.state, event);
    image.events.push(event);
    image.results.push(r);
    this.state = r.state;
    const x = this.model.apply(event);
    this.steps++;
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
    this.trace.push(`${describe(event)}  →  ${this.state.servers.map((s) => s.life.kind).join(",")}${r.effects.some((e) => e.type === "exit") ? " exit" : ""}`);

    let reexec: Handover | null = null;
    for (const e of r.effects) {
      switch (e.type) {
        case "spawn": {
          const i = e.server;
          this.checkArgv(i, e.argv);
          this.spawnsSoFar[i] = (this.spawnsSoFar[i] ?? 0) + 1;
          const failure = this.failNext.get(i) ?? (this.firstFails.has(i) ? "ENOENT" : undefined);
          this.failNext.delete(i);
          this.firstFails.delete(i);
          if (failure !== undefined) {
            this.queue.push({ type: "spawn-failed", at: this.t, server: i, error: failure });
          } else {
            const pid = this.allocPid();
            this.procs.set(pid, { pid, server: i, since: null, signals: [], end: null });
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
    this.checkStep(event, before, r.effects, real);
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
    const text = marshal(h, this.specs);
    const back = unmarshal(text, this.specs);
    if (!back.ok) this.fail("10", `a handover the core produced does not read back: ${back.error}`);
    if (JSON.stringify(back.handover) !== JSON.stringify(h)) this.fail("10", `handover round trip changed it:\n${JSON.stringify(h)}\n${JSON.stringify(back.handover)}`);
    const execAt = this.t;
    if (h.execAt !== execAt) this.fail("re-exec", `the handover says the exec was at ${h.execAt}; it is at ${execAt}`);
    const complaint = this.model.exec(execAt);
    if (complaint !== null) this.fail("re-exec", complaint);
    this.across = { before: this.state, execAt };
    // Timers do not survive an exec; the exec takes time, and children may die meanwhile.
    this.armed.clear();
    this.t += this.exec.delay;
    this.state = initialState(this.settings, this.specs);
    this.images.push({ initial: this.state, events: [], results: [] });
    this.trace.push(`--- re-exec at ${execAt}: new image at ${this.t} ---`);
    const deaths = this.running().slice(0, this.exec.deaths).map((p) => this.ended(p, this.exec.status, true));
    this.queue.push({ type: "start", at: this.t, handover: back.handover }, ...deaths, ...later.map((e) => ({ ...e, at: this.t })));
  }

  // --- the invariants ----------------------------------------------------------

  private checkArgv(i: number, argv: readonly string[]): void {
    const spec = this.specs[i]!;
    const first = (this.spawnsSoFar[i] ?? 0) === 0;
    const expected = first ? spec.argv : spec.argv.map((a) => (a === INITIAL_SPAWN ? RESPAWN : a));
    if (JSON.stringify(argv) !== JSON.stringify(expected)) {
      this.fail("6", `spawn ${first ? "(first)" : "(later)"} of server ${i} carries ${JSON.stringify(argv)}, expected ${JSON.stringify(expected)}`);
    }
  }

  private checkStep(event: Event, before: State, effects: readonly Effect[], real: boolean): void {
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

    // 3. a cremated server is never spawned again (an operator's start/restart of it excepted)
    for (const i of spawned) {
      if (before.servers.at(i)?.life.kind !== "cremated") continue;
      const c = event.type === "control" ? event.command : null;
      const operator = c !== null && (c.op === "start" || c.op === "restart") && c.server === i;
      if (!operator) this.fail("3", `cremated server ${i} was spawned again by ${event.type}`);
    }

    // 4. an abnormal end after >= interval: exactly one respawn in the same step; before: none, buried
    if (event.type === "exited" && real) {
      const i = before.servers.findIndex((s) => s.life.kind === "alive" && s.life.pid === event.pid);
      const b = i < 0 ? undefined : before.servers.at(i);
      if (b?.life.kind === "alive" && b.life.stop === null && before.phase.kind === "running") {
        const interval = this.specs[i]!.intervalMs ?? this.settings.intervalMs;
        const execAt = this.model.execAt;
        const end = event.atTakeover === true && execAt !== null ? Math.min(event.at, execAt) : event.at;
        const lived = end - b.life.since;
        const mine = spawned.filter((s) => s === i).length;
        if (spawned.some((s) => s !== i)) this.fail("4", `the end of server ${i} spawned another server`);
        if (isClean(event.status)) {
          if (mine !== 0 || after.servers.at(i)?.life.kind !== "cremated") this.fail("4", `a clean end of server ${i} must cremate it`);
        } else if (lived >= interval) {
          if (mine !== 1) this.fail("4", `server ${i} lived ${lived} >= ${interval} ms and ended abnormally: ${mine} respawns instead of 1`);
        } else if (mine !== 0 || after.servers.at(i)?.life.kind !== "buried") {
          this.fail("4", `server ${i} lived ${lived} < ${interval} ms and ended abnormally: must be buried, not respawned`);
        }
      }
    }

    // 5. a revive spawns every buried server exactly once and nothing else
    const reviveAll = event.type === "revive" || (event.type === "control" && event.command.op === "revive" && event.command.server === null);
    if (reviveAll && before.phase.kind === "running") {
      const buried = before.servers.toArray().flatMap((s, i) => (s.life.kind === "buried" ? [i] : []));
      if (JSON.stringify([...spawned].sort((a, b) => a - b)) !== JSON.stringify(buried)) {
        this.fail("5", `revive spawned ${JSON.stringify(spawned)}, the buried were ${JSON.stringify(buried)}`);
      }
    }

    // 7. once shutdown has begun nothing is spawned; every alive server is asked to stop
    if ((before.phase.kind === "stopping" || after.phase.kind === "stopping") && spawned.length > 0) this.fail("7", `spawned ${JSON.stringify(spawned)} during shutdown`);
    const terminating = event.type === "terminate" || (event.type === "control" && event.command.op === "shutdown");
    if (terminating && before.phase.kind === "running") {
      before.servers.forEach((s, i) => {
        if (s.life.kind !== "alive" || s.life.stop !== null) return;
        const sig = this.specs[i]!.stopSignal ?? SIGTERM;
        const pid = s.life.pid;
        if (!effects.some((e) => e.type === "kill" && e.pid === pid && e.signal === sig && e.group)) this.fail("7", `shutdown did not send its stop signal to server ${i}'s group`);
      });
    }

    // 8. exit only when nothing is alive and (outside shutdown) nothing is buried; and then, always
    const kinds = after.servers.map((s) => s.life.kind);
    if (exitFx.length > 0) {
      if (kinds.includes("alive") || kinds.includes("starting")) this.fail("8", "exited with a server alive or starting");
      const shutdown = before.phase.kind === "stopping" || terminating || (event.type === "timer" && event.timer === "alarm");
      if (!shutdown && (kinds.includes("buried") || kinds.includes("unborn"))) this.fail("8", "exited outside shutdown with a server buried or waiting");
    } else if (after.phase.kind === "running" && kinds.every((k) => k === "cremated")) {
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
      const h = handoverFromState(after, this.t);
      const back = unmarshal(marshal(h, this.specs), this.specs);
      if (!back.ok || JSON.stringify(back.handover) !== JSON.stringify(h)) this.fail("10", "the state does not survive marshal/unmarshal");
    }
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
