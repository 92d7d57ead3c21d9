// The supervision policy: a pure reducer `step(state, event) → { state, effects }`.
//
// It never reads a clock, spawns, logs or touches the process: every decision
// is made from the event (which carries its own monotonic timestamp) and the
// state, and every consequence is returned as data for the shell to carry out.
//
// What happens to one server is the transition table of table.ts (situation ×
// input → action); this file turns events into inputs for the servers they
// concern, and keeps what belongs to the supervisor as a whole: its phase
// (booting, running, stopping, exited), the alarm, a pending revive, the
// take-over after a re-exec, and settling after every event (docs/spec.md,
// "Lifetime and shutdown"): running with nothing alive and nothing buried or
// waiting to be started → exit 0; running with only buried ones → say once
// that it waits for a revive; stopping with nothing alive → exit.
import { spawnArgv } from "./argv.ts";
import { unreadyDependencies, waitingInVain } from "./deps.ts";
import { isCurrent, keepsOldProcess, oldProcessOf, reconfigure, sameField, summaryText, targetSpec } from "./reconfigure.ts";
import { rollProgress } from "./roll.ts";
import { seconds, unreachable } from "./describe.ts";
import { classifyEnd, isCleanExit } from "./exits.ts";
import * as say from "./records.ts";
import { dumpLines, statusOf } from "./status.ts";
import { SIGKILL, signalName } from "./signals.ts";
import { type Act, decide, type Detail, type Input, READY_POLL_MS, type Reply } from "./table.ts";
import type {
  Census, ControlCommand, Effect, Event, ExitStatus, Handover, HandoverServer, Leftover, Life, LifeKind, LogRecord, Ms, Phase, Roll, Server, ServerSpec, Settings,
  Signal, State, StepResult, TimerName,
} from "./types.ts";
import { Vec } from "./vec.ts";

export const ALARM_STATUS = 142;

/** The longest a readiness probe may take (one attempt; it is tried again every READY_POLL_MS). */
export const READY_PROBE_TIMEOUT_MS = 2000;

/**
 * At most this many ended servers' groups wait for their SIGKILL (State.leftovers): one more carries out the earliest
 * at once (sooner than its stop timeout), so that a crash loop, however fast, never piles helpers up.
 */
export const MAX_LEFTOVERS = 64;

export { isCleanExit };

const NOBODY: Census = { unborn: 0, waiting: 0, starting: 0, alive: 0, backoff: 0, buried: 0, cremated: 0 };

/** A server before anything happened to it. */
export function newServer(spec: ServerSpec): Server {
  return { spec, life: { kind: "unborn" }, spawns: 0, lastExit: null, retries: 0, healthFails: 0, probing: false, note: null, watchdogAt: null };
}

/** Who depends on each server: the reverse of the specs' dependsOn (a server's pending spec, after a reload, counts). */
export function dependentsOf(specs: readonly ServerSpec[]): number[][] {
  const out: number[][] = specs.map(() => []);
  specs.forEach((s, i) => { for (const d of s.dependsOn ?? []) out[d]?.push(i); });
  return out;
}

export function initialState(settings: Settings, specs: readonly ServerSpec[]): State {
  return {
    settings,
    servers: Vec.of(specs.map(newServer)),
    census: { ...NOBODY, unborn: specs.length },
    dependents: dependentsOf(specs),
    systemd: { ready: false, status: "" },
    phase: { kind: "booting" },
    pendingRevive: false,
    pendingReexec: false,
    waitingLogged: false,
    alarmAt: null,
    execAt: null,
    leftovers: [],
  };
}

export function step(state: State, event: Event): StepResult {
  if (state.phase.kind === "exited") return { state, effects: [] };
  const t = new Transition(state, event.at);
  t.apply(event);
  t.settle();
  return t.result();
}

export function stopTimer(i: number): TimerName {
  return `stop:${i}`;
}

/** A server's timers, by kind. */
export function timerOf(kind: "stop" | "probe" | "ready" | "watchdog" | "backoff", i: number): TimerName {
  return `${kind}:${i}`;
}

/**
 * One step's worth of changes, on copies: `step` stays pure because nothing
 * reachable from the input state is ever changed (the servers are a persistent
 * vector: replacing one copies its chunk, not the list).
 */
class Transition {
  // (`declare`d, and set in the constructor only: no class-field initializer runs per step.)
  private declare readonly before: State;
  private declare readonly at: Ms;
  private declare servers: Vec<Server>;
  private declare census: Record<LifeKind, number>;
  private declare phase: Phase;
  private declare pendingRevive: boolean;
  private declare pendingReexec: boolean;
  private declare waitingLogged: boolean;
  private declare alarmAt: Ms | null;
  private declare execAt: Ms | null;
  private declare systemd: State["systemd"];
  private declare roll: Roll | undefined;
  private declare leftovers: readonly Leftover[];
  private declare settings: Settings;
  private declare dependents: State["dependents"];
  private declare readonly effects: Effect[];
  /** Where this step's first spawn is in `effects` (-1: none yet): a signal asked for later goes before it (see effect). */
  private declare firstSpawn: number;
  /** Some server's life changed in this step (settle's loops over the servers are needed only then). */
  private declare lifeChanged: boolean;
  private declare spareAct: ServerAct | null;

  constructor(before: State, at: Ms) {
    this.before = before;
    this.at = at;
    this.effects = [];
    this.firstSpawn = -1;
    this.lifeChanged = false;
    this.spareAct = null;
    this.settings = before.settings;
    this.dependents = before.dependents;
    // One working copy of the servers for the whole step (vec.ts): frozen in snapshot().
    this.servers = before.servers.transient();
    const c = before.census;
    this.census = { unborn: c.unborn, waiting: c.waiting, starting: c.starting, alive: c.alive, backoff: c.backoff, buried: c.buried, cremated: c.cremated };
    this.phase = before.phase;
    this.pendingRevive = before.pendingRevive;
    this.pendingReexec = before.pendingReexec;
    this.waitingLogged = before.waitingLogged;
    this.alarmAt = before.alarmAt;
    this.execAt = before.execAt;
    this.systemd = before.systemd;
    this.roll = before.roll;
    this.leftovers = before.leftovers;
  }

  result(): StepResult {
    return { state: this.snapshot(), effects: this.effects };
  }

  private snapshot(): State {
    const state: State = {
      settings: this.settings,
      // Frozen: the state handed out never changes (a later set in this step copies again).
      servers: this.servers.freeze(),
      census: this.census,
      phase: this.phase,
      pendingRevive: this.pendingRevive,
      pendingReexec: this.pendingReexec,
      waitingLogged: this.waitingLogged,
      alarmAt: this.alarmAt,
      execAt: this.execAt,
      dependents: this.dependents,
      systemd: this.systemd,
      leftovers: this.leftovers,
    };
    // (No spread for the rare rolling restart: the common state is one plain object.)
    if (this.roll !== undefined) (state as { roll?: Roll }).roll = this.roll;
    return state;
  }

  apply(event: Event): void {
    switch (event.type) {
      case "start":
        for (const note of event.notes ?? []) this.log(say.supervisor.note(note));
        return this.start(event.handover, event.version ?? "");
      case "spawned": return this.spawnResult(event.server, "spawned", { pid: event.pid });
      case "spawn-failed": return this.spawnResult(event.server, event.short === true ? "spawn-short" : "spawn-failed", { error: event.error });
      case "exited": return this.exited(event.pid, event.status, event.atTakeover === true, event.server);
      case "revive": return this.revive(say.supervisor.reviveSignal());
      case "terminate": return this.terminate(signalName(event.signal));
      case "timer": return this.timer(event.timer);
      case "info":
        for (const line of dumpLines(statusOf(this.snapshot(), this.at))) this.log(say.supervisor.info(line));
        return;
      case "stray-signal": return this.log(say.supervisor.stray(event.signal));
      case "reexec": return this.reexec(event.again === true);
      case "reexec-failed": return this.log(say.supervisor.reexecFailed(event.error));
      case "log-dropped": return this.log(say.supervisor.logDropped(event.log, event.output));
      case "problem": return this.log(say.supervisor.problem(event.text));
      case "log-file-failing": return this.log(say.supervisor.logFileFailing(event.path, event.reason));
      case "log-file-resumed": return this.log(say.supervisor.logFileResumed(event.path, event.dropped));
      case "probe-result": return this.probeResult(event.server, event.pid, event.purpose, event.ok, event.reason);
      case "probe-interrupted": return this.probeInterrupted(event.server, event.pid, event.purpose);
      case "notify": return this.notify(event.pid, event.ready, event.watchdog, event.status, event.trigger === true);
      case "output-match": return this.outputMatch(event.pid);
      case "control": return this.control(event.id, event.command);
      case "reconfigure": return this.reconfigure(event.id, event.settings, event.servers, event.scale);
      case "reload-failed":
        this.log(say.supervisor.reloadFailed(event.error));
        if (event.id !== null) this.effects.push({ type: "reply", id: event.id, ok: false, message: event.error });
        return;
      default: return unreachable(event);
    }
  }

  // --- the supervisor's events -------------------------------------------------------

  private start(handover: Handover | null, version: string): void {
    if (this.phase.kind !== "booting") {
      this.log(say.supervisor.startAgain());
      return;
    }
    this.phase = { kind: "running" };
    const who = version === "" ? "lazarus" : `lazarus ${version}`;
    if (handover === null) {
      this.log(say.supervisor.started(who, this.servers.length));
      this.alarmAt = this.settings.alarmMs > 0 ? this.at + this.settings.alarmMs : null;
      for (let i = 0; i < this.servers.length; i++) {
        if (this.server(i).spec.autostart !== false) this.input(i, "autostart");
      }
    } else {
      this.alarmAt = handover.alarmAt;
      this.execAt = handover.execAt;
      this.systemd = { ...this.systemd, ready: handover.systemdReady ?? false };
      this.takeOver(handover, who);
    }
    if (this.alarmAt !== null) this.effects.push({ type: "arm", timer: "alarm", at: this.alarmAt });
    const wd = this.settings.systemd?.watchdogMs ?? null;
    if (wd !== null) this.effects.push({ type: "arm", timer: "sd-watchdog", at: this.at + wd / 2 });
  }

  /** The new image after a re-exec takes over what the old one handed across (docs/spec.md, "Live re-exec"). */
  private takeOver(handover: Handover, who: string): void {
    this.pendingRevive = this.pendingRevive || handover.pendingRevive;
    let adopted = 0;
    for (let i = 0; i < this.servers.length; i++) {
      const h = handover.servers[i];
      const s = this.server(i);
      if (h === undefined) {
        this.setLife(i, { kind: "cremated", since: this.at, why: "invalid-state" });
        this.log(say.server.noHandover(i, s));
        continue;
      }
      this.servers = this.servers.set(i, { ...s, spawns: h.spawns, lastExit: h.lastExit, retries: h.retries ?? 0 });
      switch (h.kind) {
        case "unborn":
          if (s.spec.autostart !== false) this.input(i, "autostart");
          break;
        case "waiting":
          this.input(i, "autostart");
          break;
        case "alive": {
          // It kept its old process with the configuration's spec pending (a rolling reload's copy not replaced): so it
          // does here, its process under the spec it runs (its stop signal, interval, health checks; what the status
          // shows; what a reload compares), its next start under the configuration's.
          const runs = h.stop === null ? h.runs : undefined;
          this.setLife(i, { kind: "alive", pid: h.pid, since: h.since, stop: h.stop, ready: (h.ready ?? true) || (runs ?? s.spec).ready === undefined });
          if (runs !== undefined) this.setServer(i, { ...this.server(i), spec: runs, next: s.spec });
          this.effects.push({ type: "adopt", server: i, pid: h.pid });
          // A stop in progress goes on: its SIGKILL deadline is armed again in the new image.
          if (h.stop !== null && !h.stop.killed) this.effects.push({ type: "arm", timer: stopTimer(i), at: h.stop.deadline });
          // Its checks go on: readiness (and its deadline), or health and a fresh watchdog window.
          if (h.stop === null) this.resumeChecks(i);
          adopted++;
          break;
        }
        case "backoff":
          this.setLife(i, { kind: "backoff", since: h.since, until: h.until });
          this.effects.push({ type: "arm", timer: timerOf("backoff", i), at: h.until });
          break;
        case "buried":
          // A re-exec revives the buried (as mds-respawn did).
          this.setLife(i, { kind: "buried", since: h.since, why: h.why });
          this.input(i, "revive");
          break;
        case "cremated":
          this.setLife(i, { kind: "cremated", since: h.since, why: h.why });
          break;
        case "invalid":
          this.setLife(i, { kind: "cremated", since: this.at, why: "invalid-state" });
          this.log(say.server.badHandover(i, s, h.reason));
          break;
        default:
          unreachable(h);
      }
    }
    this.log(say.supervisor.resumed(who, adopted));
  }

  private spawnResult(i: number, input: "spawned" | "spawn-failed" | "spawn-short", detail: Detail): void {
    // A pid handed out again is no group's id any more: what was left of that group is gone (its deadline would hit the new process's).
    if (input === "spawned") this.forgetLeftover(detail.pid as number);
    if (this.servers.at(i)?.life.kind !== "starting") {
      this.log(input === "spawned" ? say.supervisor.unexpectedSpawned(i, detail.pid as number) : say.supervisor.unexpectedSpawnFailed(i));
      return;
    }
    this.input(i, input, detail);
    // A reload (or the end of a rolling restart) came while its spawn's result was on its way: now that it runs, it is
    // stopped (removed) or restarted (changed); a removed one that could not be started is forgotten.
    const s = this.server(i);
    if (s.retired === true && (s.life.kind === "buried" || s.life.kind === "backoff" || (s.life.kind === "alive" && s.life.stop === null))) {
      // A rolling restart's new process given up while it started: its copy (the same name) is still a server.
      const givenUp = this.servers.some((x, j) => j !== i && x.retired !== true && x.spec.name === s.spec.name);
      this.input(i, "remove", { givenUp });
    }
    else if (s.next !== undefined && s.life.kind === "alive" && s.life.stop === null) this.input(i, "change");
  }

  private exited(pid: number, status: ExitStatus, atTakeover: boolean, hint: number | undefined): void {
    const i = this.serverOfPid(pid, hint);
    const s = this.servers.at(i);
    if (s === undefined || s.life.kind !== "alive") {
      this.log(say.supervisor.unknownChild(pid));
      return;
    }
    // A child found ended at the take-over died during the exec: at the exec instant at the earliest.
    const end = atTakeover && this.execAt !== null ? Math.min(this.at, this.execAt) : this.at;
    const interval = s.spec.intervalMs ?? this.settings.intervalMs;
    const lived = end - s.life.since;
    this.servers = this.servers.set(i, withReload(s, {
      spec: s.spec, life: s.life, spawns: s.spawns, lastExit: status, retries: s.retries, healthFails: s.healthFails, probing: s.probing,
      note: s.note, watchdogAt: s.watchdogAt,
    }));
    this.input(i, classifyEnd(status, lived, interval, s.spec.restart), { status, lived });
  }

  /** After a take-over: the checks of an adopted server go on where they were. */
  private resumeChecks(i: number): void {
    const s = this.server(i);
    if (s.life.kind !== "alive") return;
    const arm = (kind: "probe" | "ready" | "watchdog", at: Ms) => this.effects.push({ type: "arm", timer: timerOf(kind, i), at });
    if (!s.life.ready) {
      const r = s.spec.ready;
      if (r !== undefined && r.kind !== "notify" && r.kind !== "log") arm("probe", this.at + READY_POLL_MS);
      if (s.spec.readyTimeoutMs !== undefined) arm("ready", s.life.since + s.spec.readyTimeoutMs);
      return;
    }
    if (s.spec.health !== undefined) arm("probe", this.at + s.spec.health.intervalMs);
    if (s.spec.watchdogMs !== undefined) {
      this.servers = this.servers.set(i, { ...s, watchdogAt: this.at + s.spec.watchdogMs });
      arm("watchdog", this.at + s.spec.watchdogMs);
    }
  }

  /** A probe's answer: readiness (ready, or try again soon), or health (a failure streak makes it unhealthy). */
  private probeResult(i: number, pid: number, purpose: "ready" | "health", ok: boolean, reason: string): void {
    const s = this.servers.at(i);
    if (s === undefined || s.life.kind !== "alive" || s.life.pid !== pid || !s.probing) return; // stale: about a process that is gone
    // The probe in flight is a readiness probe while it is unready, a health probe once ready: another answer is not its.
    if (purpose !== (s.life.ready ? "health" : "ready")) return;
    // A probe of a health check a reload has since changed: its answer counts for nothing (as one cut short).
    if (s.staleProbe === true) return this.probeInterrupted(i, pid, purpose);
    this.servers = this.servers.set(i, { ...s, probing: false });
    if (s.life.stop !== null || this.phase.kind !== "running") return;
    if (purpose === "ready") {
      if (s.life.ready) return;
      if (ok) this.input(i, "ready");
      else this.effects.push({ type: "arm", timer: timerOf("probe", i), at: this.at + READY_POLL_MS });
      return;
    }
    const health = s.spec.health;
    if (health === undefined || !s.life.ready) return;
    if (ok) {
      this.servers = this.servers.set(i, { ...this.server(i), healthFails: 0 });
      this.effects.push({ type: "arm", timer: timerOf("probe", i), at: this.at + health.intervalMs });
      return;
    }
    const fails = s.healthFails + 1;
    if (fails >= health.retries) {
      this.input(i, "unhealthy", { error: `${fails} failed health check${fails === 1 ? "" : "s"} in a row, the last: ${reason}` });
      return;
    }
    this.servers = this.servers.set(i, { ...this.server(i), healthFails: fails });
    this.effects.push({ type: "arm", timer: timerOf("probe", i), at: this.at + health.intervalMs });
  }

  /** A probe cut short by lazarus itself (a re-exec that failed): no verdict; tried again as if it had not run. */
  private probeInterrupted(i: number, pid: number, purpose: "ready" | "health"): void {
    const s = this.servers.at(i);
    if (s === undefined || s.life.kind !== "alive" || s.life.pid !== pid || !s.probing) return; // stale: about a process that is gone
    if (purpose !== (s.life.ready ? "health" : "ready")) return;
    this.servers = this.servers.set(i, withoutStale({ ...s, probing: false }));
    if (s.life.stop !== null || this.phase.kind !== "running") return;
    const health = s.spec.health;
    if (purpose === "ready") this.effects.push({ type: "arm", timer: timerOf("probe", i), at: this.at + READY_POLL_MS });
    else if (health !== undefined) this.effects.push({ type: "arm", timer: timerOf("probe", i), at: this.at + health.intervalMs });
  }

  /** sd_notify from a server (its main process is `pid`): READY=1, WATCHDOG=1, STATUS=, then WATCHDOG=trigger. */
  private notify(pid: number, ready: boolean, watchdog: boolean, status: string | null, trigger: boolean): void {
    const i = this.serverOfPid(pid, undefined);
    const s = this.servers.at(i);
    if (s === undefined || s.life.kind !== "alive") return;
    if (status !== null) this.servers = this.servers.set(i, { ...s, note: status });
    if (s.life.stop !== null || this.phase.kind !== "running") return;
    if (ready && !s.life.ready && s.spec.ready?.kind === "notify") this.input(i, "ready");
    const wd = s.spec.watchdogMs;
    const now = this.server(i);
    if (watchdog && wd !== undefined && now.life.kind === "alive" && now.life.ready) {
      this.servers = this.servers.set(i, { ...now, watchdogAt: this.at + wd });
      this.effects.push({ type: "arm", timer: timerOf("watchdog", i), at: this.at + wd });
    }
    // (A rolling restart's new process takes its copy's slot only in settle, after this step's inputs.)
    if (trigger) this.input(i, "trigger");
  }

  /** A line of the output of the server whose main process is `pid` matched its readiness pattern. */
  private outputMatch(pid: number): void {
    const i = this.serverOfPid(pid, undefined);
    const s = this.servers.at(i);
    if (s === undefined || s.life.kind !== "alive" || s.life.ready || s.life.stop !== null || s.spec.ready?.kind !== "log") return;
    if (this.phase.kind === "running") this.input(i, "ready");
  }

  /** The server whose alive process has this pid (the shell's hint first), or -1. */
  private serverOfPid(pid: number, hint: number | undefined): number {
    if (hint !== undefined) {
      const l = this.servers.at(hint)?.life;
      if (l?.kind === "alive" && l.pid === pid) return hint;
    }
    return this.servers.findIndex((s) => s.life.kind === "alive" && s.life.pid === pid);
  }

  private revive(record: LogRecord): void {
    if (this.phase.kind === "booting") {
      this.pendingRevive = true;
      this.log(say.supervisor.revivePending(record));
      return;
    }
    this.log(record);
    if (this.phase.kind !== "running") {
      this.log(say.supervisor.reviveIgnored());
      return;
    }
    this.pendingRevive = false;
    if (this.census.buried === 0) return;
    for (let i = 0; i < this.servers.length; i++) this.input(i, "revive");
  }

  private terminate(signal: string): void {
    switch (this.phase.kind) {
      case "booting":
      case "running":
        this.log(say.supervisor.terminate(signal));
        this.phase = { kind: "stopping", status: 0, killed: false };
        if (this.settings.systemd !== undefined) this.effects.push({ type: "sd-notify", text: "STOPPING=1" });
        // Every alive server gets a stop order (its stop signal now, SIGKILL at its own deadline)
        // once nothing that depends on it runs: dependents first (the rest in settle).
        for (let i = 0; i < this.servers.length; i++) {
          if (this.server(i).life.kind !== "alive" || !this.dependentsRun(i)) this.input(i, "shutdown");
        }
        return;
      case "stopping":
        this.log(say.supervisor.terminateAgain(signal));
        this.killEverything(this.phase.status);
        return;
      case "exited":
        return;
      default:
        return unreachable(this.phase);
    }
  }

  private timer(timer: TimerName): void {
    if (timer === "alarm") {
      // A timer that fires although it was never armed changes nothing; one that fires early is armed again.
      if (this.alarmAt === null) return;
      if (this.at < this.alarmAt) {
        this.effects.push({ type: "arm", timer: "alarm", at: this.alarmAt });
        return;
      }
      this.log(say.supervisor.alarm());
      this.alarmAt = null;
      this.killEverything(ALARM_STATUS);
      return;
    }
    if (timer === "leftovers") return this.leftoversDue();
    if (timer === "sd-watchdog") {
      const wd = this.settings.systemd?.watchdogMs ?? null;
      if (wd === null || this.phase.kind === "exited") return;
      this.effects.push({ type: "sd-notify", text: "WATCHDOG=1" });
      this.effects.push({ type: "arm", timer: "sd-watchdog", at: this.at + wd / 2 });
      return;
    }
    const colon = timer.indexOf(":");
    const kind = timer.slice(0, colon);
    const i = Number(timer.slice(colon + 1));
    const s = this.servers.at(i);
    if (s === undefined) return;
    switch (kind) {
      case "stop": return void this.input(i, "deadline");
      case "backoff": return void this.input(i, "retry");
      case "probe": return this.probeDue(i, s);
      case "ready":
        if (s.life.kind !== "alive" || s.life.ready || s.life.stop !== null || s.spec.readyTimeoutMs === undefined || this.phase.kind !== "running") return;
        if (this.at < s.life.since + s.spec.readyTimeoutMs) {
          this.effects.push({ type: "arm", timer, at: s.life.since + s.spec.readyTimeoutMs });
          return;
        }
        return void this.input(i, "ready-timeout");
      case "watchdog":
        if (s.life.kind !== "alive" || !s.life.ready || s.life.stop !== null || s.watchdogAt === null || this.phase.kind !== "running") return;
        if (this.at < s.watchdogAt) {
          this.effects.push({ type: "arm", timer, at: s.watchdogAt });
          return;
        }
        return void this.input(i, "unhealthy", { error: `no WATCHDOG=1 within ${seconds(s.spec.watchdogMs ?? 0)} s` });
      default:
        return;
    }
  }

  /** Its probe timer: a readiness or health probe now, unless one is already running or nothing needs one. */
  private probeDue(i: number, s: Server): void {
    const l = s.life;
    if (l.kind !== "alive" || l.stop !== null || s.probing || this.phase.kind !== "running") return;
    const r = s.spec.ready;
    if (!l.ready && r !== undefined && r.kind !== "notify" && r.kind !== "log") {
      const left = s.spec.readyTimeoutMs === undefined ? READY_PROBE_TIMEOUT_MS : l.since + s.spec.readyTimeoutMs - this.at;
      this.servers = this.servers.set(i, { ...s, probing: true });
      this.effects.push({ type: "probe", server: i, pid: l.pid, purpose: "ready", probe: r, timeoutMs: Math.max(1, Math.min(READY_PROBE_TIMEOUT_MS, left)) });
      return;
    }
    const h = s.spec.health;
    if (l.ready && h !== undefined) {
      this.servers = this.servers.set(i, { ...s, probing: true });
      this.effects.push({ type: "probe", server: i, pid: l.pid, purpose: "health", probe: h.probe, timeoutMs: h.timeoutMs });
    }
  }

  /** Whether anything that depends on server i still runs (or is being started). */
  private dependentsRun(i: number): boolean {
    for (const d of this.dependents[i] ?? []) {
      const k = this.servers.at(d)?.life.kind;
      if (k === "alive" || k === "starting") return true;
    }
    return false;
  }

  /** Whether everything server i depends on is ready, or done (deps.ts). */
  private depsReady(i: number): boolean {
    const deps = this.server(i).spec.dependsOn;
    if (deps === undefined || deps.length === 0) return true;
    return unreadyDependencies(this.servers, i).length === 0;
  }

  /** Whether server i may start now: nothing it depends on is unready, and no old process holds its seat (behind). */
  private mayStart(i: number): boolean {
    return this.server(i).behind === undefined && this.depsReady(i);
  }

  /** The pid of the old process server i waits for to end (behind), null for none (or one whose spawn's result is on its way). */
  private oldPid(i: number): number | null {
    const b = this.server(i).behind;
    const l = b === undefined ? undefined : this.servers.at(b)?.life;
    return l?.kind === "alive" ? l.pid : null;
  }

  /** The names of what server i waits for. */
  private waitingFor(i: number): string[] {
    return unreadyDependencies(this.servers, i).map((d) => this.server(d).spec.name);
  }

  /** SIGKILL every alive server at once (second terminate, alarm); exit with `status` once all ended. */
  private killEverything(status: number): void {
    if (this.phase.kind === "stopping" && this.phase.killed && this.phase.status === status) return;
    this.phase = { kind: "stopping", status, killed: true };
    for (let i = 0; i < this.servers.length; i++) this.input(i, "kill");
    // What is left of ended servers' groups does not wait for its deadline either.
    if (this.leftovers.length === 0) return;
    for (const l of this.leftovers) this.effect({ type: "kill-remnants", server: l.server, pgid: l.pgid, signal: SIGKILL });
    this.leftovers = [];
    this.effects.push({ type: "disarm", timer: "leftovers" });
  }

  // --- what is left of ended servers' groups (State.leftovers) ----------------------------

  /**
   * Server i's process (the leader of group `pgid`) ended by itself, and what is left of its group was sent SIGTERM:
   * what still runs of it at the server's stop timeout from now is SIGKILLed. A full list carries out its earliest now.
   */
  leaveBehind(i: number, pgid: number): void {
    const at = this.at + this.serverStopTimeout(i);
    const old = this.leftovers;
    const first = old[0];
    // One copy, plain loops (this runs at every crash: no closure per entry, no spread; bench/reducer-ab-inproc.ts).
    const list = old.slice();
    for (let k = 0; k < list.length; k++) {
      if ((list[k] as Leftover).pgid === pgid) {
        list.splice(k, 1);
        break;
      }
    }
    if (list.length >= MAX_LEFTOVERS) {
      const due = list.shift() as Leftover;
      this.effect({ type: "kill-remnants", server: due.server, pgid: due.pgid, signal: SIGKILL });
    }
    let k = list.length;
    while (k > 0 && (list[k - 1] as Leftover).at > at) k--;
    if (k === list.length) list.push({ pgid, server: i, at });
    else list.splice(k, 0, { pgid, server: i, at });
    this.leftovers = list;
    this.leftoverTimer(first);
  }

  /** The leftovers timer: every group due by now is SIGKILLed (the shell finds none left of an emptied one); armed again for the next. */
  private leftoversDue(): void {
    const list = this.leftovers;
    if (list.length === 0) return;
    let k = 0;
    for (; k < list.length && (list[k] as Leftover).at <= this.at; k++) {
      const l = list[k] as Leftover;
      this.effect({ type: "kill-remnants", server: l.server, pgid: l.pgid, signal: SIGKILL });
    }
    if (k > 0) this.leftovers = list.slice(k);
    // (it fired: armed again, even when early)
    const next = this.leftovers[0];
    if (next !== undefined) this.effects.push({ type: "arm", timer: "leftovers", at: next.at });
  }

  /** The group `pgid` is gone (its id was handed to a new process): nothing of it is waited for. */
  private forgetLeftover(pgid: number): void {
    const list = this.leftovers;
    if (list.length === 0) return;
    let k = 0;
    while (k < list.length && (list[k] as Leftover).pgid !== pgid) k++;
    if (k === list.length) return;
    const first = list[0];
    const rest = list.slice();
    rest.splice(k, 1);
    this.leftovers = rest;
    this.leftoverTimer(first);
  }

  /** The earliest leftover deadline changed from `first`'s: its timer follows. */
  private leftoverTimer(first: Leftover | undefined): void {
    const now = this.leftovers[0];
    if (now?.at === first?.at) return;
    this.effects.push(now === undefined ? { type: "disarm", timer: "leftovers" } : { type: "arm", timer: "leftovers", at: now.at });
  }

  private reexec(again: boolean): void {
    if (this.phase.kind !== "running") {
      this.log(say.supervisor.reexecIgnored());
      return;
    }
    if (!again) this.log(say.supervisor.reexec());
    // A rolling restart is not handed across: it ends here (a new process aside is stopped; the re-exec waits for it).
    if (this.roll !== undefined) this.rollFailed("lazarus re-execs, which ends a rolling restart");
    // Carried out in settle, once no spawn's result is on its way and no server changed or removed by a reload still runs its old process (see settle).
    const waits = this.outgoing();
    if (waits > 0 && !this.pendingReexec) this.log(say.supervisor.reexecWaits(waits));
    this.pendingReexec = true;
  }

  /**
   * A reload: the difference is computed once (reconfigure.ts) and applied by
   * name. Unchanged servers are not touched; changed ones take their new spec
   * at once when they do not run, else once their process (stopped now) has
   * ended; new ones start (autostart); removed ones are stopped and forgotten.
   */
  private reconfigure(id: number | null, settings: Settings, specs: readonly ServerSpec[], scale?: { readonly name: string; readonly count: number }): void {
    const answer = (ok: boolean, message: string, extra: Partial<Extract<Effect, { type: "reply" }>> = {}) => {
      if (id !== null) this.effects.push({ type: "reply", id, ok, message, ...extra });
    };
    if (this.phase.kind !== "running") {
      this.log(say.supervisor.reloadRefused(this.phase.kind));
      return answer(false, say.reply.refused(this.phase.kind));
    }
    // A rolling restart under way ends: the reload decides afresh what each copy runs.
    if (this.roll !== undefined) this.rollFailed(scale === undefined ? "a reload came" : "a scale came");
    const r = reconfigure(this.servers, specs, new Set([...(this.settings.scaledToZero ?? []), ...(settings.scaledToZero ?? [])]));
    const text = summaryText(r.summary);
    const what = scale === undefined ? "reloaded" : `scaled '${scale.name}' to ${scale.count}`;
    this.log(say.supervisor.reloaded(r.summary, text, what));
    this.newSettings(settings);
    // The slots first (appended ones, pending specs), so that every dependency names a slot that exists; then the inputs.
    while (this.servers.length < r.length) {
      this.servers = this.servers.push(newServer({ argv: ["-"], name: "-" }));
      this.census.unborn++;
    }
    for (const c of r.changes) {
      const s = this.server(c.slot);
      switch (c.kind) {
        case "added":
          this.setServer(c.slot, newServer(c.spec));
          break;
        case "changed": {
          const runs = s.life.kind === "alive" || s.life.kind === "starting";
          this.setServer(c.slot, runs ? { ...s, next: c.spec } : withoutNext({ ...s, spec: c.spec }));
          break;
        }
        case "removed":
          this.setServer(c.slot, { ...s, retired: true });
          break;
        case "updated":
          this.updateInPlace(c.slot, c.spec);
          break;
        case "unchanged":
          // Its process runs what the files say again (they were changed back while it kept its old process): the pending spec goes.
          if (keepsOldProcess(s)) this.setServer(c.slot, withoutNext(c.spec === undefined ? s : { ...s, spec: c.spec }));
          // Its dependencies follow a table's copies (a scale): at once, nothing restarted.
          else if (c.spec !== undefined) this.setServer(c.slot, s.next !== undefined ? { ...s, next: c.spec } : { ...s, spec: c.spec });
          break;
        default:
          unreachable(c);
      }
    }
    this.refreshDependents();
    // The running copies of a changed table with instances and a readiness check are replaced one at a time (a rolling restart).
    const rolled = new Map<string, number[]>();
    for (const c of r.changes) {
      const s = this.server(c.slot);
      const l = s.life;
      if (c.kind !== "changed" || c.spec.group === undefined || c.spec.ready === undefined || l.kind !== "alive" || l.stop !== null) continue;
      const slots = rolled.get(c.spec.group) ?? [];
      slots.push(c.slot);
      rolled.set(c.spec.group, slots);
    }
    const rolling = new Set([...rolled.values()].flat());
    // What stops first (removed, changed, and the first copy a stop-first roll restarts), then what starts: a new
    // server that depends on one being stopped by this reload waits for it, wherever either is in the files.
    for (const c of r.changes) {
      const s = this.server(c.slot);
      if (c.kind === "removed") this.input(c.slot, "remove");
      else if (c.kind === "changed" && s.life.kind === "alive" && !rolling.has(c.slot)) this.input(c.slot, "change");
    }
    const rollName = [...rolled.keys()].join(", ");
    answer(true, `${what}: ${text}${rolled.size > 0 ? say.reply.rollingReload(rollName) : ""}`, { reload: r.summary });
    if (rolled.size > 0) this.beginRoll(null, rollName, [...rolled.values()].flat());
    for (const c of r.changes) {
      // A new server in the seat of a removed server's process that still stops (the same name, or the same copy of a
      // table: a scale down and up, a rename) waits for it to end: never two processes of one name at once.
      if (c.kind === "added") {
        const old = oldProcessOf(this.servers, c.spec);
        if (old >= 0) this.setServer(c.slot, { ...this.server(c.slot), behind: old });
      }
      const s = this.server(c.slot);
      // A new server, or one whose change turned autostart on: started (or waits for its dependencies).
      if ((c.kind === "added" || c.kind === "changed" || c.kind === "updated") && s.life.kind === "unborn" && s.spec.autostart !== false) this.input(c.slot, "autostart");
    }
  }

  /**
   * A reload changed its policy only (reconfigure.ts, sameLaunch): the new spec is taken in place, its process keeps
   * its pid and gets no signal (docs/spec.md, "Reload", updated in place). What is under way keeps what it was given
   * (*choice*): a stop order its deadline, a backoff its retry, a buried server its burial; the new policy judges what
   * comes next. The checks of a process that runs with no stop order follow the new spec at once: a new readiness
   * deadline counts from its start (as every ready_timeout does); a new health check begins afresh (no failures
   * counted, its first probe one new interval from now; a probe of the old check in flight counts for nothing, and the
   * new schedule follows its answer); a new watchdog window opens now.
   */
  private updateInPlace(i: number, spec: ServerSpec): void {
    const s = this.server(i);
    // Being stopped to be started with a pending spec (a launch change): the pending spec is what changes.
    if (s.next !== undefined && !keepsOldProcess(s)) return void this.setServer(i, { ...s, next: spec });
    // (a copy that kept its old process: the policy change is to what that process runs; the pending launch change goes)
    const old = s.spec;
    this.setServer(i, withoutNext({ ...s, spec }));
    const l = s.life;
    if (l.kind !== "alive" || l.stop !== null) return;
    if (!l.ready) {
      if (old.readyTimeoutMs === spec.readyTimeoutMs) return;
      if (spec.readyTimeoutMs === undefined) this.effects.push({ type: "disarm", timer: timerOf("ready", i) });
      else this.effects.push({ type: "arm", timer: timerOf("ready", i), at: Math.max(this.at, l.since + spec.readyTimeoutMs) });
      return;
    }
    if (!sameField(old.health, spec.health)) {
      const now = this.server(i);
      if (now.probing) this.servers = this.servers.set(i, { ...now, healthFails: 0, staleProbe: true });
      else {
        this.servers = this.servers.set(i, { ...now, healthFails: 0 });
        if (spec.health === undefined) this.effects.push({ type: "disarm", timer: timerOf("probe", i) });
        else this.effects.push({ type: "arm", timer: timerOf("probe", i), at: this.at + spec.health.intervalMs });
      }
    }
    if (old.watchdogMs !== spec.watchdogMs) {
      const now = this.server(i);
      if (spec.watchdogMs === undefined) {
        this.servers = this.servers.set(i, { ...now, watchdogAt: null });
        this.effects.push({ type: "disarm", timer: timerOf("watchdog", i) });
      } else {
        this.servers = this.servers.set(i, { ...now, watchdogAt: this.at + spec.watchdogMs });
        this.effects.push({ type: "arm", timer: timerOf("watchdog", i), at: this.at + spec.watchdogMs });
      }
    }
  }

  /** Who depends on each slot (the current servers' dependencies: a server aside or removed has none). */
  private refreshDependents(): void {
    this.dependents = dependentsOf(this.servers.map((s) => (isCurrent(s) ? targetSpec(s) : { ...s.spec, dependsOn: [] })));
  }

  /** Settings of a reload: from now on (the alarm counts again from now when it changed; lazarus's own systemd link stays). */
  private newSettings(settings: Settings): void {
    const old = this.settings;
    this.settings = { ...settings, ...(old.systemd === undefined ? {} : { systemd: old.systemd }) };
    if (settings.alarmMs === old.alarmMs) return;
    this.alarmAt = settings.alarmMs > 0 ? this.at + settings.alarmMs : null;
    this.effects.push(this.alarmAt === null ? { type: "disarm", timer: "alarm" } : { type: "arm", timer: "alarm", at: this.alarmAt });
  }

  /**
   * Servers whose old process is on its way out: removed (or a rolling
   * restart's new process given up), or changed by a reload and being
   * stopped. (A copy a rolling restart did not reach keeps its old process and
   * its new spec pending: a re-exec hands it across under the new spec, which
   * its next start uses.)
   */
  private outgoing(): number {
    let n = 0;
    for (const s of this.servers) {
      const l = s.life;
      if (l.kind === "alive" && (s.retired === true || s.replaces !== undefined || (s.next !== undefined && l.stop !== null))) n++;
    }
    return n;
  }

  private control(id: number, c: ControlCommand): void {
    const reply = (r: Reply): void => {
      this.effects.push({ type: "reply", id, ok: r.ok, message: r.message });
    };
    if (c.op === "shutdown") {
      reply({ ok: true, message: say.reply.shuttingDown(this.phase.kind === "stopping") });
      this.terminate("control");
      return;
    }
    if (this.phase.kind !== "running") return reply({ ok: false, message: say.reply.refused(this.phase.kind) });
    if (c.op === "roll") return this.beginRoll(id, c.name, c.servers);
    if (c.op === "revive" && c.server === null) {
      const n = this.census.buried;
      this.revive(say.supervisor.reviveRequested());
      return reply({ ok: true, message: say.reply.revivedAll(n) });
    }
    const i = c.server;
    const target = i === null ? undefined : this.servers.at(i);
    if (i === null || target === undefined || !isCurrent(target)) return reply({ ok: false, message: say.reply.noSuchServer(i ?? -1) });
    const input: Input = c.op === "revive" ? "revive-one" : c.op;
    const r = this.input(i, input, c.op === "signal" ? { signal: c.signal } : {});
    reply(r ?? { ok: false, message: say.reply.notRunning(this.server(i).spec.name) });
  }

  /**
   * After every event: a revive that arrived before supervision began is
   * carried out once no spawn of the start is still in flight; then exit when
   * nothing is left, or say once that we wait.
   */
  settle(): void {
    if (this.roll !== undefined) this.advanceRoll();
    const n = this.census;
    if (this.phase.kind === "running" && this.pendingRevive && n.starting === 0) {
      this.revive(say.supervisor.revivePendingDone());
    }
    // What the loops below look for (a dependency ready or gone, a dependent no longer running, the counts
    // systemd is told) follows from the servers' lives and the phase only: unchanged, they find nothing new.
    const changed = this.lifeChanged || this.phase !== this.before.phase;
    if (changed && n.waiting > 0 && this.phase.kind === "running") {
      for (let i = 0; i < this.servers.length; i++) {
        if (this.server(i).life.kind === "waiting" && this.mayStart(i)) this.input(i, "deps-ready");
      }
    }
    if (changed && this.phase.kind === "stopping" && !this.phase.killed) {
      // Dependents first: a server gets its stop order once nothing that depends on it runs.
      for (let i = 0; i < this.servers.length; i++) {
        const l = this.server(i).life;
        if (l.kind === "alive" && l.stop === null && !this.dependentsRun(i)) this.input(i, "shutdown");
      }
    }
    if (changed && this.settings.systemd !== undefined) this.tellSystemd();
    const living = n.alive + n.starting > 0;
    const waiting = n.buried + n.unborn + n.waiting + n.backoff > 0;
    // A table `ctl scale` holds at 0 copies: nothing left to run is no reason to exit (a later scale runs it again).
    const held = (this.settings.scaledToZero ?? []).length > 0;
    if (this.pendingReexec && n.starting === 0 && this.outgoing() === 0) {
      this.pendingReexec = false;
      // Nothing left to hand across (the last process ended while the re-exec waited): the exit below, not an exec.
      if (this.phase.kind === "running" && (living || waiting || held)) {
        // A rolling restart begun while the re-exec waited (a reload's) is not handed across either: it ends here, said
        // (its new process aside given up: systemd is told the counts again, should they have changed).
        if (this.roll !== undefined) {
          this.rollFailed("lazarus re-execs, which ends a rolling restart");
          if (this.settings.systemd !== undefined) this.tellSystemd();
        }
        this.effects.push({ type: "reexec", handover: handoverOf(this.snapshot(), this.at) });
      } else this.log(say.supervisor.reexecIgnored());
    }
    switch (this.phase.kind) {
      case "booting":
      case "exited":
        return;
      case "running":
        if (living) {
          // Said again once a process ran meanwhile: spawns that only failed again (a server that cannot start,
          // one tried again and again for want of a resource) leave it said.
          if (n.alive > 0) this.waitingLogged = false;
        } else if (!waiting && !held) {
          this.log(say.supervisor.allCremated());
          this.exit(0);
        } else if (!this.waitingLogged) {
          this.waitingLogged = true;
          this.log(
            !waiting ? say.supervisor.waitingForScale(this.settings.scaledToZero ?? []) :
            n.buried > 0 ? say.supervisor.waitingForRevive() : n.backoff > 0 ? say.supervisor.waitingForRetry() : say.supervisor.waitingForStart(),
          );
        }
        return;
      case "stopping":
        if (!living) this.exit(this.phase.status);
        return;
      default:
        return unreachable(this.phase);
    }
  }

  /**
   * Under systemd: READY=1 once every server that starts by itself is ready,
   * buried or done (nothing of the start is still in flight), and STATUS= with
   * the counts whenever they change.
   */
  private tellSystemd(): void {
    if (this.phase.kind !== "running") return;
    const c = { ready: 0, starting: 0, buried: 0, other: 0 };
    let settled = true;
    // A server that waits for a dependency at rest (buried, stopped, not started on its own) is at rest too.
    const inVain = this.systemd.ready || this.census.waiting === 0 ? null : waitingInVain(this.servers);
    let i = -1;
    for (const s of this.servers) {
      i++;
      const l = s.life;
      if (l.kind === "alive" && l.ready) c.ready++;
      else if (l.kind === "buried") c.buried++;
      else if (l.kind === "alive" || l.kind === "starting" || l.kind === "waiting" || l.kind === "backoff") c.starting++;
      else c.other++;
      const pending = l.kind === "starting" || (l.kind === "waiting" && inVain?.has(i) !== true) || l.kind === "backoff" || (l.kind === "alive" && !l.ready) ||
        (l.kind === "unborn" && s.spec.autostart !== false);
      if (pending) settled = false;
    }
    const status = `${c.ready} ready, ${c.starting} starting, ${c.buried} buried`;
    const lines: string[] = [];
    if (!this.systemd.ready && settled) lines.push("READY=1");
    if (status !== this.systemd.status) lines.push(`STATUS=${status}`);
    if (lines.length === 0) return;
    this.systemd = { ready: this.systemd.ready || settled, status };
    this.effects.push({ type: "sd-notify", text: lines.join("\n") });
  }

  // --- rolling restarts (roll.ts) -----------------------------------------------------

  /**
   * `ctl restart NAME --rolling` (id: the request), or a reload's (id null):
   * the first copy replaced now, the others in settle, each once the one
   * before is ready again.
   */
  private beginRoll(id: number | null, name: string, slots: readonly number[]): void {
    const reply = (ok: boolean, message: string): void => {
      if (id !== null) this.effects.push({ type: "reply", id, ok, message });
    };
    if (this.roll !== undefined) return reply(false, say.reply.rollBusy(this.roll.name));
    // An operator's roll begun now would be cut off by the re-exec that waits (nobody would answer it).
    if (id !== null && this.pendingReexec) return reply(false, say.reply.rollReexecWaits());
    const missing = slots.find((i) => { const s = this.servers.at(i); return s === undefined || !isCurrent(s); });
    if (missing !== undefined || slots.length === 0) return reply(false, say.reply.noSuchServer(missing ?? -1));
    this.log(say.supervisor.rollBegins(name, slots.map((i) => this.server(i).spec.name)));
    this.rollNext({ id, reload: id === null, name, done: [], current: -1, old: null, fresh: null, aside: null, draining: null, rest: slots });
  }

  /** Replace the next copy of `r` (or end it: every copy is done). */
  private rollNext(r: Roll): void {
    const [next, ...rest] = r.rest;
    if (next === undefined) {
      this.roll = undefined;
      this.log(say.supervisor.rollDone(r.name, r.done.length));
      if (r.id !== null) this.effects.push({ type: "reply", id: r.id, ok: true, message: say.reply.rolled(r.name, r.done.map((i) => this.server(i).spec.name)) });
      return;
    }
    const s = this.server(next);
    if (r.reload && s.next === undefined) return this.rollNext({ ...r, done: [...r.done, next], rest });
    const l = s.life;
    const old = l.kind === "alive" ? l.pid : null;
    // Start-first: a running copy's new process starts aside, beside it.
    if (l.kind === "alive" && l.stop === null && targetSpec(s).rolling !== "stop-first") {
      const aside = this.startAside(next);
      this.roll = { ...r, current: next, old, fresh: null, aside, draining: null, rest };
      return;
    }
    this.roll = { ...r, current: next, old, fresh: null, aside: null, draining: null, rest };
    // A copy that waited for a dependency ready as of this step starts in this settle: that start is what the roll waits for.
    if (l.kind === "waiting" && this.mayStart(next)) return;
    const answer = this.input(next, "restart");
    if (answer !== undefined && !answer.ok) this.rollFailed(answer.message);
  }

  /** Copy i's new process, started in a slot aside (an ended one of the same name, else a new one): the slot. */
  private startAside(i: number): number {
    const s = this.server(i);
    const spec = targetSpec(s);
    let slot = this.servers.findIndex((x) => !isCurrent(x) && x.spec.name === s.spec.name && x.life.kind !== "alive" && x.life.kind !== "starting");
    if (slot < 0) {
      slot = this.servers.length;
      this.servers = this.servers.push(newServer({ argv: ["-"], name: "-" }));
      this.census.unborn++;
    }
    // Never restarted: if it ends, the roll stops there. Started as a restart of the copy (spawns: its count so far).
    this.setServer(slot, { ...newServer({ ...spec, restart: "never" }), spawns: s.spawns, replaces: i });
    this.refreshDependents();
    if (s.life.kind === "alive") this.log(say.server.rollAside(i, s, s.life.pid));
    this.spawnNow(slot);
    return slot;
  }

  /** The copy being replaced is ready again (the next begins), failed (the roll stops), or still on its way. */
  private advanceRoll(): void {
    for (let r = this.roll; r !== undefined && this.roll === r; r = this.roll) {
      if (this.phase.kind !== "running") return this.rollFailed(`lazarus is ${this.phase.kind === "stopping" ? "shutting down" : this.phase.kind}`);
      if (r.draining !== null) {
        // The copy's new process serves; its old one is stopping: the next copy begins once it has ended.
        if (this.servers.at(r.draining)?.life.kind === "alive") return;
        this.rollNext({ ...r, draining: null, done: [...r.done, r.current] });
        continue;
      }
      const p = rollProgress(r, this.server(r.current), r.aside === null ? undefined : this.servers.at(r.aside));
      switch (p.kind) {
        case "wait":
          this.roll = p.roll;
          return;
        case "failed":
          return this.rollFailed(p.why);
        case "in-place":
          // Its old process ended or is being stopped meanwhile: the copy's own restart is what the roll waits for now.
          this.giveUpAside(r.aside);
          this.roll = { ...r, aside: null, fresh: null };
          break;
        case "ready":
          if (r.aside === null) {
            this.rollNext({ ...r, done: [...r.done, r.current] });
          } else {
            this.takePlace(r.current, r.aside);
            this.roll = { ...r, aside: null, draining: r.aside };
          }
          break;
        default:
          return unreachable(p);
      }
    }
  }

  /**
   * Start-first: the new process (ready, in slot `aside`) takes copy i's
   * place, and the old one moves aside and is stopped. The checks armed
   * under either slot are disarmed first; the new process's go on under i.
   */
  private takePlace(i: number, aside: number): void {
    const old = this.server(i);
    const neu = this.server(aside);
    for (const [slot, s] of [[i, old], [aside, neu]] as const) {
      if (s.spec.ready !== undefined || s.spec.health !== undefined) this.effects.push({ type: "disarm", timer: timerOf("probe", slot) });
      if (s.spec.readyTimeoutMs !== undefined) this.effects.push({ type: "disarm", timer: timerOf("ready", slot) });
      if (s.spec.watchdogMs !== undefined) this.effects.push({ type: "disarm", timer: timerOf("watchdog", slot) });
    }
    this.setServer(i, {
      spec: targetSpec(old), life: neu.life, spawns: neu.spawns, lastExit: old.lastExit, retries: 0, healthFails: 0, probing: false,
      note: neu.note, watchdogAt: null,
    });
    this.setServer(aside, {
      spec: old.spec, life: old.life, spawns: old.spawns, lastExit: old.lastExit, retries: old.retries, healthFails: 0, probing: false,
      note: old.note, watchdogAt: null, retired: true,
    });
    this.resumeChecks(i);
    this.input(aside, "replaced");
  }

  /** A new process aside that will not take a copy's place: retired (stopped, or forgotten at once). */
  private giveUpAside(aside: number | null): void {
    if (aside === null) return;
    const s = this.server(aside);
    if (s.replaces === undefined) return;
    const { replaces: _, ...rest } = s;
    this.setServer(aside, { ...rest, retired: true });
    this.refreshDependents();
    const l = this.server(aside).life;
    // Starting: it is stopped once its spawn's result comes (spawnResult).
    if (l.kind !== "starting") this.input(aside, "remove", { givenUp: true });
  }

  private rollFailed(why: string): void {
    const r = this.roll;
    if (r === undefined) return;
    this.roll = undefined;
    this.giveUpAside(r.aside);
    const names = (slots: readonly number[]) => slots.map((i) => this.servers.at(i)?.spec.name ?? String(i));
    // A copy whose old process is still stopping was replaced already: it is among the done.
    const done = r.draining === null ? r.done : [...r.done, r.current];
    const at = r.draining === null ? r.current : r.rest[0];
    const left = r.draining === null ? r.rest : r.rest.slice(1);
    const text = at === undefined
      ? say.reply.rollStoppedAfter(r.name, why, names(done))
      : say.reply.rollStopped(r.name, names([at])[0] as string, why, names(done), names(left), left.every((i) => this.servers.at(i)?.life.kind === "alive"));
    this.log(say.supervisor.rollStopped(text));
    if (r.id !== null) this.effects.push({ type: "reply", id: r.id, ok: false, message: text });
  }

  // --- helpers ----------------------------------------------------------------------

  private exit(status: number): void {
    if (this.alarmAt !== null) this.effects.push({ type: "disarm", timer: "alarm" });
    this.alarmAt = null;
    // (what is still left of ended servers' groups is the shell's at its exit: it SIGKILLs every orphan)
    if (this.leftovers.length > 0) this.effects.push({ type: "disarm", timer: "leftovers" });
    this.leftovers = [];
    this.log(say.supervisor.exiting(status));
    this.phase = { kind: "exited", status };
    this.effects.push({ type: "exit", status });
  }

  /** One input to server i, through the table. */
  private input(i: number, input: Input, detail: Detail = NO_DETAIL): Reply | undefined {
    // One ServerAct per transition, lent to one input at a time (a nested input gets its own).
    const a = this.spareAct ?? new ServerAct(this, i);
    this.spareAct = null;
    a.index = i;
    const r = decide(a, input, detail);
    this.spareAct = a;
    return r;
  }

  // --- what ServerAct reaches (it is the table's view of this transition) ---

  get currentPhase(): Phase {
    return this.phase;
  }

  get now(): Ms {
    return this.at;
  }

  serverAt(i: number): Server {
    return this.server(i);
  }

  lifeOf(i: number, life: Life): void {
    this.setLife(i, life);
  }

  changeServer(i: number, change: Partial<Pick<Server, "retries" | "healthFails" | "probing" | "watchdogAt">>): void {
    const s = this.server(i);
    // Nothing to change (the common case: checks disarmed that were never armed): no copy.
    const same = (change.retries === undefined || change.retries === s.retries) &&
      (change.healthFails === undefined || change.healthFails === s.healthFails) &&
      (change.probing === undefined || change.probing === s.probing) &&
      (!("watchdogAt" in change) || change.watchdogAt === s.watchdogAt);
    if (same) return;
    this.setServer(i, withReload(s, {
      spec: s.spec, life: s.life, spawns: s.spawns, lastExit: s.lastExit,
      retries: change.retries ?? s.retries, healthFails: change.healthFails ?? s.healthFails, probing: change.probing ?? s.probing,
      note: s.note, watchdogAt: "watchdogAt" in change ? change.watchdogAt ?? null : s.watchdogAt,
    }));
  }

  logRecord(record: LogRecord): void {
    this.log(record);
  }

  spawnIfDown(i: number): void {
    const kind = this.server(i).life.kind;
    if (kind !== "alive" && kind !== "starting") this.spawnNow(i);
  }

  respawnNow(i: number): void {
    this.spawnNow(i);
  }

  /**
   * A signal always goes out before any spawn of the same step: the shell reports
   * the exits it holds before it spawns, so a spawn may be handed the pid of a
   * process that ended unreported, and a signal sent after it would hit the new process instead.
   */
  effect(e: Effect): void {
    if ((e.type === "kill" || e.type === "kill-remnants") && this.firstSpawn >= 0) {
      this.effects.splice(this.firstSpawn, 0, e);
      this.firstSpawn++;
      return;
    }
    this.effects.push(e);
  }

  serverStopTimeout(i: number): Ms {
    return this.server(i).spec.stopTimeoutMs ?? this.settings.stopTimeoutMs;
  }

  serverInterval(i: number): Ms {
    return this.server(i).spec.intervalMs ?? this.settings.intervalMs;
  }

  oldPidOf(i: number): number | null {
    return this.oldPid(i);
  }

  serverWaitingFor(i: number): string[] {
    return this.waitingFor(i);
  }

  /** Spawn server i (only while running); one whose dependencies are not ready waits for them instead. */
  private spawnNow(i: number): void {
    if (this.phase.kind !== "running" || this.server(i).retired === true) return;
    // A spec a reload left pending is taken on by the next start, whatever led to it (a failed start respawned straight from alive, too).
    const pending = this.server(i);
    if (pending.next !== undefined) this.setServer(i, withoutNext({ ...pending, spec: pending.next }));
    const behind = this.server(i).behind !== undefined;
    if (behind || !this.depsReady(i)) {
      if (this.server(i).life.kind !== "waiting") {
        this.setLife(i, { kind: "waiting" });
        this.log(behind ? say.server.waitsForOld(i, this.server(i), this.oldPid(i)) : say.server.waits(i, this.server(i), this.waitingFor(i)));
      }
      return;
    }
    const s = this.server(i);
    const argv = spawnArgv(s.spec, s.spawns);
    this.setServer(i, withLife(s, STARTING, s.spawns + 1));
    if (this.firstSpawn < 0) this.firstSpawn = this.effects.length;
    this.effects.push({ type: "spawn", server: i, argv });
  }

  private setLife(i: number, life: Life): void {
    const s = this.server(i);
    this.setServer(i, withLife(s, life, s.spawns));
  }

  /** Every change of a server goes through here: the census follows its life. */
  private setServer(i: number, change: Server): void {
    const old = this.server(i);
    const before = old.life;
    // A spec a reload left pending is taken on as soon as its old process is gone.
    const k = change.life.kind;
    const s = change.next !== undefined && k !== "alive" && k !== "starting" ? withoutNext({ ...change, spec: change.next }) : change;
    // A new life, or a new spec (its dependencies may have changed: a pending one taken on, or one a
    // reload gave a server that does not run): settle looks at every server again.
    if (before !== s.life || s.spec !== old.spec) this.lifeChanged = true;
    const was = before.kind;
    if (was !== s.life.kind) {
      this.census[was]--;
      this.census[s.life.kind]++;
    }
    this.servers = this.servers.set(i, s);
    // A removed server's process has ended (or its spawn failed): what waited for it in its seat waits for the next
    // such process, or no longer (settle starts it: its life changed, so settle looks).
    if (old.retired === true && (was === "alive" || was === "starting") && k !== "alive" && k !== "starting") this.oldProcessEnded(i);
  }

  /** Slot i's old process (a removed server's) has ended: the servers behind it wait for another in their seat, or start. */
  private oldProcessEnded(i: number): void {
    for (let j = 0; j < this.servers.length; j++) {
      const s = this.server(j);
      if (s.behind !== i) continue;
      const next = oldProcessOf(this.servers, s.spec, i);
      if (next >= 0) this.servers = this.servers.set(j, { ...s, behind: next });
      else {
        const { behind: _, ...rest } = s;
        this.servers = this.servers.set(j, rest);
      }
    }
  }

  private server(i: number): Server {
    const s = this.servers.at(i);
    if (s === undefined) throw new RangeError(`no server ${i}`);
    return s;
  }

  private log(record: LogRecord): void {
    this.effects.push({ type: "log", record });
  }
}

/** The specs of the servers a handover describes, in its order (marshal.ts names each record by them). */
export function handoverSpecs(state: State): ServerSpec[] {
  // A copy a rolling reload did not reach runs its old process with its new spec pending: the new image runs
  // the reloaded configuration, so its record is the new spec's (its next start uses it there; the spec its old
  // process runs travels beside it: handoverOf's `runs`).
  return state.servers.filter(isCurrent).map(targetSpec);
}

const STARTING: Life = { kind: "starting" };

const NO_DETAIL: Detail = Object.freeze({});

/** Server s with another life (and spawn count): every field written out, which is quicker than a spread. */
function withLife(s: Server, life: Life, spawns: number): Server {
  return withReload(s, { spec: s.spec, life, spawns, lastExit: s.lastExit, retries: s.retries, healthFails: s.healthFails, probing: s.probing, note: s.note, watchdogAt: s.watchdogAt });
}

/** `t` keeping what a reload or a rolling restart marked on `s` (retired, a pending spec, a slot aside): rare, so the plain object stays the common case. */
function withReload(s: Server, t: Server): Server {
  if (s.retired === undefined && s.next === undefined && s.replaces === undefined && s.behind === undefined && s.staleProbe === undefined) return t;
  return {
    ...t,
    ...(s.staleProbe === undefined || !t.probing ? {} : { staleProbe: s.staleProbe }),
    ...(s.behind === undefined ? {} : { behind: s.behind }),
    ...(s.retired === undefined ? {} : { retired: s.retired }),
    ...(s.next === undefined ? {} : { next: s.next }),
    ...(s.replaces === undefined ? {} : { replaces: s.replaces }),
  };
}

/** What the table's actions may do to one server of a transition (one per transition, lent to each input in turn: see input). */
class ServerAct implements Act {
  private declare readonly t: Transition;
  declare index: number;

  constructor(t: Transition, index: number) {
    this.t = t;
    this.index = index;
  }

  get at(): Ms {
    return this.t.now;
  }

  get phase(): Phase {
    return this.t.currentPhase;
  }

  get server(): Server {
    return this.t.serverAt(this.index);
  }

  setLife(life: Life): void {
    this.t.lifeOf(this.index, life);
  }

  setServer(change: Partial<Pick<Server, "retries" | "healthFails" | "probing" | "watchdogAt">>): void {
    this.t.changeServer(this.index, change);
  }

  log(record: LogRecord): void {
    this.t.logRecord(record);
  }

  spawn(): void {
    this.t.spawnIfDown(this.index);
  }

  respawn(): void {
    this.t.respawnNow(this.index);
  }

  kill(signal: Signal, group = true): void {
    const life = this.server.life;
    if (life.kind === "alive") this.t.effect({ type: "kill", server: this.index, pid: life.pid, signal, group });
  }

  arm(kind: "stop" | "probe" | "ready" | "watchdog" | "backoff", at: Ms): void {
    this.t.effect({ type: "arm", timer: timerOf(kind, this.index), at });
  }

  disarm(kind: "stop" | "probe" | "ready" | "watchdog" | "backoff"): void {
    this.t.effect({ type: "disarm", timer: timerOf(kind, this.index) });
  }

  killRemnants(pgid: number, signal: Signal): void {
    this.t.effect({ type: "kill-remnants", server: this.index, pgid, signal });
  }

  killRemnantsLater(pgid: number): void {
    this.t.leaveBehind(this.index, pgid);
  }

  stopTimeout(): Ms {
    return this.t.serverStopTimeout(this.index);
  }

  interval(): Ms {
    return this.t.serverInterval(this.index);
  }

  waitingFor(): string[] {
    return this.t.serverWaitingFor(this.index);
  }

  waitsForOld(): { readonly pid: number | null } | null {
    return this.server.behind === undefined ? null : { pid: this.t.oldPidOf(this.index) };
  }
}

/** What a re-exec at `execAt` hands across: every server's life in the handover's terms. */
export function handoverOf(state: State, execAt: Ms | null): Handover {
  // Each current server's index in the handover (a spec an old process runs names its dependencies so).
  const index = new Map<number, number>();
  state.servers.forEach((s, i) => { if (isCurrent(s)) index.set(i, index.size); });
  return {
    pendingRevive: state.pendingRevive,
    alarmAt: state.alarmAt,
    ...(state.systemd.ready ? { systemdReady: true } : {}),
    execAt,
    // Servers a reload removed are not handed over (the re-exec waits until they ended: they are forgotten). So no
    // server waits behind one's old process (`behind`) at a handover: nothing of it travels, and none starts early.
    servers: state.servers.filter(isCurrent).map((s): HandoverServer => {
      const l = s.life;
      // The normal form (marshal.ts): defaults left out.
      const common = s.retries === 0 ? { spawns: s.spawns, lastExit: s.lastExit } : { spawns: s.spawns, lastExit: s.lastExit, retries: s.retries };
      switch (l.kind) {
        case "unborn":
        case "starting":
          return { kind: "unborn", ...common };
        case "waiting":
          return { kind: "waiting", ...common };
        case "backoff":
          return { kind: "backoff", ...common, since: l.since, until: l.until };
        case "alive":
          return {
            kind: "alive", ...common, pid: l.pid, since: l.since, stop: l.stop, ...(l.ready ? {} : { ready: false }),
            // A copy a rolling reload has not replaced: the new image runs it on under the spec its process runs.
            ...(keepsOldProcess(s) ? { runs: withDependencies(s.spec, index) } : {}),
          };
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

/** `spec` with its dependencies as the handover's indices (`index`: slot → index), those that are not handed across left out. */
function withDependencies(spec: ServerSpec, index: ReadonlyMap<number, number>): ServerSpec {
  if (spec.dependsOn === undefined) return spec;
  return { ...spec, dependsOn: spec.dependsOn.flatMap((d) => { const k = index.get(d); return k === undefined ? [] : [k]; }) };
}

/** Its probe in flight answered (or is gone): none is stale any more. */
function withoutStale(s: Server): Server {
  if (s.staleProbe === undefined) return s;
  const { staleProbe: _, ...rest } = s;
  return rest;
}

/** A server without a pending spec. */
function withoutNext(s: Server): Server {
  if (s.next === undefined) return s;
  const { next: _, ...rest } = s;
  return rest;
}
