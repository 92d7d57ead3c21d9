// A reference model of the supervision policy, written from docs/spec.md alone, as
// plainly as possible: mutable, one method per thing that can happen. It owns
// everything the policy decides, deadlines included, and says for every event
// what the core must do about it (the Expected effects): which servers are
// spawned, which pids get which signal (to the group or the process alone),
// whose remnants get which signal, which children are adopted after a
// re-exec, whether a re-exec is carried out now, the exit status, an
// operator's answer. Its timers (the alarm, every stop order's SIGKILL
// deadline) are the ones the shell must have armed, at exactly these instants.
//
// It keeps running across a re-exec on its own state: `exec(at)` ends the old
// image, and the new image's start takes over what the model itself knew,
// never what the core handed across. The properties (check.ts) and the
// simulator (test/sim/world.ts) compare the core with it after every step.
//
// It imports nothing from src/core but types and signal numbers.
import { SIGINT, SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import type { ControlCommand, Event, ExitStatus, ServerSpec, Settings, TimerName } from "../../src/core/types.ts";

export type ModelKind = "unborn" | "starting" | "alive" | "buried" | "cremated";

export interface ModelStop {
  /** When SIGKILL is due; null when it was SIGKILLed (second terminate, alarm) before any order gave it one. */
  deadline: number | null;
  killed: boolean;
  then: "cremate" | "start" | "fail";
}

export interface ModelServer {
  kind: ModelKind;
  /** The pid of its process (alive only; 0 otherwise). */
  pid: number;
  /** alive: when it started; buried, cremated: when it became so. */
  since: number;
  why: "crash-loop" | "spawn-failed" | "clean-exit" | "stopped" | null;
  stop: ModelStop | null;
  spawns: number;
  lastExit: ExitStatus | null;
}

export type ModelPhase =
  | { kind: "booting" }
  | { kind: "running" }
  | { kind: "stopping"; status: number; killed: boolean }
  /** Between the old image's exec and the new image's start. */
  | { kind: "exec" }
  | { kind: "exited"; status: number };

export interface KillFx { server: number; pid: number; signal: number; group: boolean }
export interface RemnantsFx { server: number; pgid: number; signal: number }

/** What the core must do about one event (logs aside). */
export interface Expected {
  spawns: number[];
  kills: KillFx[];
  remnants: RemnantsFx[];
  adopts: { server: number; pid: number }[];
  /** A re-exec is carried out in this step. */
  reexec: boolean;
  exit: number | null;
  /** An operator's command: answered ok (true) or refused (false); null for other events. */
  reply: boolean | null;
  /** Why, in words, for messages: what the model did in this step. */
  notes: string[];
}

function expected(): Expected {
  return { spawns: [], kills: [], remnants: [], adopts: [], reexec: false, exit: null, reply: null, notes: [] };
}

export const ALARM_EXIT = 142;

/** docs/spec.md, "When a server's process ends": status 0, or death by SIGTERM or SIGINT. */
export function isClean(status: ExitStatus): boolean {
  if (status.kind === "code") return status.code === 0;
  if (status.kind === "signal") return status.signal === SIGTERM || status.signal === SIGINT;
  return false;
}

/** The model's view of what a re-exec hands across (starting counts as unborn: its spawn was never answered). */
export interface ModelHandover {
  pendingRevive: boolean;
  alarmAt: number | null;
  servers: { kind: "unborn" | "alive" | "buried" | "cremated"; spawns: number; lastExit: ExitStatus | null; pid?: number; since?: number; why?: string; stop?: ModelStop | null }[];
}

export class Model {
  phase: ModelPhase = { kind: "booting" };
  pendingRevive = false;
  pendingReexec = false;
  /** The --alarm deadline (absolute), kept across a re-exec; null when none is pending. */
  alarmAt: number | null = null;
  /** The instant of the last re-exec: a child found ended at the take-over died at or after it. */
  execAt: number | null = null;
  readonly servers: ModelServer[];
  private x: Expected = expected();
  private at = 0;

  constructor(readonly specs: readonly ServerSpec[], readonly settings: Settings) {
    this.servers = specs.map(() => ({ kind: "unborn", pid: 0, since: 0, why: null, stop: null, spawns: 0, lastExit: null }));
  }

  /**
   * A model of an image that handed this across and then exec'd at `execAt`
   * (for checking a take-over from any handover, as an older image may write it).
   */
  static afterExec(specs: readonly ServerSpec[], settings: Settings, h: ModelHandover, execAt: number): Model {
    const m = new Model(specs, settings);
    m.pendingRevive = h.pendingRevive;
    m.alarmAt = h.alarmAt;
    h.servers.forEach((x, i) => {
      Object.assign(m.servers[i]!, {
        kind: x.kind, pid: x.pid ?? 0, since: x.since ?? 0, why: x.why ?? null, stop: x.stop === undefined || x.stop === null ? null : { ...x.stop },
        spawns: x.spawns, lastExit: x.lastExit,
      });
    });
    m.phase = { kind: "exec" };
    m.execAt = execAt;
    return m;
  }

  /** The exit status once exited, else null. */
  get status(): number | null {
    return this.phase.kind === "exited" ? this.phase.status : null;
  }

  kinds(): ModelKind[] {
    return this.servers.map((s) => s.kind);
  }

  /** Every timer the shell must have armed now, at exactly this instant: the alarm, and each stop order not yet SIGKILLed. */
  timers(): Map<TimerName, number> {
    const out = new Map<TimerName, number>();
    if (this.phase.kind === "exited") return out;
    if (this.alarmAt !== null) out.set("alarm", this.alarmAt);
    this.servers.forEach((s, i) => {
      if (s.kind === "alive" && s.stop !== null && !s.stop.killed && s.stop.deadline !== null) out.set(`stop:${i}`, s.stop.deadline);
    });
    return out;
  }

  stopSignal(i: number): number {
    return this.specs[i]?.stopSignal ?? SIGTERM;
  }

  stopTimeout(i: number): number {
    return this.specs[i]?.stopTimeoutMs ?? this.settings.stopTimeoutMs;
  }

  interval(i: number): number {
    return this.specs[i]?.intervalMs ?? this.settings.intervalMs;
  }

  /** What the model hands across a re-exec now. */
  handover(): ModelHandover {
    return {
      pendingRevive: this.pendingRevive,
      alarmAt: this.alarmAt,
      servers: this.servers.map((s) => {
        const common = { spawns: s.spawns, lastExit: s.lastExit };
        switch (s.kind) {
          case "unborn":
          case "starting": return { kind: "unborn" as const, ...common };
          case "alive": return { kind: "alive" as const, ...common, pid: s.pid, since: s.since, stop: s.stop === null ? null : { ...s.stop } };
          case "buried": return { kind: "buried" as const, ...common, since: s.since, why: s.why as string };
          case "cremated": return { kind: "cremated" as const, ...common, since: s.since, why: s.why as string };
        }
      }),
    };
  }

  /**
   * The old image exec'd at `at`: the next start event is the new image's, and
   * it takes over the model's own state. A complaint when a re-exec should not
   * have happened now (not running, or a spawn's result still on its way).
   */
  exec(at: number): string | null {
    const problem = this.phase.kind !== "running" ? `the supervisor re-exec'd while ${this.phase.kind} (a re-exec is ignored during a shutdown)`
      : this.servers.some((s) => s.kind === "starting") ? `the supervisor re-exec'd while the spawn of server ${this.servers.findIndex((s) => s.kind === "starting")} was in flight (its process would be lost)`
      : null;
    this.phase = { kind: "exec" };
    this.execAt = at;
    this.pendingReexec = false;
    return problem;
  }

  apply(e: Event): Expected {
    this.x = expected();
    this.at = e.at;
    if (this.phase.kind === "exited") return this.x;
    switch (e.type) {
      case "start":
        if (this.phase.kind === "booting") this.startFresh();
        else if (this.phase.kind === "exec") this.takeOver();
        break;
      case "spawned": {
        const s = this.servers[e.server];
        if (s?.kind === "starting") this.comeAlive(e.server, e.pid);
        break;
      }
      case "spawn-failed": {
        const s = this.servers[e.server];
        if (s?.kind === "starting") this.become(e.server, "buried", "spawn-failed");
        break;
      }
      case "exited":
        this.exited(e.pid, e.status, e.atTakeover === true);
        break;
      case "revive":
        this.revive();
        break;
      case "terminate":
        this.terminate();
        break;
      case "timer":
        this.timer(e.timer);
        break;
      case "control":
        this.control(e.command);
        break;
      case "reexec":
        if (this.phase.kind === "running") this.pendingReexec = true;
        else this.x.notes.push("re-exec ignored: not running");
        break;
      case "info":
      case "stray-signal":
      case "reexec-failed":
      case "log-dropped":
      case "log-file-failing":
      case "log-file-resumed":
      case "problem":
        break;
    }
    this.settle();
    return this.x;
  }

  // --- the supervisor ----------------------------------------------------------

  private startFresh(): void {
    this.phase = { kind: "running" };
    this.alarmAt = this.settings.alarmMs > 0 ? this.at + this.settings.alarmMs : null;
    this.specs.forEach((spec, i) => { if (spec.autostart !== false) this.spawn(i); });
  }

  /** docs/spec.md, "Live re-exec": the alive are adopted (their stop orders go on), the buried revived, the cremated stay so. */
  private takeOver(): void {
    this.phase = { kind: "running" };
    this.servers.forEach((s, i) => {
      switch (s.kind) {
        case "alive":
          this.x.adopts.push({ server: i, pid: s.pid });
          break;
        case "starting": // its spawn was lost in the exec (exec() complained): it starts from scratch
          s.kind = "unborn";
          if (this.specs[i]?.autostart !== false) this.spawn(i);
          break;
        case "unborn":
          if (this.specs[i]?.autostart !== false) this.spawn(i);
          break;
        case "buried":
          this.x.notes.push(`server ${i} revived by the re-exec`);
          this.spawn(i);
          break;
        case "cremated":
          break;
      }
    });
  }

  private revive(): void {
    switch (this.phase.kind) {
      case "booting":
        this.pendingRevive = true;
        return;
      case "running":
        this.pendingRevive = false;
        this.servers.forEach((s, i) => { if (s.kind === "buried") this.spawn(i); });
        return;
      default:
        this.x.notes.push("revive ignored: shutting down");
        return;
    }
  }

  private terminate(): void {
    switch (this.phase.kind) {
      case "booting":
      case "running":
        this.phase = { kind: "stopping", status: 0, killed: false };
        this.servers.forEach((s, i) => { if (s.kind === "alive") this.order(i, "cremate"); });
        return;
      case "stopping":
        this.x.notes.push("a second terminate: SIGKILL to every group");
        this.killEverything(this.phase.status);
        return;
      default:
        return;
    }
  }

  /** A second terminate, or the alarm: SIGKILL to every group still running; exit with `status` once all have ended. */
  private killEverything(status: number): void {
    if (this.phase.kind === "stopping" && this.phase.killed && this.phase.status === status) return;
    this.phase = { kind: "stopping", status, killed: true };
    this.servers.forEach((s, i) => { if (s.kind === "alive" && !(s.stop?.killed ?? false)) this.killNow(i); });
  }

  private timer(name: TimerName): void {
    if (name === "alarm") {
      if (this.alarmAt === null || this.at < this.alarmAt) return; // stale, or early (armed again)
      this.x.notes.push("the alarm: SIGKILL to every group, exit 142");
      this.alarmAt = null;
      this.killEverything(ALARM_EXIT);
      return;
    }
    const i = Number(name.slice("stop:".length));
    const s = this.servers[i];
    if (s === undefined || s.kind !== "alive" || s.stop === null || s.stop.killed || s.stop.deadline === null) return;
    if (this.at < s.stop.deadline) return; // early: armed again
    this.x.notes.push(`server ${i}'s stop deadline: SIGKILL`);
    s.stop.killed = true;
    this.x.kills.push({ server: i, pid: s.pid, signal: SIGKILL, group: true });
  }

  private control(c: ControlCommand): void {
    if (c.op === "shutdown") {
      this.x.reply = true;
      this.terminate();
      return;
    }
    if (this.phase.kind !== "running") {
      this.x.reply = false;
      return;
    }
    if (c.op === "revive" && c.server === null) {
      this.x.reply = true;
      this.revive();
      return;
    }
    const i = c.server as number;
    const s = this.servers[i];
    if (s === undefined) {
      this.x.reply = false;
      return;
    }
    const dead = s.kind === "unborn" || s.kind === "buried" || s.kind === "cremated";
    switch (c.op) {
      case "revive":
        this.x.reply = s.kind === "buried";
        if (s.kind === "buried") this.spawn(i);
        return;
      case "stop":
        this.x.reply = s.kind !== "starting";
        if (s.kind === "alive") this.order(i, "cremate");
        else if (s.kind === "unborn" || s.kind === "buried") this.become(i, "cremated", "stopped");
        return;
      case "start":
        if (dead) {
          this.x.reply = true;
          this.spawn(i);
        } else if (s.kind === "alive" && s.stop !== null) {
          this.x.reply = true;
          this.order(i, "start");
        } else {
          this.x.reply = false;
        }
        return;
      case "restart":
        this.x.reply = s.kind !== "starting";
        if (dead) this.spawn(i);
        else if (s.kind === "alive") this.order(i, "start");
        return;
      case "signal":
        this.x.reply = s.kind === "alive";
        if (s.kind === "alive") this.x.kills.push({ server: i, pid: s.pid, signal: c.signal, group: false });
        return;
    }
  }

  /** After every event: a pending revive once nothing is starting, a pending re-exec likewise, then exit or wait. */
  private settle(): void {
    const starting = this.servers.some((s) => s.kind === "starting");
    if (this.phase.kind === "running" && this.pendingRevive && !starting) this.revive();
    if (this.pendingReexec && !this.servers.some((s) => s.kind === "starting")) {
      this.pendingReexec = false;
      if (this.phase.kind === "running") this.x.reexec = true;
    }
    const living = this.servers.some((s) => s.kind === "alive" || s.kind === "starting");
    if (this.phase.kind === "running" && !living && !this.servers.some((s) => s.kind === "buried" || s.kind === "unborn")) this.exit(0);
    else if (this.phase.kind === "stopping" && !living) this.exit(this.phase.status);
  }

  private exit(status: number): void {
    this.alarmAt = null;
    this.phase = { kind: "exited", status };
    this.x.exit = status;
  }

  // --- one server ------------------------------------------------------------------

  /** Start it: only while running, and not if it is alive or being started. */
  private spawn(i: number): void {
    const s = this.servers[i]!;
    if (this.phase.kind !== "running" || s.kind === "alive" || s.kind === "starting") return;
    Object.assign(s, { kind: "starting", pid: 0, stop: null, why: null });
    s.spawns++;
    this.x.spawns.push(i);
  }

  private become(i: number, kind: "buried" | "cremated", why: ModelServer["why"]): void {
    Object.assign(this.servers[i]!, { kind, pid: 0, since: this.at, why, stop: null });
  }

  private comeAlive(i: number, pid: number): void {
    Object.assign(this.servers[i]!, { kind: "alive", pid, since: this.at, why: null, stop: null });
    if (this.phase.kind !== "stopping") return;
    // A spawn that was in flight when the shutdown began: its order now (SIGKILL after a second terminate).
    if (this.phase.killed) this.killNow(i);
    else this.order(i, "cremate");
  }

  /** A stop order: its stop signal to its group now, SIGKILL at its own deadline. An order already given keeps its deadline. */
  private order(i: number, then: ModelStop["then"]): void {
    const s = this.servers[i]!;
    if (s.stop !== null) {
      s.stop.then = then;
      return;
    }
    s.stop = { deadline: this.at + this.stopTimeout(i), killed: false, then };
    this.x.kills.push({ server: i, pid: s.pid, signal: this.stopSignal(i), group: true });
  }

  private killNow(i: number): void {
    const s = this.servers[i]!;
    s.stop = { deadline: s.stop?.deadline ?? null, killed: true, then: "cremate" };
    this.x.kills.push({ server: i, pid: s.pid, signal: SIGKILL, group: true });
  }

  private exited(pid: number, status: ExitStatus, atTakeover: boolean): void {
    const i = this.servers.findIndex((s) => s.kind === "alive" && s.pid === pid);
    if (i < 0) {
      this.x.notes.push(`pid ${pid} is no alive server's: nothing changes`);
      return;
    }
    const s = this.servers[i]!;
    s.lastExit = status;
    if (s.stop !== null || this.phase.kind === "stopping") {
      // Stopped on purpose: cremated whatever it died of; nothing of its group may survive it.
      const then = s.stop?.then;
      this.x.remnants.push({ server: i, pgid: pid, signal: SIGKILL });
      this.become(i, "cremated", "stopped");
      if (then === "start") this.spawn(i);
      return;
    }
    // It ended by itself: what is left of its group is asked to stop.
    this.x.remnants.push({ server: i, pgid: pid, signal: SIGTERM });
    // A child found ended at the take-over died during the exec: at its instant at the earliest.
    const end = atTakeover && this.execAt !== null ? Math.min(this.at, this.execAt) : this.at;
    if (isClean(status)) {
      this.become(i, "cremated", "clean-exit");
    } else if (end - s.since < this.interval(i)) {
      this.x.notes.push(`server ${i} lived ${end - s.since} < ${this.interval(i)} ms: buried`);
      this.become(i, "buried", "crash-loop");
    } else {
      this.x.notes.push(`server ${i} lived ${end - s.since} >= ${this.interval(i)} ms: respawned`);
      s.kind = "unborn"; // (it is spawned at once)
      this.spawn(i);
    }
  }
}
