// The supervision policy: a pure reducer `step(state, event) → { state, effects }`.
//
// It never reads a clock, spawns, logs or touches the process: every decision
// is made from the event (which carries its own monotonic timestamp) and the
// state, and every consequence is returned as data for the shell to carry out.
//
// The whole policy, server state × event (SPEC sections 3–6), in one table.
// "phase" is the supervisor's: running, or stopping (shutdown / alarm).
// "ivl" is the server's interval; a "stop order" is its stop signal now and
// SIGKILL at its own deadline (timer stop:i), for a shutdown or an operator.
//
//  server state  | event                          | phase    | new state  | effects
//  --------------+--------------------------------+----------+------------+-------------------------------------
//  unborn        | start (autostart)              | booting  | starting   | spawn argv as given
//  starting      | spawned pid                    | any      | alive      | log started (stopping: + stop order)
//  starting      | spawn-failed                   | any      | buried     | log reason, burying
//  alive         | exited clean (0/SIGTERM/INT)   | running  | cremated   | log exited normally
//  alive         | exited abnormal, lived <  ivl  | running  | buried     | log exit, log burying
//  alive         | exited abnormal, lived >= ivl  | running  | starting   | log exit, log respawning, spawn --respawn
//  alive+order   | exited (any)                   | any      | cremated   | log stopped; restart: spawn --respawn
//  alive         | exited (any)                   | stopping | cremated   | log stopped
//  (none)        | exited unknown pid             | any      | -          | log joined with unknown child
//  buried        | revive                         | running  | starting   | spawn --respawn
//  alive         | terminate                      | running  | alive+order| stop signal to its group, arm stop:i
//  alive+order   | timer stop:i                   | any      | alive+order| SIGKILL its group
//  alive         | terminate again / alarm        | stopping | alive+order| SIGKILL its group (alarm: exit 142)
//  any           | info                           | any      | same       | dump
//  alive/buried  | reexec                         | running  | same       | reexec with handover
//  (control commands: see `control`; each is one of the rows above on one server)
//
// After every event the supervisor as a whole is settled (SPEC 6): running with
// nothing alive and nothing buried or waiting to be started → exit 0; running with
// only buried ones → log once that it waits for a revive; stopping with nothing
// alive → exit.
import { spawnArgv } from "./argv.ts";
import { describeExit, seconds, stateWords, unreachable } from "./describe.ts";
import { dumpLines, statusOf } from "./status.ts";
import { isCleanSignal, SIGKILL, SIGTERM, signalName } from "./signals.ts";
import type {
  ControlCommand, Effect, Event, ExitStatus, Handover, Life, LogRecord, Ms, Server, ServerSpec, Settings, State, StepResult, StopOrder,
  TimerName,
} from "./types.ts";

export const ALARM_STATUS = 142;

export function initialState(settings: Settings, specs: readonly ServerSpec[]): State {
  return {
    settings,
    servers: specs.map((spec) => ({ spec, life: { kind: "unborn" }, spawns: 0, lastExit: null })),
    phase: { kind: "booting" },
    pendingRevive: false,
    waitingLogged: false,
    alarmAt: null,
    execAt: null,
  };
}

/** The clean ends of SPEC 4: exit status 0, or death by SIGTERM or SIGINT. */
export function isCleanExit(status: ExitStatus): boolean {
  switch (status.kind) {
    case "code": return status.code === 0;
    case "signal": return isCleanSignal(status.signal);
    case "unknown": return false;
    default: return unreachable(status);
  }
}

export function step(state: State, event: Event): StepResult {
  if (state.phase.kind === "exited") return { state, effects: [] };
  const t = new Transition(state);
  t.apply(event);
  t.settle(event.at);
  return t.result();
}

/** Apply events one after another; for tests and the replay tool. */
export function run(state: State, events: readonly Event[]): { state: State; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const e of events) {
    const r = step(state, e);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

/**
 * One step's worth of changes, accumulated on copies: `step` stays pure because
 * nothing reachable from the input state is ever mutated.
 */
class Transition {
  private servers: Server[];
  private phase: State["phase"];
  private pendingRevive: boolean;
  private waitingLogged: boolean;
  private alarmAt: Ms | null;
  private execAt: Ms | null;
  private readonly effects: Effect[] = [];

  constructor(private readonly before: State) {
    this.servers = before.servers.slice();
    this.phase = before.phase;
    this.pendingRevive = before.pendingRevive;
    this.waitingLogged = before.waitingLogged;
    this.alarmAt = before.alarmAt;
    this.execAt = before.execAt;
  }

  result(): StepResult {
    return {
      state: {
        settings: this.before.settings,
        servers: this.servers,
        phase: this.phase,
        pendingRevive: this.pendingRevive,
        waitingLogged: this.waitingLogged,
        alarmAt: this.alarmAt,
        execAt: this.execAt,
      },
      effects: this.effects,
    };
  }

  private get settings(): Settings {
    return this.before.settings;
  }

  apply(event: Event): void {
    switch (event.type) {
      case "start":
        for (const note of event.notes ?? []) this.log({ event: "note", text: note });
        return this.start(event.at, event.handover, event.version ?? "");
      case "spawned": return this.spawned(event.at, event.server, event.pid);
      case "spawn-failed": return this.spawnFailed(event.at, event.server, event.error);
      case "exited": return this.exited(event.at, event.pid, event.status, event.atTakeover === true);
      case "revive": return this.revive(event.at, "revive signal received.");
      case "terminate": return this.terminate(event.at, signalName(event.signal));
      case "timer": return this.timer(event.at, event.timer);
      case "info": return this.info(event.at);
      case "stray-signal":
        return this.log({ event: "ignored", signal: signalName(event.signal), text: `signal ${event.signal} (${signalName(event.signal)}) received, ignored.` });
      case "reexec": return this.reexec(event.at);
      case "reexec-failed":
        return this.log({ event: "reexec-failed", text: `re-exec failed: ${event.error}; still running the old image.` });
      case "log-dropped":
        return this.log({
          event: "log-dropped", dropped: { log: event.log, output: event.output },
          text: `${lines(event.log)}${event.output > 0 ? ` of lazarus's log and ${lines(event.output)} of server output` : ""} could not be written ` +
            "and were dropped: the reader of lazarus's output did not keep up.",
        });
      case "problem": return this.log({ event: "problem", text: event.text });
      case "control": return this.control(event.at, event.id, event.command);
      default: return unreachable(event);
    }
  }

  // --- events -------------------------------------------------------------

  private start(at: Ms, handover: Handover | null, version: string): void {
    if (this.phase.kind !== "booting") {
      this.log({ event: "ignored", text: "start event after start, ignored." });
      return;
    }
    this.phase = { kind: "running" };
    const who = version === "" ? "lazarus" : `lazarus ${version}`;
    const n = this.servers.length;
    if (handover === null) {
      this.log({ event: "start", text: `${who} started, supervising ${n} server${n === 1 ? "" : "s"}.` });
      this.alarmAt = this.settings.alarmMs > 0 ? at + this.settings.alarmMs : null;
      for (let i = 0; i < this.servers.length; i++) {
        if (this.server(i).spec.autostart !== false) this.spawn(i);
      }
    } else {
      this.alarmAt = handover.alarmAt;
      this.execAt = handover.execAt;
      this.resume(at, handover, who);
    }
    if (this.alarmAt !== null) this.effects.push({ type: "arm", timer: "alarm", at: this.alarmAt });
  }

  /** The new image after a re-exec takes over what the old one handed across (SPEC 7). */
  private resume(at: Ms, handover: Handover, who: string): void {
    this.pendingRevive = this.pendingRevive || handover.pendingRevive;
    let adopted = 0;
    for (let i = 0; i < this.servers.length; i++) {
      const h = handover.servers[i];
      const s = this.server(i);
      if (h === undefined) {
        this.setLife(i, { kind: "cremated", since: at, why: "invalid-state" });
        this.log({ event: "invalid-state", server: i, text: `'${label(s)}' has no re-exec state, cremating.` });
        continue;
      }
      this.servers[i] = { ...s, spawns: h.spawns, lastExit: h.lastExit };
      switch (h.kind) {
        case "unborn":
          if (s.spec.autostart !== false) this.spawn(i);
          break;
        case "alive":
          this.setLife(i, { kind: "alive", pid: h.pid, since: h.since, stop: h.stop });
          this.effects.push({ type: "adopt", server: i, pid: h.pid });
          // A stop in progress goes on: its SIGKILL deadline is re-armed in the new image.
          if (h.stop !== null && !h.stop.killed) this.effects.push({ type: "arm", timer: stopTimer(i), at: h.stop.deadline });
          adopted++;
          break;
        case "buried":
          // A re-exec revives the buried (as mds-respawn did).
          this.setLife(i, { kind: "buried", since: h.since, why: h.why });
          this.spawn(i);
          break;
        case "cremated":
          this.setLife(i, { kind: "cremated", since: h.since, why: h.why });
          break;
        case "invalid":
          this.setLife(i, { kind: "cremated", since: at, why: "invalid-state" });
          this.log({ event: "invalid-state", server: i, text: `'${label(s)}' has invalid re-exec state (${h.reason}), cremating.` });
          break;
        default:
          unreachable(h);
      }
    }
    this.log({ event: "reexec-done", text: `re-exec complete: ${who} running, adopted ${adopted} running server${adopted === 1 ? "" : "s"}.` });
  }

  private spawned(at: Ms, i: number, pid: number): void {
    const s = this.servers[i];
    if (s === undefined || s.life.kind !== "starting") {
      this.log({ event: "unexpected", pid, text: `unexpected spawn report for server ${i} (pid ${pid}), ignored.` });
      return;
    }
    this.setLife(i, { kind: "alive", pid, since: at, stop: null });
    this.log({ event: "spawned", server: i, pid, from: "starting", to: "alive", text: `'${label(s)}' started with pid ${pid}.` });
    if (this.phase.kind === "stopping") {
      if (this.phase.killed) this.kill(i, SIGKILL);
      else this.order(i, at, "cremate");
    }
  }

  private spawnFailed(at: Ms, i: number, error: string): void {
    const s = this.servers[i];
    if (s === undefined || s.life.kind !== "starting") {
      this.log({ event: "unexpected", text: `unexpected spawn failure for server ${i}, ignored.` });
      return;
    }
    this.setLife(i, { kind: "buried", since: at, why: "spawn-failed" });
    this.log({ event: "spawn-failed", server: i, from: "starting", to: "buried", text: `could not spawn '${label(s)}': ${error}; burying.` });
  }

  private exited(at: Ms, pid: number, status: ExitStatus, atTakeover: boolean): void {
    const i = this.servers.findIndex((s) => s.life.kind === "alive" && s.life.pid === pid);
    const s = this.servers[i];
    if (s === undefined || s.life.kind !== "alive") {
      this.log({ event: "unknown-child", pid, text: `joined with unknown child process: ${pid}` });
      return;
    }
    const life = s.life;
    this.servers[i] = { ...s, lastExit: status };
    const x = label(s);
    const exitFields = { server: i, pid, ...statusFields(status) };
    const clean = isCleanExit(status);
    if (!clean) this.log({ event: "exit", ...exitFields, text: `'${x}' ${describeExit(status)}.` });

    if (life.stop !== null || this.phase.kind === "stopping") {
      // Stopped on purpose (shutdown or an operator): never a crash, whatever the status.
      if (life.stop !== null) this.effects.push({ type: "disarm", timer: stopTimer(i) });
      this.effects.push({ type: "kill-remnants", server: i, pgid: pid, signal: SIGKILL });
      this.setLife(i, { kind: "cremated", since: at, why: "stopped" });
      this.log({ event: "stopped", ...exitFields, from: "alive", to: "cremated", text: clean
        ? `child process '${x}' exited normally, cremating.`
        : `'${x}' stopped, cremating.` });
      if (life.stop?.then === "start") this.spawn(i);
      return;
    }
    // What is left of its process group (helpers it started) goes with it, as systemd's
    // control-group kill does: asked to stop (SIGTERM) here; killed if lazarus itself ends.
    this.effects.push({ type: "kill-remnants", server: i, pgid: pid, signal: SIGTERM });
    if (clean) {
      this.setLife(i, { kind: "cremated", since: at, why: "clean-exit" });
      this.log({ event: "cremated", ...exitFields, from: "alive", to: "cremated", text: `child process '${x}' exited normally, cremating.` });
      return;
    }
    // A child found ended at the take-over died during the exec: at the exec instant at the earliest.
    const end = atTakeover && this.execAt !== null ? Math.min(at, this.execAt) : at;
    const lived = end - life.since;
    if (lived < (s.spec.intervalMs ?? this.settings.intervalMs)) {
      this.setLife(i, { kind: "buried", since: at, why: "crash-loop" });
      this.log({ event: "buried", ...exitFields, from: "alive", to: "buried", text: `'${x}' died abnormally, burying because it died too fast.` });
      return;
    }
    this.log({ event: "respawn", ...exitFields, from: "alive", to: "starting", text: `'${x}' died abnormally, respawning.` });
    this.spawnNow(i);
  }

  private revive(at: Ms, text: string): void {
    if (this.phase.kind === "booting") {
      this.pendingRevive = true;
      this.log({ event: "revive", text: `${text} (pending until the servers are started)` });
      return;
    }
    this.log({ event: "revive", text });
    if (this.phase.kind !== "running") {
      this.log({ event: "ignored", text: "revive ignored: shutting down." });
      return;
    }
    this.pendingRevive = false;
    for (let i = 0; i < this.servers.length; i++) {
      if (this.server(i).life.kind === "buried") this.spawn(i);
    }
    void at;
  }

  private terminate(at: Ms, signal: string): void {
    switch (this.phase.kind) {
      case "booting":
      case "running":
        this.log({ event: "terminate", signal, text: "terminate signal received." });
        this.phase = { kind: "stopping", status: 0, killed: false };
        // Every alive server gets a stop order: its stop signal now, SIGKILL at its own deadline.
        for (let i = 0; i < this.servers.length; i++) this.order(i, at, "cremate");
        return;
      case "stopping":
        this.log({ event: "terminate", signal, text: "terminate signal received again, not waiting any longer." });
        this.killEverything(this.phase.status);
        return;
      case "exited":
        return;
      default:
        return unreachable(this.phase);
    }
  }

  private timer(at: Ms, timer: TimerName): void {
    if (timer === "alarm") {
      // A timer that fires although it was never armed changes nothing; one that fires early is armed again.
      if (this.alarmAt === null) return;
      if (at < this.alarmAt) {
        this.effects.push({ type: "arm", timer: "alarm", at: this.alarmAt });
        return;
      }
      this.log({ event: "alarm", text: "alarm: forced abort, killing every server." });
      this.alarmAt = null;
      this.killEverything(ALARM_STATUS);
      return;
    }
    const i = Number(timer.slice("stop:".length));
    const s = this.servers[i];
    if (s === undefined || s.life.kind !== "alive" || s.life.stop === null || s.life.stop.killed) return;
    if (at < s.life.stop.deadline) {
      this.effects.push({ type: "arm", timer, at: s.life.stop.deadline });
      return;
    }
    this.log({ event: "stop-timeout", server: i, pid: s.life.pid, text: `'${label(s)}' did not stop within ${seconds(this.stopTimeoutOf(s))} s, killing it.` });
    this.setLife(i, { ...s.life, stop: { ...s.life.stop, killed: true } });
    this.kill(i, SIGKILL);
  }

  private reexec(at: Ms): void {
    if (this.phase.kind !== "running") {
      this.log({ event: "ignored", text: "re-exec signal received, ignored: not running." });
      return;
    }
    this.log({ event: "reexec", text: "re-exec signal received." });
    this.effects.push({ type: "reexec", handover: handoverOf(this.snapshot(), at) });
  }

  private info(at: Ms): void {
    for (const line of dumpLines(statusOf(this.snapshot(), at))) this.log({ event: "info", text: `info: ${line}` });
  }

  private control(at: Ms, id: number, c: ControlCommand): void {
    const reply = (ok: boolean, message: string): void => {
      this.effects.push({ type: "reply", id, ok, message });
    };
    if (c.op === "shutdown") {
      reply(true, this.phase.kind === "stopping" ? "already shutting down" : "shutting down");
      this.terminate(at, "control");
      return;
    }
    if (this.phase.kind !== "running") return reply(false, `refused: supervisor is ${this.phase.kind}`);
    if (c.op === "revive" && c.server === null) {
      const n = this.servers.filter((s) => s.life.kind === "buried").length;
      this.revive(at, "revive requested.");
      return reply(true, `revived ${n} server${n === 1 ? "" : "s"}`);
    }
    const i = c.server;
    const s = i === null ? undefined : this.servers[i];
    if (i === null || s === undefined) return reply(false, `no such server: ${i}`);
    const x = s.spec.name;
    const life = s.life;
    switch (c.op) {
      case "revive":
        if (life.kind !== "buried") return reply(false, `${x} is not buried (${stateWords(life.kind)})`);
        this.log({ event: "revive", server: i, text: `revive of '${label(s)}' requested.` });
        this.spawn(i);
        return reply(true, `revived ${x}`);
      case "start":
        if (life.kind === "alive" || life.kind === "starting") {
          if (life.kind === "alive" && life.stop !== null) {
            this.setLife(i, { ...life, stop: { ...life.stop, then: "start" } });
            return reply(true, `${x} will start again once stopped`);
          }
          return reply(false, `${x} is already running`);
        }
        this.log({ event: "start", server: i, text: `start of '${label(s)}' requested.` });
        this.spawn(i);
        return reply(true, `started ${x}`);
      case "stop":
      case "restart": {
        const then = c.op === "stop" ? "cremate" : "start";
        if (life.kind === "alive") {
          this.log({ event: c.op, server: i, pid: life.pid, text: `${c.op} of '${label(s)}' requested.` });
          this.order(i, at, then);
          return reply(true, c.op === "stop" ? `stopping ${x}` : `restarting ${x}`);
        }
        if (c.op === "restart") {
          this.log({ event: "start", server: i, text: `restart of '${label(s)}' requested.` });
          this.spawn(i);
          return reply(true, `started ${x}`);
        }
        if (life.kind === "cremated") return reply(true, `${x} is already stopped`);
        this.setLife(i, { kind: "cremated", since: at, why: "stopped" });
        this.log({ event: "stopped", server: i, from: life.kind, to: "cremated", text: `'${label(s)}' stopped, cremating.` });
        return reply(true, `stopped ${x}`);
      }
      case "signal":
        if (life.kind !== "alive") return reply(false, `${x} is not running`);
        this.log({ event: "signal", server: i, pid: life.pid, signal: signalName(c.signal), text: `sending ${signalName(c.signal)} to '${label(s)}' (pid ${life.pid}).` });
        this.effects.push({ type: "kill", server: i, pid: life.pid, signal: c.signal, group: false });
        return reply(true, `sent ${signalName(c.signal)} to ${x}`);
      default:
        return unreachable(c);
    }
  }

  /**
   * SPEC 6: after every event, exit when nothing is left, or say once that we
   * wait for a revive. A revive that arrived before supervision began (pending)
   * is carried out here, once no spawn of the start is still in flight.
   */
  settle(at: Ms): void {
    if (this.phase.kind === "running" && this.pendingRevive && !this.servers.some((s) => s.life.kind === "starting")) {
      this.revive(at, "pending revive carried out.");
    }
    // One pass, no allocation: this runs after every event (measured hot in bench/).
    let living = false;
    let buried = false; // buried servers wait for a revive, unborn ones (autostart off) for an operator's start
    let anyBuried = false;
    for (const s of this.servers) {
      const k = s.life.kind;
      if (k === "alive" || k === "starting") {
        living = true;
        break;
      }
      if (k === "buried") anyBuried = true;
      if (k === "buried" || k === "unborn") buried = true;
    }
    switch (this.phase.kind) {
      case "booting":
      case "exited":
        return;
      case "running":
        if (living) {
          this.waitingLogged = false;
        } else if (!buried) {
          this.log({ event: "exit", text: "every server is cremated, exiting." });
          this.exit(0);
        } else if (!this.waitingLogged) {
          this.waitingLogged = true;
          this.log(anyBuried
            ? { event: "waiting", text: "every remaining server is buried, waiting for a revive (SIGUSR2)." }
            : { event: "waiting", text: "every remaining server waits to be started (ctl start)." });
        }
        return;
      case "stopping":
        if (!living) this.exit(this.phase.status);
        return;
      default:
        return unreachable(this.phase);
    }
  }

  // --- helpers ------------------------------------------------------------

  private exit(status: number): void {
    if (this.alarmAt !== null) this.effects.push({ type: "disarm", timer: "alarm" });
    this.alarmAt = null;
    this.log({ event: "exiting", code: status, text: `exiting with status ${status}.` });
    this.phase = { kind: "exited", status };
    this.effects.push({ type: "exit", status });
  }

  /** SIGKILL every alive server at once (second terminate, alarm); exit with `status` once all ended. */
  private killEverything(status: number): void {
    if (this.phase.kind === "stopping" && this.phase.killed && this.phase.status === status) return;
    this.phase = { kind: "stopping", status, killed: true };
    for (let i = 0; i < this.servers.length; i++) {
      const life = this.server(i).life;
      if (life.kind !== "alive") continue;
      if (life.stop !== null && life.stop.killed) continue;
      const deadline = life.stop?.deadline ?? 0;
      this.setLife(i, { ...life, stop: { deadline, killed: true, then: "cremate" } });
      this.kill(i, SIGKILL);
    }
  }

  /**
   * Give alive server i a stop order: its stop signal now and SIGKILL at its
   * deadline (timer stop:i). An order already given keeps its deadline; only
   * what follows the stop (`then`) changes.
   */
  private order(i: number, at: Ms, then: StopOrder["then"]): void {
    const s = this.server(i);
    const life = s.life;
    if (life.kind !== "alive") return;
    if (life.stop !== null) {
      this.setLife(i, { ...life, stop: { ...life.stop, then } });
      return;
    }
    const deadline = at + this.stopTimeoutOf(s);
    this.setLife(i, { ...life, stop: { deadline, killed: false, then } });
    this.kill(i, s.spec.stopSignal ?? SIGTERM);
    this.effects.push({ type: "arm", timer: stopTimer(i), at: deadline });
  }

  private stopTimeoutOf(s: Server): Ms {
    return s.spec.stopTimeoutMs ?? this.settings.stopTimeoutMs;
  }

  private kill(i: number, signal: number): void {
    const life = this.server(i).life;
    if (life.kind !== "alive") return;
    this.effects.push({ type: "kill", server: i, pid: life.pid, signal, group: true });
  }

  /** Emit the spawn of server i (never during shutdown, never of one that is alive or starting). */
  private spawn(i: number): void {
    const kind = this.server(i).life.kind;
    if (kind === "alive" || kind === "starting") return;
    this.spawnNow(i);
  }

  /** Spawn server i, whose process (if any) has just been reported ended. */
  private spawnNow(i: number): void {
    if (this.phase.kind !== "running") return;
    const s = this.server(i);
    const argv = spawnArgv(s.spec, s.spawns);
    this.servers[i] = { ...s, life: { kind: "starting" }, spawns: s.spawns + 1 };
    this.effects.push({ type: "spawn", server: i, argv });
  }

  private setLife(i: number, life: Life): void {
    this.servers[i] = { ...this.server(i), life };
  }

  private server(i: number): Server {
    const s = this.servers[i];
    if (s === undefined) throw new RangeError(`no server ${i}`);
    return s;
  }

  private log(record: Omit<LogRecord, "name"> & { server?: number }): void {
    const name = record.server === undefined ? undefined : this.servers[record.server]?.spec.name;
    this.effects.push({ type: "log", record: name === undefined ? record : { ...record, name } });
  }

  private snapshot(): State {
    return this.result().state;
  }
}

/** X of the SPEC 4 log lines: the command word as written, or the server's label. */
function label(s: Server): string {
  return s.spec.label ?? s.spec.argv[0] ?? s.spec.name;
}

function stopTimer(i: number): TimerName {
  return `stop:${i}`;
}

function statusFields(status: ExitStatus): { code?: number; signal?: string } {
  switch (status.kind) {
    case "code": return { code: status.code };
    case "signal": return { signal: signalName(status.signal) };
    case "unknown": return {};
    default: return unreachable(status);
  }
}

/** "1 line", "3 lines". */
function lines(n: number): string {
  return `${n} line${n === 1 ? "" : "s"}`;
}

/** What a re-exec at `execAt` hands across: every server's life in the handover's terms. */
export function handoverOf(state: State, execAt: Ms | null): Handover {
  return {
    pendingRevive: state.pendingRevive,
    alarmAt: state.alarmAt,
    execAt,
    servers: state.servers.map((s) => {
      const l = s.life;
      const common = { spawns: s.spawns, lastExit: s.lastExit };
      switch (l.kind) {
        case "unborn":
        case "starting":
          return { kind: "unborn", ...common };
        case "alive":
          return { kind: "alive", ...common, pid: l.pid, since: l.since, stop: l.stop };
        case "buried":
          return { kind: "buried", ...common, since: l.since, why: l.why };
        case "cremated":
          return { kind: "cremated", ...common, since: l.since, why: l.why };
        default:
          return unreachable(l);
      }
    }),
  };
}
