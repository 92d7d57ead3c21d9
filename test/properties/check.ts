// Runs a generated scenario against a reducer, the way the shell would (every
// spawn answered at once), beside a truth of its own about which processes
// exist, and checks after every step the invariants of docs/spec.md and the
// agreement with the reference model. A violation throws, naming the
// invariant and the step; fast-check then shrinks the scenario.
import { marshal, unmarshal } from "../../src/core/marshal.ts";
import { SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import { INITIAL_SPAWN, RESPAWN } from "../../src/core/argv.ts";
import { handoverOf, initialState, isCleanExit, step } from "../../src/core/step.ts";
import type { ControlCommand, Effect, Event, Handover, ServerSpec, Settings, State, StepResult, TimerName } from "../../src/core/types.ts";
import { Model } from "./model.ts";
import type { Action, LifeChoice, Scenario } from "./scenario.ts";

export type StepFn = (state: State, event: Event) => StepResult;

export class Violation extends Error {
  override name = "Violation";
}

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

/** The outcome of a run: what a failing run printed, and numbers for the fuzzer. */
export interface RunReport {
  readonly steps: number;
  readonly exited: number | null;
  readonly trace: readonly string[];
}

export class ScenarioRun {
  readonly specs: ServerSpec[];
  readonly settings: Settings;
  private state: State;
  private model: Model;
  /** The OS's truth: processes that exist, by pid. */
  private readonly live = new Map<number, { server: number; since: number }>();
  private readonly armed = new Map<TimerName, number>();
  private readonly failNext = new Map<number, string>();
  private readonly firstFails: Set<number>;
  /** Spawns per server over the whole run (across re-execs): the first carries argv as given. */
  private readonly spawnsSoFar: number[];
  private nextPid = 1000;
  /** When the last re-exec happened (the harness's own record, not the core's). */
  private execAt: number | null = null;
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
  }

  run(): RunReport {
    if (this.sc.reviveBeforeStart) this.feed({ type: "revive", at: this.t });
    this.feed({ type: "start", at: this.t, handover: null });
    for (const action of this.sc.actions) {
      if (this.exitedWith !== null) break;
      this.act(action);
    }
    this.checkDeterminism();
    if (this.exitedWith === null) this.drain();
    return { steps: this.steps, exited: this.exitedWith, trace: this.trace };
  }

  // --- actions -------------------------------------------------------------

  private act(action: Action): void {
    switch (action.a) {
      case "exit": {
        const pids = [...this.live.keys()].sort((a, b) => a - b);
        if (pids.length === 0) return;
        const pid = pids[action.k % pids.length] as number;
        const p = this.live.get(pid)!;
        this.t = Math.max(this.t, p.since + this.lifeMs(action.life, p.server));
        this.feed({ type: "exited", at: this.t, pid, status: action.status }, pid);
        return;
      }
      case "unknown-exit":
        this.feed({ type: "exited", at: this.t, pid: action.pid, status: action.status });
        return;
      case "fail-next-spawn":
        this.failNext.set(action.k % this.specs.length, action.error);
        return;
      case "revive":
        this.feed({ type: "revive", at: this.t });
        return;
      case "terminate":
        this.feed({ type: "terminate", at: this.t, signal: action.signal });
        return;
      case "fire-timer": {
        const names = [...this.armed.keys()].sort();
        if (names.length === 0) return;
        const timer = names[action.k % names.length] as TimerName;
        this.t = Math.max(this.t, this.armed.get(timer) as number);
        this.armed.delete(timer);
        this.feed({ type: "timer", at: this.t, timer });
        return;
      }
      case "stale-timer": {
        const all: TimerName[] = ["alarm", ...this.specs.map((_, i): TimerName => `stop:${i}`)];
        const stale = all.filter((n) => !this.armed.has(n));
        if (stale.length === 0) return;
        this.feed({ type: "timer", at: this.t, timer: stale[action.k % stale.length] as TimerName });
        return;
      }
      case "advance":
        this.t += action.ms;
        return;
      case "info":
        this.feed({ type: "info", at: this.t });
        return;
      case "reexec": {
        const fx = this.feed({ type: "reexec", at: this.t });
        const r = fx.find((e) => e.type === "reexec");
        if (r === undefined || r.type !== "reexec") return;
        if (action.fails) {
          this.feed({ type: "reexec-failed", at: this.t, error: "ENOEXEC" });
          return;
        }
        // The exec takes time; children may die meanwhile: the new image finds them ended at its take-over.
        this.execAt = this.t;
        this.t += action.delay;
        this.reexec(r.handover);
        const pids = [...this.live.keys()].sort((a, b) => a - b).slice(0, action.deaths);
        for (const pid of pids) this.feed({ type: "exited", at: this.t, pid, status: action.status, atTakeover: true }, pid);
        return;
      }
      case "control": {
        const n = this.specs.length;
        const server = action.k % n;
        const command: ControlCommand =
          action.op === "revive-all" ? { op: "revive", server: null }
          : action.op === "shutdown" ? { op: "shutdown" }
          : action.op === "signal" ? { op: "signal", server, signal: 1 }
          : { op: action.op, server };
        this.feed({ type: "control", at: this.t, id: this.nextId++, command });
        return;
      }
    }
  }

  private lifeMs(life: LifeChoice, server: number): number {
    const interval = this.specs[server]?.intervalMs ?? this.settings.intervalMs;
    switch (life) {
      case "zero": return 0;
      case "below": return Math.max(0, interval - 1);
      case "equal": return interval;
      case "above": return interval + 1;
      case "long": return interval * 3 + 7;
      case "now": return 0;
    }
  }

  /** The old image is replaced: the new one starts from nothing but the handover. */
  private reexec(h: Handover): void {
    const text = marshal(h, this.specs);
    const back = unmarshal(text, this.specs);
    if (!back.ok) this.fail("10", `a handover the core produced does not read back: ${back.error}`);
    if (JSON.stringify(back.handover) !== JSON.stringify(h)) this.fail("10", `handover round trip changed it:\n${JSON.stringify(h)}\n${JSON.stringify(back.handover)}`);
    this.armed.clear(); // timers do not survive an exec
    const old = this.state;
    this.state = initialState(this.settings, this.specs);
    this.model = new Model(this.specs, this.settings);
    this.images.push({ initial: this.state, events: [], results: [] });
    this.trace.push("--- re-exec: new image ---");
    this.feed({ type: "start", at: this.t, handover: back.handover });
    // docs/spec.md ("Live re-exec"): the alive keep pid and start time, the cremated stay cremated, the buried are revived;
    // every server keeps its last exit; the new image knows when the exec was.
    if (this.state.execAt !== this.execAt) this.fail("re-exec", `the exec was at ${this.execAt}, the new image has ${this.state.execAt}`);
    old.servers.forEach((o, i) => {
      const after = this.state.servers.at(i)!;
      if (JSON.stringify(after.lastExit) !== JSON.stringify(o.lastExit)) {
        this.fail("re-exec", `server ${i}'s last exit was ${JSON.stringify(o.lastExit)} before the re-exec and is ${JSON.stringify(after.lastExit)} after it`);
      }
      const n = after.life;
      const ok = o.life.kind === "alive" ? n.kind === "alive" && n.pid === o.life.pid && n.since === o.life.since
        : o.life.kind === "cremated" ? n.kind === "cremated"
        : o.life.kind === "buried" ? this.spawnsSoFar[i]! > o.spawns || this.exitedWith !== null
        : true;
      if (!ok) this.fail("re-exec", `server ${i} was ${o.life.kind} before the re-exec and is ${n.kind} after it`);
    });
  }

  /** After the scenario: shut down and let every process end; the supervisor must exit. */
  private drain(): void {
    this.trace.push("--- drain: terminate, then every process ends ---");
    this.feed({ type: "terminate", at: this.t, signal: SIGTERM });
    for (let round = 0; this.exitedWith === null && round < 1000; round++) {
      const pids = [...this.live.keys()];
      if (pids.length > 0) {
        const pid = pids[0] as number;
        this.feed({ type: "exited", at: this.t, pid, status: { kind: "signal", signal: SIGKILL } }, pid);
        continue;
      }
      const timers = [...this.armed.entries()].sort((a, b) => a[1] - b[1]);
      if (timers.length === 0) break;
      const [timer, at] = timers[0]!;
      this.armed.delete(timer);
      this.t = Math.max(this.t, at);
      this.feed({ type: "timer", at: this.t, timer });
    }
    if (this.exitedWith === null) this.fail("7", "after a shutdown in which every process ended, the supervisor never exited");
    if (this.live.size > 0) this.fail("7", `the supervisor exited with processes still running: ${[...this.live.keys()]}`);
  }

  // --- one step, as the shell runs it ---------------------------------------

  /** One event (and the spawn results it leads to); `ended`: the process that this event reports ended. */
  private feed(event: Event, ended?: number): Effect[] {
    if (this.exitedWith !== null) return [];
    const before = this.state;
    const liveBefore = new Map(this.live);
    if (ended !== undefined) this.live.delete(ended);
    const modelBefore = this.model.kinds().join(",");
    const effects: Effect[] = [];
    this.handle(event, effects);
    this.steps++;
    this.trace.push(`${describe(event)}  →  ${this.state.servers.map((s) => s.life.kind).join(",")}${this.exitedWith === null ? "" : ` exit ${this.exitedWith}`}`);
    this.checkStep(event, before, liveBefore, effects, modelBefore);
    return effects;
  }

  private handle(event: Event, effects: Effect[]): void {
    const image = this.images[this.images.length - 1]!;
    const r = this.stepFn(this.state, event);
    image.events.push(event);
    image.results.push(r);
    this.state = r.state;
    this.model.apply(event);
    for (const e of r.effects) {
      effects.push(e);
      switch (e.type) {
        case "spawn": {
          const i = e.server;
          this.checkArgv(i, e.argv);
          this.spawnsSoFar[i] = (this.spawnsSoFar[i] ?? 0) + 1;
          const failure = this.failNext.get(i) ?? (this.firstFails.has(i) ? "ENOENT" : undefined);
          this.failNext.delete(i);
          this.firstFails.delete(i);
          if (failure !== undefined) {
            this.handle({ type: "spawn-failed", at: event.at, server: i, error: failure }, effects);
          } else {
            const pid = this.nextPid++;
            this.live.set(pid, { server: i, since: event.at });
            this.handle({ type: "spawned", at: event.at, server: i, pid }, effects);
          }
          break;
        }
        case "kill":
          if (!this.live.has(e.pid)) this.fail("2", `signal ${e.signal} sent to pid ${e.pid}, which is not a running process`);
          break;
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
        default:
          break;
      }
    }
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

  private checkStep(event: Event, before: State, liveBefore: Map<number, { server: number; since: number }>, effects: Effect[], modelBefore: string): void {
    const after = this.state;
    const spawned = effects.flatMap((e) => (e.type === "spawn" ? [e.server] : []));
    const exitFx = effects.filter((e) => e.type === "exit");

    // 1. exactly one of the four states (the transient `starting` is resolved within the step)
    after.servers.forEach((s, i) => {
      if (!["unborn", "alive", "buried", "cremated"].includes(s.life.kind)) this.fail("1", `server ${i} is ${s.life.kind} after the step`);
    });

    // 2. alive = latest spawn succeeded and its process not reported ended; pids distinct
    const alive = new Map<number, number>();
    after.servers.forEach((s, i) => {
      if (s.life.kind !== "alive") return;
      if (alive.has(s.life.pid)) this.fail("2", `pid ${s.life.pid} is alive for two servers`);
      alive.set(s.life.pid, i);
      const p = this.live.get(s.life.pid);
      if (p === undefined || p.server !== i) this.fail("2", `server ${i} is alive with pid ${s.life.pid}, but no such process of it runs`);
    });
    for (const [pid, p] of this.live) {
      if (alive.get(pid) !== p.server) this.fail("2", `process ${pid} of server ${p.server} runs, but the core has it ${after.servers.at(p.server)?.life.kind}`);
    }

    // 3. a cremated server is never spawned again (an operator's start/restart of it excepted)
    for (const i of spawned) {
      if (before.servers.at(i)?.life.kind !== "cremated") continue;
      const c = event.type === "control" ? event.command : null;
      const operator = c !== null && (c.op === "start" || c.op === "restart") && c.server === i;
      if (!operator) this.fail("3", `cremated server ${i} was spawned again by ${event.type}`);
    }

    // 4. an abnormal end after >= interval: exactly one respawn in the same step; before: none, buried
    if (event.type === "exited") {
      const p = liveBefore.get(event.pid);
      const b = p === undefined ? undefined : before.servers.at(p.server);
      if (p !== undefined && b?.life.kind === "alive" && b.life.stop === null && before.phase.kind === "running") {
        const i = p.server;
        const interval = this.specs[i]!.intervalMs ?? this.settings.intervalMs;
        // Found ended at a take-over: it died during the exec, at its instant at the earliest (the harness's own record of it).
        const end = event.atTakeover === true && this.execAt !== null ? Math.min(event.at, this.execAt) : event.at;
        const lived = end - b.life.since;
        const mine = spawned.filter((s) => s === i).length;
        if (spawned.some((s) => s !== i)) this.fail("4", `the end of server ${i} spawned another server`);
        if (isCleanExit(event.status)) {
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

    // 7. once shutdown has begun nothing is spawned; every alive server is asked to stop, then killed
    if (before.phase.kind === "stopping" && spawned.length > 0) this.fail("7", `spawned ${JSON.stringify(spawned)} during shutdown`);
    const terminating = event.type === "terminate" || (event.type === "control" && event.command.op === "shutdown");
    if (terminating && before.phase.kind === "running") {
      before.servers.forEach((s, i) => {
        if (s.life.kind !== "alive" || s.life.stop !== null) return;
        const sig = this.specs[i]!.stopSignal ?? SIGTERM;
        const pid = s.life.pid;
        if (!effects.some((e) => e.type === "kill" && e.pid === pid && e.signal === sig && e.group)) this.fail("7", `shutdown did not send its stop signal to server ${i}'s group`);
      });
    }
    if (event.type === "timer" && event.timer.startsWith("stop:")) {
      const i = Number(event.timer.slice(5));
      const b = before.servers.at(i);
      if (b?.life.kind === "alive" && b.life.stop !== null && !b.life.stop.killed && event.at >= b.life.stop.deadline) {
        const pid = b.life.pid;
        if (!effects.some((e) => e.type === "kill" && e.pid === pid && e.signal === SIGKILL)) this.fail("7", `stop timeout of server ${i} fired without SIGKILL`);
      }
    }
    after.servers.forEach((s, i) => {
      if (s.life.kind === "alive" && s.life.stop !== null && !s.life.stop.killed && !this.armed.has(`stop:${i}`)) {
        this.fail("7", `server ${i} is being stopped but no timer will ever SIGKILL it`);
      }
    });

    // 8. exit only when nothing is alive and (outside shutdown) nothing is buried; and then, always
    const kinds = after.servers.map((s) => s.life.kind);
    if (exitFx.length > 0) {
      if (kinds.includes("alive")) this.fail("8", "exited with a server alive");
      const shutdown = before.phase.kind === "stopping" || terminating || (event.type === "timer" && event.timer === "alarm");
      if (!shutdown && (kinds.includes("buried") || kinds.includes("unborn"))) this.fail("8", "exited outside shutdown with a server buried or waiting");
    } else if (after.phase.kind === "running" && kinds.every((k) => k === "cremated")) {
      this.fail("8", "every server is cremated, yet the supervisor does not exit");
    } else if (after.phase.kind === "stopping" && !kinds.includes("alive")) {
      this.fail("8", "shutting down with nothing alive, yet the supervisor does not exit");
    }

    // 9. a report about an unknown pid changes nothing but the log
    if (event.type === "exited" && !liveBefore.has(event.pid)) {
      if (JSON.stringify(after) !== JSON.stringify(before)) this.fail("9", `the end of unknown pid ${event.pid} changed the state`);
      if (effects.some((e) => e.type !== "log")) this.fail("9", `the end of unknown pid ${event.pid} had effects`);
    }

    // 10. the state marshals for a re-exec and reads back the same
    if (after.phase.kind === "running") {
      const h = handoverOf(after, this.t);
      const back = unmarshal(marshal(h, this.specs), this.specs);
      if (!back.ok || JSON.stringify(back.handover) !== JSON.stringify(h)) this.fail("10", "the state does not survive marshal/unmarshal");
    }

    // the reference model agrees on every server's state and on the exit status
    const mk = this.model.kinds().join(",");
    if (mk !== kinds.join(",")) this.fail("model", `after ${event.type} the model says [${mk}] (before [${modelBefore}]), the reducer [${kinds.join(",")}]`);
    if ((this.model.status ?? null) !== (this.exitedWith ?? null)) {
      this.fail("model", `the model exits with ${this.model.status}, the reducer with ${this.exitedWith}`);
    }
  }

  /** 11. the same events give the same states and effects. */
  private checkDeterminism(): void {
    for (const image of this.images) {
      let s = image.initial;
      image.events.forEach((e, k) => {
        const r = this.stepFn(s, e);
        if (JSON.stringify(r) !== JSON.stringify(image.results[k])) this.fail("11", `replaying event ${k} (${e.type}) gave a different result`);
        s = r.state;
      });
    }
  }

  private fail(invariant: string, message: string): never {
    const tail = this.trace.slice(-12).join("\n  ");
    throw new Violation(`invariant ${invariant}: ${message}\n  last steps:\n  ${tail}`);
  }
}

function describe(e: Event): string {
  switch (e.type) {
    case "exited": return `t=${e.at} exited pid ${e.pid} ${JSON.stringify(e.status)}`;
    case "spawned": return `t=${e.at} spawned ${e.server} pid ${e.pid}`;
    case "spawn-failed": return `t=${e.at} spawn-failed ${e.server}`;
    case "timer": return `t=${e.at} timer ${e.timer}`;
    case "control": return `t=${e.at} control ${JSON.stringify(e.command)}`;
    case "terminate": return `t=${e.at} terminate ${e.signal}`;
    case "start": return `t=${e.at} start${e.handover === null ? "" : " (handover)"}`;
    default: return `t=${e.at} ${e.type}`;
  }
}

export function runScenario(sc: Scenario, stepFn: StepFn = step): RunReport {
  return new ScenarioRun(sc, stepFn).run();
}
