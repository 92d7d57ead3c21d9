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
// Issue 14's policy is the model's too, written from docs/spec.md and the
// issue, not from the core: readiness (a polled probe every READY_POLL_MS, or
// READY=1, or a matching line; ready_timeout a failed start judged as a
// crash), what each server waits for (depends_on), health failure streaks
// (one stop order with then=start per streak), the watchdog, restart =
// "on-failure" | "always" | "never", backoff counts and due times (delay =
// min(max, initial·2^n); n reset by a life of at least the interval and by a
// revive), dependents stopped first at a shutdown, and
// what lazarus tells systemd (READY=1 once, STATUS=, STOPPING=1, WATCHDOG=1).
// Every timer of a server (stop, probe, ready, watchdog, backoff) and the
// supervisor's (alarm, sd-watchdog) is the model's, at its instant.
//
// Issue 15's reloads and rolling restarts are the model's too (docs/spec.md, "Reload",
// "Scale"): a roll's slot aside for a copy's new process (start-first), the swap once
// it is ready, the wait for the old process moved aside, stop-first in place, where a
// roll stops and why (answered and logged in the core's words), what ends it (a
// reload, a scale, a re-exec, a shutdown), and rolling reloads.
//
// What is left of the group of a server that ended by itself is the model's too (docs/spec.md, "When a server's
// process ends"): SIGTERM at its end, SIGKILL at its stop timeout after it, each group's deadline its own (one timer,
// `leftovers`, for the earliest), at most MODEL_MAX_LEFTOVERS of them.
//
// It imports nothing from src/core but types and signal numbers.
import { SIGINT, SIGKILL, SIGTERM } from "../../src/core/signals.ts";
import type { ControlCommand, Event, ExitStatus, ProbePurpose, ProbeSpec, ServerSpec, Settings, TimerName } from "../../src/core/types.ts";

export type ModelKind = "unborn" | "waiting" | "starting" | "alive" | "backoff" | "buried" | "cremated";

/** How often an unready server's readiness probe is tried (docs/spec.md: polled), and the longest one attempt may take. */
export const MODEL_READY_POLL_MS = 200;
export const MODEL_READY_PROBE_TIMEOUT_MS = 2000;
/** docs/spec.md, "When a server's process ends": at most this many ended groups wait for their SIGKILL. */
export const MODEL_MAX_LEFTOVERS = 64;

/** What is left of the group `pgid` of server `server`'s process, which ended by itself: SIGKILLed at `at`; `seq`: the order they came in. */
export interface ModelLeftover { pgid: number; server: number; at: number; seq: number }

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
  why: "crash-loop" | "spawn-failed" | "crashed" | "clean-exit" | "stopped" | null;
  stop: ModelStop | null;
  spawns: number;
  lastExit: ExitStatus | null;
  /** alive: it said it is ready (at once without a readiness check). */
  ready: boolean;
  /** Fast crashes in a row retried by its backoff. */
  retries: number;
  /** backoff: when it is started again. */
  until: number;
  /**
   * Spawns in a row that failed for want of a resource (a spawn-failed event with `short`): it waits in
   * backoff and is tried again after 1 s, 2 s, 4 s, then every 5 s, for as long as that fails; carried by
   * the retry's spawn only (any other start counts from 0).
   */
  short: number;
  /** Failed health probes in a row. */
  healthFails: number;
  /**
   * The probe in flight (never two): for which process, and why; `stale`: of a health check a reload changed since it
   * was asked for (its answer counts for nothing, and the new check's next probe follows it by the new interval).
   */
  probing: { pid: number; purpose: ProbePurpose; stale?: boolean } | null;
  /** Its timers as the shell must have them armed (null: none). */
  probeAt: number | null;
  readyAt: number | null;
  watchdogTimer: number | null;
  /** With a watchdog: when it expires unless WATCHDOG=1 comes first. */
  watchdogAt: number | null;
  /** A reload removed it: stopped, never started again, forgotten once ended (its slot stays). */
  retired: boolean;
  /** A reload changed it while its process ran: the spec it starts with once that process has ended. */
  next: ServerSpec | null;
  /**
   * A rolling restart's slot aside (start-first): the new process of copy N,
   * not a server of its own (no name, no dependents, never handed across);
   * null for every other slot.
   */
  replaces: number | null;
  /**
   * A reload added it while a process in its seat (its name; its table's same copy; a table's server without copies
   * and its copies: a rename) still ran, a removed server's (or a rolling restart's, retired) in this slot: it does
   * not start before that process has ended (then the next such process, if any). null: none.
   */
  behind: number | null;
}

/**
 * A rolling restart under way (docs/spec.md, "Scale": Rolling restart, Rolling
 * reload), in the model's own words: the copies done, the one being replaced,
 * its old pid and the first new process seen of it, the slot aside where its
 * new process starts (start-first), the slot its old process moved to once
 * replaced (which the next copy waits for to end), the copies still to do.
 */
export interface ModelRoll {
  /** The request to answer at the end (null: a reload's, whose end is only logged). */
  id: number | null;
  reload: boolean;
  name: string;
  done: number[];
  current: number;
  old: number | null;
  fresh: number | null;
  aside: number | null;
  draining: number | null;
  rest: number[];
}

export type ModelPhase =
  | { kind: "booting" }
  | { kind: "running" }
  | { kind: "stopping"; status: number; killed: boolean }
  /** Between the old image's exec and the new image's start. */
  | { kind: "exec" }
  | { kind: "exited"; status: number };

export interface KillFx { server: number; pid: number; signal: number; group: boolean }
export interface ProbeFx { server: number; pid: number; purpose: ProbePurpose; probe: ProbeSpec; timeoutMs: number }
export interface RemnantsFx { server: number; pgid: number; signal: number }

/** What the core must do about one event (logs aside). */
export interface Expected {
  spawns: number[];
  kills: KillFx[];
  remnants: RemnantsFx[];
  adopts: { server: number; pid: number }[];
  probes: ProbeFx[];
  /** What is said to systemd, in order. */
  sdNotify: string[];
  /** A re-exec is carried out in this step. */
  reexec: boolean;
  /** What it hands across (as the model has it when it decides: the same step may then exit, which clears the alarm). */
  handover: ModelHandover | null;
  exit: number | null;
  /** An operator's command: answered ok (true) or refused (false); null for other events. */
  reply: boolean | null;
  /** Why, in words, for messages: what the model did in this step. */
  notes: string[];
  /** A reload applied in this step: its slots by what it did to them (null: none). */
  reload: { added: number[]; changed: number[]; removed: number[]; unchanged: number[]; updated: number[]; summary: ModelSummary } | null;
  /** Rolling restarts answered in this step (the request, ok, the text: docs/spec.md, "Scale"). */
  answers: { id: number; ok: boolean; text: string }[];
  /** Rolling restarts that ended in this step: their log lines ("rolling restart of 'web' done: …", "… stopped at …"). */
  rollEnds: string[];
}

function expected(): Expected {
  return { spawns: [], kills: [], remnants: [], adopts: [], probes: [], sdNotify: [], reexec: false, handover: null, exit: null, reply: null, notes: [], reload: null, answers: [], rollEnds: [] };
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
  /** Under systemd: READY=1 was sent. */
  systemdReady?: boolean;
  servers: {
    kind: "unborn" | "waiting" | "alive" | "backoff" | "buried" | "cremated"; spawns: number; lastExit: ExitStatus | null; retries?: number;
    pid?: number; since?: number; until?: number; why?: string; stop?: ModelStop | null; ready?: boolean;
  }[];
}

function fresh(): ModelServer {
  return {
    kind: "unborn", pid: 0, since: 0, why: null, stop: null, spawns: 0, lastExit: null, ready: false, retries: 0, until: 0, short: 0, healthFails: 0,
    probing: null, probeAt: null, readyAt: null, watchdogTimer: null, watchdogAt: null, retired: false, next: null, replaces: null, behind: null,
  };
}

/** A readiness check that is polled (tcp, http, cmd), or null (notify, log: told). */
function pollOf(spec: ServerSpec | undefined): ProbeSpec | null {
  const r = spec?.ready;
  return r === undefined || r.kind === "notify" || r.kind === "log" ? null : r;
}

export class Model {
  phase: ModelPhase = { kind: "booting" };
  pendingRevive = false;
  pendingReexec = false;
  /** The --alarm deadline (absolute), kept across a re-exec; null when none is pending. */
  alarmAt: number | null = null;
  /** The instant of the last re-exec: a child found ended at the take-over died at or after it. */
  execAt: number | null = null;
  /** Under systemd: READY=1 was sent (kept across a re-exec); the last STATUS= this image sent. */
  sdReady = false;
  sdStatus = "";
  /** lazarus's own WATCHDOG=1 timer (Settings.systemd.watchdogMs). */
  sdWatchdogAt: number | null = null;
  /** Who depends on each server. */
  dependents: number[][];
  /** Each slot's spec (a reload changes them; a re-exec orders them as the new image's configuration does). */
  specs: ServerSpec[];
  servers: ModelServer[];
  settings: Settings;
  /** The rolling restart under way (null: none). Never handed across: a re-exec ends it. */
  roll: ModelRoll | null = null;
  /** What is left of the groups of servers that ended by themselves, each SIGKILLed at its deadline (in no order: see earliest). Dropped at a re-exec. */
  leftovers: ModelLeftover[] = [];
  private leftoverSeq = 0;
  private x: Expected = expected();
  private at = 0;

  constructor(specs: readonly ServerSpec[], settings: Settings) {
    this.specs = [...specs];
    this.settings = settings;
    this.servers = specs.map(() => fresh());
    this.dependents = [];
    this.findDependents();
  }

  /** Who depends on each server, from the current servers' specs (a removed server depends on nothing). */
  private findDependents(): void {
    this.dependents = this.specs.map(() => []);
    this.specs.forEach((s, i) => {
      const m = this.servers[i];
      if (m?.retired === true || (m?.replaces ?? null) !== null) return;
      for (const d of (m?.next ?? s).dependsOn ?? []) this.dependents[d]?.push(i);
    });
  }

  /**
   * A model of an image that handed this across and then exec'd at `execAt`
   * (for checking a take-over from any handover, as an older image may write it).
   */
  static afterExec(specs: readonly ServerSpec[], settings: Settings, h: ModelHandover, execAt: number): Model {
    const m = new Model(specs, settings);
    m.pendingRevive = h.pendingRevive;
    m.alarmAt = h.alarmAt;
    m.sdReady = h.systemdReady ?? false;
    h.servers.forEach((x, i) => {
      Object.assign(m.servers[i]!, {
        kind: x.kind, pid: x.pid ?? 0, since: x.since ?? 0, why: x.why ?? null, stop: x.stop === undefined || x.stop === null ? null : { ...x.stop },
        spawns: x.spawns, lastExit: x.lastExit, retries: x.retries ?? 0, until: x.until ?? 0, ready: x.ready ?? true,
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
    if (this.sdWatchdogAt !== null) out.set("sd-watchdog", this.sdWatchdogAt);
    const first = this.earliestLeftover();
    if (first !== null) out.set("leftovers", first.at);
    this.servers.forEach((s, i) => {
      if (s.kind === "alive" && s.stop !== null && !s.stop.killed && s.stop.deadline !== null) out.set(`stop:${i}`, s.stop.deadline);
      if (s.kind === "alive" && s.probeAt !== null) out.set(`probe:${i}`, s.probeAt);
      if (s.kind === "alive" && s.readyAt !== null) out.set(`ready:${i}`, s.readyAt);
      if (s.kind === "alive" && s.watchdogTimer !== null) out.set(`watchdog:${i}`, s.watchdogTimer);
      if (s.kind === "backoff") out.set(`backoff:${i}`, s.until);
    });
    return out;
  }

  /** A retired server's process still running (or being started) in server i's seat (-1: none), the first by slot. */
  oldProcessIn(i: number): number {
    const me = this.specs[i]!.name;
    // (NAME and NAME.N: a table's server without copies and one of its copies, a rename)
    const copyOf = (name: string, table: string) => name.startsWith(`${table}.`) && /^[1-9][0-9]*$/.test(name.slice(table.length + 1));
    return this.servers.findIndex((s, j) => {
      if (j === i || !s.retired || (s.kind !== "alive" && s.kind !== "starting")) return false;
      const other = this.specs[j]!.name;
      return other === me || copyOf(other, me) || copyOf(me, other);
    });
  }

  /** What server i waits for: the dependencies that are neither ready (alive, ready, not stopping) nor done (ended cleanly). */
  waitsFor(i: number): number[] {
    return (this.specs[i]?.dependsOn ?? []).filter((d) => {
      const s = this.servers[d];
      if (s === undefined) return false;
      return !((s.kind === "alive" && s.ready && s.stop === null) || (s.kind === "cremated" && s.why === "clean-exit"));
    });
  }

  /** Whether something that depends on server i still runs (alive, or being started). */
  dependentsRun(i: number): boolean {
    return (this.dependents[i] ?? []).some((d) => this.servers[d]?.kind === "alive" || this.servers[d]?.kind === "starting");
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
      systemdReady: this.sdReady,
      // A server a reload removed is not handed across (a re-exec waits until it ended: it is forgotten).
      servers: this.servers.filter((s) => this.current(s)).map((s) => {
        const common = { spawns: s.spawns, lastExit: s.lastExit, retries: s.retries };
        switch (s.kind) {
          case "unborn":
          case "starting": return { kind: "unborn" as const, ...common };
          case "waiting": return { kind: "waiting" as const, ...common };
          case "backoff": return { kind: "backoff" as const, ...common, since: s.since, until: s.until };
          case "alive": return { kind: "alive" as const, ...common, pid: s.pid, since: s.since, stop: s.stop === null ? null : { ...s.stop }, ready: s.ready };
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
  exec(at: number, specs?: readonly ServerSpec[]): string | null {
    const problem = this.phase.kind !== "running" ? `the supervisor re-exec'd while ${this.phase.kind} (a re-exec is ignored during a shutdown)`
      : this.servers.some((s) => s.kind === "starting") ? `the supervisor re-exec'd while the spawn of server ${this.servers.findIndex((s) => s.kind === "starting")} was in flight (its process would be lost)`
      : this.inFlight() >= 0 ? `the supervisor re-exec'd while server ${this.inFlight()}, ${this.servers[this.inFlight()]!.retired ? "removed (or a rolling restart's process aside)" : "changed"} by a reload, still ran its old process (reload: a re-exec waits for them)`
      : null;
    // The new image runs the configuration in force (the reloaded one), in its own order: each server
    // keeps its state by name; those a reload removed are forgotten.
    if (specs !== undefined) {
      const byName = new Map<string, ModelServer>();
      const runs = new Map<string, ServerSpec>();
      const nameOf = new Map<number, string>();
      this.servers.forEach((s, i) => {
        if (!this.current(s)) return;
        byName.set(this.specs[i]!.name, s);
        nameOf.set(i, this.specs[i]!.name);
        // A copy a rolling reload did not replace keeps its old process with the new spec pending: the new image runs
        // that process under the spec it runs, its next start under the configuration's.
        if (s.kind === "alive" && s.stop === null && s.next !== null) runs.set(this.specs[i]!.name, this.specs[i]!);
      });
      const slotOf = new Map(specs.map((spec, k) => [spec.name, k]));
      this.servers = specs.map((spec) => byName.get(spec.name) ?? fresh());
      this.specs = specs.map((spec) => {
        const old = runs.get(spec.name);
        if (old === undefined) return spec;
        // (its dependencies by name: those the new image has)
        return old.dependsOn === undefined ? old : { ...old, dependsOn: old.dependsOn.flatMap((d) => { const k = slotOf.get(nameOf.get(d) ?? ""); return k === undefined ? [] : [k]; }) };
      });
      this.servers.forEach((s, k) => { s.next = runs.has(specs[k]!.name) ? specs[k]! : null; });
      this.findDependents();
    }
    this.phase = { kind: "exec" };
    this.execAt = at;
    this.pendingReexec = false;
    // What was left of ended servers' groups is not handed across (docs/spec.md, "Live re-exec": dropped).
    this.leftovers = [];
    // Nothing of this image's timers or probes survives the exec; the new image tells systemd its STATUS= afresh.
    this.sdWatchdogAt = null;
    this.sdStatus = "";
    for (const s of this.servers) Object.assign(s, { probing: null, probeAt: null, readyAt: null, watchdogTimer: null, watchdogAt: null, healthFails: 0 });
    return problem;
  }

  /**
   * The first server a reload changed (and that is being stopped for it) or removed, or a rolling restart's
   * process aside, that still runs, or -1. (A copy a rolling reload did not reach keeps its old process and
   * its new spec pending: a re-exec does not wait for it.)
   */
  inFlight(): number {
    return this.servers.findIndex((s) => s.kind === "alive" && (s.retired || s.replaces !== null || (s.next !== null && s.stop !== null)));
  }

  /** A server of the configuration (not removed by a reload, nor a rolling restart's slot aside). */
  current(s: ModelServer): boolean {
    return !s.retired && s.replaces === null;
  }

  /**
   * What the core must do about event e. A reload's new configuration is the
   * event's, or `reload` when the caller knows it better (the simulator: what
   * it wrote in the files, not what the shell made of them).
   */
  apply(e: Event, reload?: { readonly settings: Settings; readonly servers: readonly ServerSpec[] }): Expected {
    this.x = expected();
    this.at = e.at;
    if (this.phase.kind === "exited") return this.x;
    switch (e.type) {
      case "start":
        if (this.phase.kind === "booting") this.startFresh();
        else if (this.phase.kind === "exec") this.takeOver();
        break;
      case "spawned": {
        // A pid handed out again is no group's id any more: what was left of that group is gone.
        this.leftovers = this.leftovers.filter((l) => l.pgid !== e.pid);
        const s = this.servers[e.server];
        if (s?.kind === "starting") {
          // A spawn that works ends a row of spawns that failed for want of a resource: the next row counts afresh.
          s.short = 0;
          this.comeAlive(e.server, e.pid);
          // A reload came while its spawn was on its way: now that it runs, it is stopped (removed) or restarted (changed).
          const now: ModelServer = s;
          if (now.kind === "alive" && now.stop === null && this.phase.kind === "running") {
            if (now.retired) this.order(e.server, "cremate");
            else if (now.next !== null) this.order(e.server, "start");
          }
        }
        break;
      }
      case "spawn-failed": {
        const s = this.servers[e.server];
        if (s?.kind !== "starting") break;
        if (e.short === true && !s.retired) {
          // For want of a resource: nothing is wrong with it, and it may come back. Tried again, never buried.
          const k = s.short + 1;
          const delay = Math.min(5000, 1000 * 2 ** (k - 1));
          this.x.notes.push(`server ${e.server}'s spawn failed for want of a resource (${k} in a row): tried again at ${this.at + delay}`);
          Object.assign(s, { kind: "backoff", pid: 0, since: this.at, until: this.at + delay, why: null, stop: null, short: k });
          this.takeNext(e.server);
          break;
        }
        // (a removed one is forgotten once ended: it never started)
        this.become(e.server, s.retired ? "cremated" : "buried", s.retired ? "stopped" : "spawn-failed");
        break;
      }
      case "reconfigure":
        this.reconfigure(reload?.servers ?? e.servers, reload?.settings ?? e.settings, e.scale !== undefined);
        break;
      case "reload-failed":
        this.x.reply = false;
        this.x.notes.push("a file that does not validate changes nothing");
        break;
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
        this.control(e.id, e.command);
        break;
      case "probe-result":
        this.probeResult(e.server, e.pid, e.purpose, e.ok);
        break;
      case "probe-interrupted":
        this.probeResult(e.server, e.pid, e.purpose, null);
        break;
      case "notify":
        this.notify(e.pid, e.ready, e.watchdog, e.trigger === true);
        break;
      case "output-match": {
        const i = this.aliveOf(e.pid);
        const s = this.servers[i];
        if (s !== undefined && !s.ready && s.stop === null && this.specs[i]?.ready?.kind === "log" && this.phase.kind === "running") this.becomeReady(i);
        break;
      }
      case "reexec":
        if (this.phase.kind === "running") {
          // A rolling restart is not handed across: it ends here.
          this.rollFailed("lazarus re-execs, which ends a rolling restart");
          this.pendingReexec = true;
        } else this.x.notes.push("re-exec ignored: not running");
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
    this.armSdWatchdog();
  }

  private armSdWatchdog(): void {
    const wd = this.settings.systemd?.watchdogMs ?? null;
    if (wd !== null) this.sdWatchdogAt = this.at + wd / 2;
  }

  /**
   * docs/spec.md, "Live re-exec": the alive are adopted (their stop orders go on, their checks resume: readiness
   * and its deadline, or health and a fresh watchdog window), those in backoff wait on, the waiting look again,
   * the buried are revived, the cremated stay so. Retries, readiness and backoff due times are the model's own.
   */
  private takeOver(): void {
    this.phase = { kind: "running" };
    this.servers.forEach((s, i) => {
      const spec = this.specs[i]!;
      switch (s.kind) {
        case "alive":
          this.x.adopts.push({ server: i, pid: s.pid });
          // (without a readiness check it is ready, whatever an older image said)
          if (spec.ready === undefined) s.ready = true;
          if (s.stop === null) this.resumeChecks(i);
          break;
        case "starting": // its spawn was lost in the exec (exec() complained): it starts from scratch
          s.kind = "unborn";
          if (spec.autostart !== false) this.spawn(i);
          break;
        case "unborn":
          if (spec.autostart !== false) this.spawn(i);
          break;
        case "waiting":
          s.kind = "unborn";
          this.spawn(i);
          break;
        case "buried":
          this.x.notes.push(`server ${i} revived by the re-exec`);
          this.reviveOne(i);
          break;
        case "backoff":
          // (a handover does not say whether it waits for a resource: the new image counts such spawns afresh)
          s.short = 0;
          break;
        case "cremated":
          break;
      }
    });
    this.armSdWatchdog();
  }

  private resumeChecks(i: number): void {
    const s = this.servers[i]!;
    const spec = this.specs[i]!;
    if (!s.ready) {
      if (pollOf(spec) !== null) s.probeAt = this.at + MODEL_READY_POLL_MS;
      if (spec.readyTimeoutMs !== undefined) s.readyAt = s.since + spec.readyTimeoutMs;
      return;
    }
    this.startChecks(i);
  }

  private revive(): void {
    switch (this.phase.kind) {
      case "booting":
        this.pendingRevive = true;
        return;
      case "running":
        this.pendingRevive = false;
        this.servers.forEach((s, i) => { if (s.kind === "buried") this.reviveOne(i); });
        return;
      default:
        this.x.notes.push("revive ignored: shutting down");
        return;
    }
  }

  /** A revive (or an operator's start) forgets its fast crashes: its backoff starts over. */
  private reviveOne(i: number): void {
    this.servers[i]!.retries = 0;
    this.spawn(i);
  }

  private terminate(): void {
    switch (this.phase.kind) {
      case "booting":
      case "running":
        this.phase = { kind: "stopping", status: 0, killed: false };
        if (this.settings.systemd !== undefined) this.x.sdNotify.push("STOPPING=1");
        // Dependents first: what something still running depends on waits for it (the rest in settle).
        this.servers.forEach((s, i) => {
          if (s.kind === "alive") {
            if (this.dependentsRun(i)) this.x.notes.push(`server ${i} waits for its dependents to stop`);
            else this.order(i, "cremate");
          } else if (s.kind === "waiting" || s.kind === "backoff") {
            this.become(i, "cremated", "stopped");
          }
        });
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
    // What is left of ended servers' groups is SIGKILLed now too.
    for (const l of this.leftovers) this.x.remnants.push({ server: l.server, pgid: l.pgid, signal: SIGKILL });
    this.leftovers = [];
  }

  /** The leftover due first (the first to come of those due at the same instant), or null. */
  private earliestLeftover(): ModelLeftover | null {
    let first: ModelLeftover | null = null;
    for (const l of this.leftovers) if (first === null || l.at < first.at || (l.at === first.at && l.seq < first.seq)) first = l;
    return first;
  }

  /** Server i's process `pgid` ended by itself: what is left of its group gets SIGKILL at its stop timeout (its own, else the global). */
  private leaveBehind(i: number, pgid: number): void {
    this.leftovers = this.leftovers.filter((l) => l.pgid !== pgid);
    if (this.leftovers.length >= MODEL_MAX_LEFTOVERS) {
      const first = this.earliestLeftover()!;
      this.x.notes.push(`${MODEL_MAX_LEFTOVERS} ended groups wait already: group ${first.pgid}'s SIGKILL now`);
      this.x.remnants.push({ server: first.server, pgid: first.pgid, signal: SIGKILL });
      this.leftovers = this.leftovers.filter((l) => l !== first);
    }
    this.leftovers.push({ pgid, server: i, at: this.at + this.stopTimeout(i), seq: this.leftoverSeq++ });
  }

  private timer(name: TimerName): void {
    if (name === "alarm") {
      if (this.alarmAt === null || this.at < this.alarmAt) return; // stale, or early (armed again)
      this.x.notes.push("the alarm: SIGKILL to every group, exit 142");
      this.alarmAt = null;
      this.killEverything(ALARM_EXIT);
      return;
    }
    if (name === "leftovers") {
      // Every group due by now (an early timer kills none: armed again).
      for (const l of this.leftovers) if (l.at <= this.at) this.x.remnants.push({ server: l.server, pgid: l.pgid, signal: SIGKILL });
      this.leftovers = this.leftovers.filter((l) => l.at > this.at);
      return;
    }
    if (name === "sd-watchdog") {
      const wd = this.settings.systemd?.watchdogMs ?? null;
      if (wd === null) return;
      this.x.sdNotify.push("WATCHDOG=1");
      this.sdWatchdogAt = this.at + wd / 2;
      return;
    }
    const colon = name.indexOf(":");
    const kind = name.slice(0, colon);
    const i = Number(name.slice(colon + 1));
    const s = this.servers[i];
    if (s === undefined) return;
    const running = this.phase.kind === "running";
    switch (kind) {
      case "stop":
        if (s.kind !== "alive" || s.stop === null || s.stop.killed || s.stop.deadline === null) return;
        if (this.at < s.stop.deadline) return; // early: armed again
        this.x.notes.push(`server ${i}'s stop deadline: SIGKILL`);
        s.stop.killed = true;
        this.x.kills.push({ server: i, pid: s.pid, signal: SIGKILL, group: true });
        return;
      case "probe":
        s.probeAt = null;
        if (s.kind === "alive" && s.stop === null && s.probing === null && running) this.probeNow(i);
        return;
      case "ready": {
        const rt = this.specs[i]!.readyTimeoutMs;
        s.readyAt = null;
        if (s.kind !== "alive" || s.ready || s.stop !== null || rt === undefined || !running) return;
        if (this.at < s.since + rt) {
          s.readyAt = s.since + rt; // early: armed again
          return;
        }
        this.x.notes.push(`server ${i} is not ready ${rt} ms after its start (${s.since}): a failed start`);
        this.order(i, "fail");
        return;
      }
      case "watchdog":
        s.watchdogTimer = null;
        if (s.kind !== "alive" || !s.ready || s.stop !== null || s.watchdogAt === null || !running) return;
        if (this.at < s.watchdogAt) {
          s.watchdogTimer = s.watchdogAt; // early: armed again
          return;
        }
        this.x.notes.push(`server ${i}'s watchdog expired (no WATCHDOG=1 since ${s.watchdogAt - (this.specs[i]!.watchdogMs ?? 0)}): unhealthy, restarted`);
        this.order(i, "start");
        return;
      case "backoff":
        if (s.kind !== "backoff" || this.at < s.until) return; // early: armed again
        this.x.notes.push(`server ${i}'s backoff is over: retried`);
        s.kind = "unborn";
        {
          const short = s.short;
          this.spawn(i);
          // (a retry for want of a resource goes on counting; one that waits for its dependencies starts afresh)
          if ((s.kind as ModelKind) === "starting") s.short = short;
        }
        return;
      default:
        return;
    }
  }

  private control(id: number, c: ControlCommand): void {
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
    if (c.op === "roll") return this.beginRoll(id, c.name, c.servers);
    const i = c.server as number;
    const s = this.servers[i];
    if (s === undefined || !this.current(s)) {
      this.x.reply = false;
      return;
    }
    const dead = s.kind === "unborn" || s.kind === "buried" || s.kind === "cremated" || s.kind === "backoff";
    switch (c.op) {
      case "revive":
        this.x.reply = s.kind === "buried";
        if (s.kind === "buried") this.reviveOne(i);
        return;
      case "stop":
        this.x.reply = s.kind !== "starting";
        if (s.kind === "alive") this.order(i, "cremate");
        else if (s.kind === "unborn" || s.kind === "buried" || s.kind === "waiting" || s.kind === "backoff") this.become(i, "cremated", "stopped");
        return;
      case "start":
        if (dead) {
          this.x.reply = true;
          this.startByHand(i);
        } else if (s.kind === "alive" && s.stop !== null) {
          this.x.reply = true;
          this.order(i, "start");
        } else {
          this.x.reply = false;
        }
        return;
      case "restart":
        this.x.reply = s.kind !== "starting" && s.kind !== "waiting";
        if (dead) this.startByHand(i);
        else if (s.kind === "alive") this.order(i, "start");
        return;
      case "signal":
        this.x.reply = s.kind === "alive";
        if (s.kind === "alive") this.x.kills.push({ server: i, pid: s.pid, signal: c.signal, group: false });
        return;
    }
  }

  /**
   * A reload (docs/spec.md, "Reload"), by name: an unchanged server is not
   * touched; a changed one that runs gets a stop order and starts again with
   * its new spec once its process has ended (one that does not run takes it at
   * once, and starts if it is unborn and now starts by itself); a new one starts
   * (autostart); a removed one gets a stop order (or is cremated at once when
   * it does not run) and is never started again. A slot never moves: a new
   * name is appended, or takes the slot of an ended removed server of that name.
   * New settings apply from now on (a changed alarm counts from now). Refused
   * during a shutdown.
   */
  private reconfigure(specs: readonly ServerSpec[], settings: Settings, scale = false): void {
    if (this.phase.kind !== "running") {
      this.x.reply = false;
      this.x.notes.push(`a reload while ${this.phase.kind} is refused`);
      return;
    }
    this.x.reply = true;
    // A rolling restart under way ends: the reload decides afresh what each copy runs.
    this.rollFailed(scale ? "a scale came" : "a reload came");
    const old = this.settings;
    // A table held at 0 copies before or after (`ctl scale NAME 0`) is no dependency to wait for: left out of both sides.
    const zero = new Set([...(old.scaledToZero ?? []), ...(settings.scaledToZero ?? [])]);
    this.settings = { ...settings, ...(old.systemd === undefined ? {} : { systemd: old.systemd }) };
    if (settings.alarmMs !== old.alarmMs) this.alarmAt = settings.alarmMs > 0 ? this.at + settings.alarmMs : null;
    const current = new Map<string, number>();
    this.servers.forEach((s, i) => { if (this.current(s)) current.set(this.specs[i]!.name, i); });
    const claimed = new Set<number>();
    let length = this.servers.length;
    const slots = specs.map((spec) => {
      const here = current.get(spec.name);
      if (here !== undefined) return here;
      const ended = this.servers.findIndex((s, i) => !this.current(s) && !claimed.has(i) && this.specs[i]!.name === spec.name && s.kind !== "alive" && s.kind !== "starting");
      if (ended >= 0) {
        claimed.add(ended);
        return ended;
      }
      return length++;
    });
    // Dependencies by name, a table's copy standing for the table (however many copies it has: a scale does not
    // change what depends on it).
    const depNames = (deps: readonly number[] | undefined, names: (d: number) => string) => (deps ?? []).map(names).filter((n) => !zero.has(n));
    const table = (x: ServerSpec | undefined, d: number) => x === undefined ? `#${d}` : x.group ?? x.name;
    const added: number[] = [];
    const changed: number[] = [];
    const unchanged: number[] = [];
    const updated: number[] = [];
    const said = { added: [] as string[], changed: [] as string[], removed: [] as string[], unchanged: [] as string[], updated: [] as string[] };
    // (changed or updated, in the file's order: one that does not run and now starts by itself is started)
    const respecified: number[] = [];
    specs.forEach((given, k) => {
      const slot = slots[k]!;
      const spec: ServerSpec = given.dependsOn === undefined ? given : { ...given, dependsOn: given.dependsOn.map((d) => slots[d]!) };
      if (!current.has(given.name)) {
        while (this.servers.length <= slot) {
          this.servers.push(fresh());
          this.specs.push(spec);
        }
        this.servers[slot] = fresh();
        this.specs[slot] = spec;
        added.push(slot);
        said.added.push(given.name);
        return;
      }
      const s = this.servers[slot]!;
      // What it is compared with: what its process runs while it keeps its old process with a new spec pending and no
      // stop order (a copy a rolling reload has not replaced: a reload that ends that roll carries the change on, one
      // that changes it back leaves it alone); else the spec it starts with next.
      const keeps = s.kind === "alive" && s.stop === null && s.next !== null;
      const target = keeps ? this.specs[slot]! : s.next ?? this.specs[slot]!;
      const same = sameModelSpec(
        target, depNames(target.dependsOn, (d) => table(this.servers[d]?.next ?? this.specs[d], d)),
        given, depNames(given.dependsOn, (d) => table(specs[d], d)),
      );
      // Whether its dependencies (their tables, a table held at 0 copies counted too) differ: one waiting for them may
      // be started by this reload.
      const rawDeps = (deps: readonly number[] | undefined, names: (d: number) => string) => [...new Set((deps ?? []).map(names))].sort().join(",");
      const depsDiffer = rawDeps(target.dependsOn, (d) => table(this.servers[d]?.next ?? this.specs[d], d)) !== rawDeps(given.dependsOn, (d) => table(specs[d], d));
      if (same) {
        unchanged.push(slot);
        (s.kind === "waiting" && zero.size > 0 && depsDiffer ? said.changed : said.unchanged).push(given.name);
        // (its dependencies follow the table's copies at once: nothing else changed, nothing is restarted; one that
        // keeps its old process runs what the files say again: its pending spec goes)
        if (keeps) {
          s.next = null;
          this.specs[slot] = spec;
        } else if (s.next !== null) s.next = spec;
        else this.specs[slot] = spec;
        return;
      }
      // Only its policy differs (not argv, label, launch, readiness check, table): taken in place, its process untouched.
      if (sameModelLaunch(target, given)) {
        unchanged.push(slot);
        updated.push(slot);
        respecified.push(slot);
        const starts = (s.kind === "unborn" && target.autostart === false && given.autostart !== false) || (s.kind === "waiting" && depsDiffer);
        if (starts) said.changed.push(given.name);
        else {
          said.unchanged.push(given.name);
          said.updated.push(given.name);
        }
        this.inPlace(slot, spec, keeps);
        return;
      }
      changed.push(slot);
      said.changed.push(given.name);
      respecified.push(slot);
      if (s.kind === "alive" || s.kind === "starting") s.next = spec;
      else {
        this.specs[slot] = spec;
        s.next = null;
      }
    });
    const kept = new Set(specs.map((x) => x.name));
    const removed = [...current].filter(([name]) => !kept.has(name)).map(([, slot]) => slot);
    for (const i of removed) this.servers[i]!.retired = true;
    for (const i of removed) said.removed.push(this.specs[i]!.name);
    this.x.reload = { added, changed, removed, unchanged, updated, summary: said };
    this.findDependents();
    this.x.notes.push(`reload: ${added.length} added (${added.join(",")}), ${changed.length} changed (${changed.join(",")}), ${removed.length} removed (${removed.join(",")})`);
    // The running copies of a changed table with instances and a readiness check are not restarted at once:
    // their new spec stays pending, and a rolling restart replaces them one at a time (Rolling reload).
    const rolled = new Map<string, number[]>();
    for (const i of changed) {
      const s = this.servers[i]!;
      const spec = s.next ?? this.specs[i]!;
      if (spec.group === undefined || spec.ready === undefined || s.kind !== "alive" || s.stop !== null) continue;
      rolled.set(spec.group, [...(rolled.get(spec.group) ?? []), i]);
    }
    const rolling = new Set([...rolled.values()].flat());
    for (const i of removed) {
      const s = this.servers[i]!;
      if (s.kind === "alive") this.order(i, "cremate");
      else if (s.kind === "unborn" || s.kind === "waiting" || s.kind === "backoff" || s.kind === "buried") this.become(i, "cremated", "stopped");
    }
    for (const i of changed) {
      const s = this.servers[i]!;
      if (s.kind === "alive" && s.stop === null && !rolling.has(i)) this.order(i, "start");
    }
    if (rolled.size > 0) {
      this.x.notes.push(`a rolling reload of ${[...rolled.keys()].join(", ")}: ${[...rolled.values()].flat().join(", ")} one at a time`);
      this.beginRoll(null, [...rolled.keys()].join(", "), [...rolled.values()].flat());
    }
    // Then what starts (docs/spec.md, Reload: a server it depends on that is being replaced is not ready): after every
    // stop this reload gives, the first copy a stop-first roll restarts included.
    for (const i of respecified) if (this.servers[i]!.kind === "unborn" && this.specs[i]!.autostart !== false) this.spawn(i);
    // A new server in the seat of a process still on its way out (removed now or before, a rolling restart's given up
    // or replaced) waits for it to end: never two processes of one name at once.
    for (const i of added) {
      const old = this.oldProcessIn(i);
      if (old >= 0) {
        this.servers[i]!.behind = old;
        this.x.notes.push(`server ${i} waits for the old process of its seat (server ${old}) to end`);
      }
    }
    for (const i of added) if (this.specs[i]!.autostart !== false) this.spawn(i);
  }

  /**
   * A reload changed only server i's policy (docs/spec.md, "Reload": updated in place). Its process keeps its pid and
   * gets no signal; what is under way keeps what it was given (a stop order its deadline and what follows it, a backoff
   * its retry). One being stopped to take a pending spec (a launch change) gets this one pending instead. For a process
   * that runs with no stop order: unready, a new ready_timeout counts from its start (one already past fails it at
   * once); ready, a new health check starts afresh (no failures, its first probe one new interval from now, or after
   * the answer of the old check's probe in flight, which counts for nothing), a new watchdog window opens now.
   */
  private inPlace(i: number, spec: ServerSpec, keeps: boolean): void {
    const s = this.servers[i]!;
    if (s.next !== null && !keeps) {
      s.next = spec;
      return;
    }
    const old = this.specs[i]!;
    this.specs[i] = spec;
    s.next = null;
    if (s.kind !== "alive" || s.stop !== null) return;
    if (!s.ready) {
      if (old.readyTimeoutMs !== spec.readyTimeoutMs) s.readyAt = spec.readyTimeoutMs === undefined ? null : Math.max(this.at, s.since + spec.readyTimeoutMs);
      return;
    }
    if (canonicalJson(old.health) !== canonicalJson(spec.health)) {
      this.x.notes.push(`server ${i}'s health check changed in place: it starts afresh`);
      s.healthFails = 0;
      if (s.probing !== null) s.probing.stale = true;
      else s.probeAt = spec.health === undefined ? null : this.at + spec.health.intervalMs;
    }
    if (old.watchdogMs !== spec.watchdogMs) {
      s.watchdogAt = spec.watchdogMs === undefined ? null : this.at + spec.watchdogMs;
      s.watchdogTimer = s.watchdogAt;
    }
  }

  /** An operator's start of a server that does not run: now, or once its dependencies are ready (its backoff count stays: only a revive or a long life forgets it). */
  private startByHand(i: number): void {
    const s = this.servers[i]!;
    if (s.kind === "backoff") s.kind = "unborn";
    this.spawn(i);
  }

  /**
   * After every event: a pending revive once nothing is starting; the waiting whose dependencies are ready
   * start; during a shutdown, whatever nothing running depends on any more gets its stop order; systemd is
   * told; a pending re-exec likewise; then exit or wait.
   */
  private settle(): void {
    this.advanceRoll();
    const starting = this.servers.some((s) => s.kind === "starting");
    if (this.phase.kind === "running" && this.pendingRevive && !starting) this.revive();
    // (an old process a server waited for has ended: the next one in its seat, or none)
    this.servers.forEach((s, i) => {
      const old = s.behind === null ? undefined : this.servers[s.behind];
      if (old !== undefined && !(old.retired && (old.kind === "alive" || old.kind === "starting"))) s.behind = this.oldProcessIn(i) >= 0 ? this.oldProcessIn(i) : null;
    });
    if (this.phase.kind === "running") {
      this.servers.forEach((s, i) => { if (s.kind === "waiting" && s.behind === null && this.waitsFor(i).length === 0) this.spawn(i); });
    }
    if (this.phase.kind === "stopping" && !this.phase.killed) {
      this.servers.forEach((s, i) => { if (s.kind === "alive" && s.stop === null && !this.dependentsRun(i)) this.order(i, "cremate"); });
    }
    if (this.settings.systemd !== undefined) this.tellSystemd();
    const living = this.servers.some((s) => s.kind === "alive" || s.kind === "starting");
    const waiting = this.servers.some((s) => s.kind === "buried" || s.kind === "unborn" || s.kind === "waiting" || s.kind === "backoff");
    // (Nothing left to hand across, nothing left to wait for: it exits, and a re-exec it waited for is not carried out.)
    // (A table `ctl scale` holds at 0 copies: nothing left to run is no reason to exit, a later scale runs it again.)
    const held = (this.settings.scaledToZero ?? []).length > 0;
    if (this.pendingReexec && !this.servers.some((s) => s.kind === "starting") && this.inFlight() < 0 && (living || waiting || held || this.phase.kind !== "running")) {
      this.pendingReexec = false;
      if (this.phase.kind === "running") {
        // A rolling restart begun while it waited (a reload's) ends here too, said (and systemd told the counts again).
        if (this.roll !== null) {
          this.rollFailed("lazarus re-execs, which ends a rolling restart");
          if (this.settings.systemd !== undefined) this.tellSystemd();
        }
        this.x.reexec = true;
        this.x.handover = this.handover();
      }
    }
    if (this.phase.kind === "running" && !living && !waiting && !held) {
      this.pendingReexec = false;
      this.exit(0);
    }
    else if (this.phase.kind === "stopping" && !living) this.exit(this.phase.status);
  }

  /** Whether every server that starts by itself has come to rest: ready, buried, or done (never started on its own, or cremated). */
  settledForSystemd(): boolean {
    return this.servers.every((s, i) => {
      switch (s.kind) {
        case "alive": return s.ready;
        case "buried":
        case "cremated": return true;
        case "unborn": return this.specs[i]?.autostart === false;
        case "waiting": return this.waitsInVain(i, new Set());
        default: return false;
      }
    });
  }

  /** A waiting server waits in vain when something it waits for is at rest unready (buried, cremated, unborn without autostart) or waits in vain itself. */
  waitsInVain(i: number, seen: Set<number>): boolean {
    if (seen.has(i)) return false;
    seen.add(i);
    return this.waitsFor(i).some((d) => {
      const s = this.servers[d]!;
      return s.kind === "buried" || s.kind === "cremated" || (s.kind === "unborn" && this.specs[d]?.autostart === false) ||
        (s.kind === "waiting" && this.waitsInVain(d, seen));
    });
  }

  /** Under systemd, while running: READY=1 once every autostart server has come to rest; STATUS= with the counts whenever they change. */
  private tellSystemd(): void {
    if (this.phase.kind !== "running") return;
    let ready = 0, starting = 0, buried = 0;
    for (const s of this.servers) {
      if (s.kind === "alive" && s.ready) ready++;
      else if (s.kind === "buried") buried++;
      else if (s.kind === "alive" || s.kind === "starting" || s.kind === "waiting" || s.kind === "backoff") starting++;
    }
    const status = `${ready} ready, ${starting} starting, ${buried} buried`;
    const lines: string[] = [];
    if (!this.sdReady && this.settledForSystemd()) {
      lines.push("READY=1");
      this.sdReady = true;
    }
    if (status !== this.sdStatus) lines.push(`STATUS=${status}`);
    this.sdStatus = status;
    if (lines.length > 0) this.x.sdNotify.push(lines.join("\n"));
  }

  private exit(status: number): void {
    this.alarmAt = null;
    this.leftovers = [];
    this.sdWatchdogAt = null;
    this.phase = { kind: "exited", status };
    this.x.exit = status;
  }

  // --- rolling restarts (docs/spec.md, "Scale": Rolling restart, Rolling reload) ----------

  /** An answer to the request that asked for a roll (none for a reload's). */
  private answer(id: number | null, ok: boolean, text: string): void {
    if (id !== null) this.x.answers.push({ id, ok, text });
  }

  private nameOf(i: number): string {
    return this.specs[i]?.name ?? String(i);
  }

  /**
   * `ctl restart NAME --rolling` (id: the request), or a reload's (id null): one roll at a time; the copies
   * must be servers of the configuration. The first copy is replaced now, each next once the one before is
   * ready again with its new process and its old process has ended.
   */
  private beginRoll(id: number | null, name: string, slots: readonly number[]): void {
    if (this.roll !== null) return this.answer(id, false, `a rolling restart of '${this.roll.name}' is under way: wait for its end`);
    if (id !== null && this.pendingReexec) return this.answer(id, false, "lazarus re-execs once what it waits for has ended, which would end a rolling restart: ask again after the re-exec");
    const missing = slots.find((i) => this.servers[i] === undefined || !this.current(this.servers[i]!));
    if (missing !== undefined || slots.length === 0) return this.answer(id, false, `no such server: ${missing ?? -1}`);
    this.x.notes.push(`a rolling restart of '${name}': ${slots.join(", ")}`);
    this.rollNext({ id, reload: id === null, name, done: [], current: -1, old: null, fresh: null, aside: null, draining: null, rest: [...slots] });
  }

  /**
   * The next copy: start-first (a copy whose process runs with no stop order, unless its table says
   * stop-first), its new process starts in a slot aside; otherwise it is restarted in place, as `ctl restart`
   * would (a refusal ends the roll). A reload's roll skips a copy that took its new spec meanwhile.
   */
  private rollNext(r: ModelRoll): void {
    const [next, ...rest] = r.rest;
    if (next === undefined) {
      this.roll = null;
      const n = r.done.length;
      this.x.notes.push(`the rolling restart of '${r.name}' is done`);
      this.x.rollEnds.push(`rolling restart of '${r.name}' done: ${n} instance${n === 1 ? "" : "s"} restarted, each ready again.`);
      this.answer(r.id, true, `rolled '${r.name}': ${r.done.map((i) => this.nameOf(i)).join(", ")} restarted one at a time, each ready again`);
      return;
    }
    const s = this.servers[next]!;
    if (r.reload && s.next === null) return this.rollNext({ ...r, done: [...r.done, next], rest });
    const old = s.kind === "alive" ? s.pid : null;
    const spec = s.next ?? this.specs[next]!;
    if (s.kind === "alive" && s.stop === null && spec.rolling !== "stop-first") {
      this.x.notes.push(`server ${next}'s new process starts aside (start-first)`);
      const aside = this.startAside(next);
      this.roll = { ...r, current: next, old, fresh: null, aside, draining: null, rest };
      return;
    }
    this.roll = { ...r, current: next, old, fresh: null, aside: null, draining: null, rest };
    if (s.kind === "waiting" && s.behind === null && this.waitsFor(next).length === 0) {
      this.x.notes.push(`server ${next} waited for a dependency that is ready now: its start is what the roll waits for`);
      return;
    }
    this.x.notes.push(`server ${next} is restarted in place (stop-first, or its process does not serve)`);
    const refused = this.restartInPlace(next);
    if (refused !== null) this.rollFailed(refused);
  }

  /** "its old process (pid P)" (no pid while its spawn's result is on its way). */
  private oldWords(slot: number): string {
    const s = this.servers[slot];
    return s?.kind === "alive" ? `its old process (pid ${s.pid})` : "its old process";
  }

  /** `ctl restart` of copy i for a roll: null when done, else why it is refused. */
  private restartInPlace(i: number): string | null {
    const s = this.servers[i]!;
    const name = this.nameOf(i);
    switch (s.kind) {
      case "starting":
        return `${name} is already running`;
      case "waiting":
        if (s.behind !== null) return `${name} waits for ${this.oldWords(s.behind)} to end`;
        return `${name} waits for ${this.waitsFor(i).map((d) => this.nameOf(d)).join(", ")} to be ready`;
      case "alive":
        this.order(i, "start");
        return null;
      default:
        this.startByHand(i);
        return null;
    }
  }

  /**
   * Copy i's new process in a slot aside: an ended slot of that name that is no server of the configuration
   * (a removed one, an earlier roll's), else a new slot. It runs the copy's spec (its pending one), is never
   * restarted, and starts with the copy's spawn count (it waits like the copy for its dependencies).
   */
  private startAside(i: number): number {
    const s = this.servers[i]!;
    const spec = s.next ?? this.specs[i]!;
    const name = this.nameOf(i);
    let slot = this.servers.findIndex((x, j) => !this.current(x) && this.specs[j]!.name === name && x.kind !== "alive" && x.kind !== "starting");
    if (slot < 0) {
      slot = this.servers.length;
      this.servers.push(fresh());
      this.specs.push(spec);
    }
    this.servers[slot] = { ...fresh(), spawns: s.spawns, replaces: i };
    this.specs[slot] = { ...spec, restart: "never" };
    this.findDependents();
    this.spawn(slot);
    return slot;
  }

  /** After every step: the copy being replaced is ready again (the next begins), failed (the roll stops), or still on its way. */
  private advanceRoll(): void {
    for (let r = this.roll; r !== null; r = this.roll) {
      if (this.phase.kind !== "running") return this.rollFailed(`lazarus is ${this.phase.kind === "stopping" ? "shutting down" : this.phase.kind}`);
      if (r.draining !== null) {
        // Replaced: the next copy begins once the old process moved aside has ended.
        if (this.servers[r.draining]!.kind === "alive") return;
        this.rollNext({ ...r, draining: null, done: [...r.done, r.current] });
        continue;
      }
      const p = this.rollProgress(r);
      switch (p.kind) {
        case "wait":
          this.roll = p.roll;
          return;
        case "failed":
          return this.rollFailed(p.why);
        case "in-place":
          // The copy's old process ended or is being stopped meanwhile: its new process aside is given up, and the
          // copy's own restart (by its restart policy) is what the roll waits for.
          this.x.notes.push(`server ${r.current}'s old process no longer serves: its new process aside is given up`);
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
      }
    }
  }

  /** How the replacement of copy r.current goes (the first new process seen of it is r.fresh). */
  private rollProgress(r: ModelRoll): { kind: "wait"; roll: ModelRoll } | { kind: "failed"; why: string } | { kind: "ready" } | { kind: "in-place" } {
    const copy = this.servers[r.current]!;
    if (copy.retired) return { kind: "failed", why: "it was removed by a reload" };
    let s = copy;
    if (r.aside !== null) {
      if (!(copy.kind === "alive" && copy.pid === r.old && copy.stop === null)) return { kind: "in-place" };
      s = this.servers[r.aside]!;
    } else if (copy.kind === "alive" && copy.pid === r.old) {
      return copy.stop === null ? { kind: "failed", why: "its old process was not stopped" } : { kind: "wait", roll: r };
    }
    if (r.fresh !== null && !(s.kind === "alive" && s.pid === r.fresh)) return { kind: "failed", why: `its new process (pid ${r.fresh}) ended before it was ready` };
    switch (s.kind) {
      case "starting":
      case "waiting":
        return { kind: "wait", roll: r };
      case "alive":
        if (s.stop !== null) return { kind: "failed", why: `its new process (pid ${s.pid}) did not become ready: it is being stopped` };
        if (s.ready) return { kind: "ready" };
        return { kind: "wait", roll: { ...r, fresh: s.pid } };
      default:
        return { kind: "failed", why: `it is ${s.kind}` };
    }
  }

  /**
   * Start-first: the new process (ready, in slot `aside`) takes copy i's place (the copy's spec, its health
   * checks and watchdog begin afresh under i), and the old process moves to the slot aside, where it is no
   * server of the configuration any more (retired) and gets its stop order (its own spec's stop signal).
   */
  private takePlace(i: number, aside: number): void {
    const old = this.servers[i]!;
    const neu = this.servers[aside]!;
    const oldSpec = this.specs[i]!;
    this.x.notes.push(`server ${i}'s new process (pid ${neu.pid}, slot ${aside}) is ready and takes its place; the old one (pid ${old.pid}) moves aside and is stopped`);
    this.servers[i] = { ...fresh(), kind: "alive", pid: neu.pid, since: neu.since, ready: true, spawns: neu.spawns, lastExit: old.lastExit };
    this.specs[i] = old.next ?? oldSpec;
    this.servers[aside] = { ...fresh(), kind: "alive", pid: old.pid, since: old.since, ready: old.ready, stop: old.stop, spawns: old.spawns, lastExit: old.lastExit, retries: old.retries, retired: true };
    this.specs[aside] = oldSpec;
    this.findDependents();
    this.resumeChecks(i);
    this.order(aside, "cremate");
  }

  /** A new process aside that will not take its copy's place: retired (stopped, or forgotten at once). */
  private giveUpAside(aside: number | null): void {
    if (aside === null) return;
    const s = this.servers[aside]!;
    if (s.replaces === null) return;
    s.replaces = null;
    s.retired = true;
    this.findDependents();
    // (Starting: it is stopped once its spawn's result comes.) Killed already: nothing more to do.
    if (s.kind === "alive" && !(s.stop?.killed ?? false)) this.order(aside, "cremate");
    else if (s.kind === "unborn" || s.kind === "waiting" || s.kind === "backoff" || s.kind === "buried") this.become(aside, "cremated", "stopped");
  }

  /**
   * The roll stops (the copy did not become ready, a reload, a scale, a re-exec, a shutdown): its new process
   * aside is given up; the copies it did not reach are not touched. Said, and answered not ok.
   */
  private rollFailed(why: string): void {
    const r = this.roll;
    if (r === null) return;
    this.roll = null;
    this.x.notes.push(`the rolling restart of '${r.name}' stops: ${why}`);
    this.giveUpAside(r.aside);
    const names = (slots: readonly number[]) => slots.map((i) => this.nameOf(i));
    // A copy whose old process is still stopping was replaced already: it is among the done.
    const done = r.draining === null ? r.done : [...r.done, r.current];
    const at = r.draining === null ? r.current : r.rest[0];
    const left = r.draining === null ? r.rest : r.rest.slice(1);
    const text = at === undefined
      ? `rolling restart of '${r.name}' stopped while the old process of its last copy was stopping: ${why}; ${names(done).join(", ")} restarted`
      : `rolling restart of '${r.name}' stopped at '${this.nameOf(at)}': ${why}; ${done.length === 0 ? "none" : names(done).join(", ")} restarted, ` +
        `${left.length === 0 ? "none" : names(left).join(", ")} left ${left.every((i) => this.servers[i]?.kind === "alive") ? "running " : ""}as ${left.length === 1 ? "it was" : "they were"}`;
    this.x.rollEnds.push(`${text}.`);
    this.answer(r.id, false, text);
  }

  // --- one server ------------------------------------------------------------------

  /** Start it: only while running, and not if it is alive or being started; it waits while a dependency is not ready. */
  private spawn(i: number): void {
    const s = this.servers[i]!;
    if (this.phase.kind !== "running" || s.kind === "alive" || s.kind === "starting" || s.retired) return;
    this.takeNext(i);
    if (s.behind !== null) {
      if (s.kind !== "waiting") this.x.notes.push(`server ${i} waits for the old process of its seat (server ${s.behind}) to end`);
      Object.assign(s, { kind: "waiting", pid: 0, stop: null, why: null });
      return;
    }
    const waits = this.waitsFor(i);
    if (waits.length > 0) {
      if (s.kind !== "waiting") this.x.notes.push(`server ${i} waits for ${waits.join(", ")} to be ready`);
      Object.assign(s, { kind: "waiting", pid: 0, stop: null, why: null });
      return;
    }
    Object.assign(s, { kind: "starting", pid: 0, stop: null, why: null, short: 0 });
    s.spawns++;
    this.x.spawns.push(i);
  }

  private become(i: number, kind: "buried" | "cremated", why: ModelServer["why"]): void {
    Object.assign(this.servers[i]!, { kind, pid: 0, since: this.at, why, stop: null });
    this.takeNext(i);
  }

  /** Its old process has ended: a spec a reload left pending is its own from now on. */
  private takeNext(i: number): void {
    const s = this.servers[i]!;
    if (s.next === null) return;
    this.specs[i] = s.next;
    s.next = null;
  }

  /** No probe, readiness deadline or watchdog outlives the process it is about, nor goes on under a stop order. */
  private dropChecks(i: number): void {
    Object.assign(this.servers[i]!, { probing: null, probeAt: null, readyAt: null, watchdogTimer: null, watchdogAt: null, healthFails: 0 });
  }

  /** Once ready: health probes every interval, and the watchdog's window. */
  private startChecks(i: number): void {
    const s = this.servers[i]!;
    const spec = this.specs[i]!;
    if (spec.health !== undefined) s.probeAt = this.at + spec.health.intervalMs;
    if (spec.watchdogMs !== undefined) {
      s.watchdogAt = this.at + spec.watchdogMs;
      s.watchdogTimer = s.watchdogAt;
    }
  }

  private comeAlive(i: number, pid: number): void {
    const s = this.servers[i]!;
    const spec = this.specs[i]!;
    Object.assign(s, { kind: "alive", pid, since: this.at, why: null, stop: null, ready: spec.ready === undefined });
    this.dropChecks(i);
    if (this.phase.kind === "stopping") {
      // A spawn that was in flight when the shutdown began: its order now (SIGKILL after a second terminate).
      if (this.phase.killed) this.killNow(i);
      else this.order(i, "cremate");
      return;
    }
    if (spec.ready === undefined) return this.startChecks(i);
    if (pollOf(spec) !== null) s.probeAt = this.at + MODEL_READY_POLL_MS;
    if (spec.readyTimeoutMs !== undefined) s.readyAt = this.at + spec.readyTimeoutMs;
  }

  private becomeReady(i: number): void {
    const s = this.servers[i]!;
    s.ready = true;
    s.readyAt = null;
    if (pollOf(this.specs[i]) !== null) s.probeAt = null;
    this.x.notes.push(`server ${i} is ready`);
    this.startChecks(i);
  }

  /** Its probe timer: a readiness probe while unready (polled kinds), a health probe once ready. */
  private probeNow(i: number): void {
    const s = this.servers[i]!;
    const spec = this.specs[i]!;
    const poll = pollOf(spec);
    if (!s.ready && poll !== null) {
      const left = spec.readyTimeoutMs === undefined ? MODEL_READY_PROBE_TIMEOUT_MS : s.since + spec.readyTimeoutMs - this.at;
      s.probing = { pid: s.pid, purpose: "ready" };
      this.x.probes.push({ server: i, pid: s.pid, purpose: "ready", probe: poll, timeoutMs: Math.max(1, Math.min(MODEL_READY_PROBE_TIMEOUT_MS, left)) });
      return;
    }
    if (s.ready && spec.health !== undefined) {
      s.probing = { pid: s.pid, purpose: "health" };
      this.x.probes.push({ server: i, pid: s.pid, purpose: "health", probe: spec.health.probe, timeoutMs: spec.health.timeoutMs });
    }
  }

  /** A probe's answer: only the one in flight counts (same process, same purpose); anything else is stale. */
  private probeResult(i: number, pid: number, purpose: ProbePurpose, ok: boolean | null): void {
    const s = this.servers[i];
    if (s === undefined || s.kind !== "alive" || s.pid !== pid || s.probing === null || s.probing.purpose !== purpose) {
      this.x.notes.push(`a stale probe answer (server ${i}, pid ${pid}, ${purpose}): ignored`);
      return;
    }
    const stale = s.probing.stale === true;
    s.probing = null;
    if (s.stop !== null || this.phase.kind !== "running") return;
    const spec = this.specs[i]!;
    if (stale) {
      this.x.notes.push(`server ${i}'s answer of a health check a reload changed since: it counts for nothing`);
      if (spec.health !== undefined && s.ready) s.probeAt = this.at + spec.health.intervalMs;
      return;
    }
    if (ok === null) {
      // Cut short by lazarus (docs/spec.md, "Probes"): no verdict, counts for nothing; tried again at its usual pace.
      this.x.notes.push(`server ${i}'s ${purpose} probe was interrupted: no verdict, tried again`);
      if (purpose === "ready") {
        if (!s.ready) s.probeAt = this.at + MODEL_READY_POLL_MS;
      } else if (spec.health !== undefined && s.ready) s.probeAt = this.at + spec.health.intervalMs;
      return;
    }
    if (purpose === "ready") {
      if (s.ready) return;
      if (ok) this.becomeReady(i);
      else s.probeAt = this.at + MODEL_READY_POLL_MS;
      return;
    }
    const h = spec.health;
    if (h === undefined || !s.ready) return;
    if (ok) {
      s.healthFails = 0;
      s.probeAt = this.at + h.intervalMs;
      return;
    }
    s.healthFails++;
    this.x.notes.push(`server ${i}'s health: ${s.healthFails} failed probe(s) in a row, ${h.retries} make it unhealthy`);
    if (s.healthFails >= h.retries) {
      this.x.notes.push(`server ${i} is unhealthy: one stop order, then a start`);
      this.order(i, "start");
      return;
    }
    s.probeAt = this.at + h.intervalMs;
  }

  /**
   * sd_notify from a server's main process: READY=1 (ready by notify), WATCHDOG=1 (its window starts again),
   * then WATCHDOG=trigger (docs/spec.md: stopped, its end judged by its life as a failed start's).
   */
  private notify(pid: number, ready: boolean, watchdog: boolean, trigger: boolean): void {
    const i = this.aliveOf(pid);
    const s = this.servers[i];
    if (s === undefined || s.stop !== null || this.phase.kind !== "running") return;
    const spec = this.specs[i]!;
    if (ready && !s.ready && spec.ready?.kind === "notify") this.becomeReady(i);
    if (watchdog && spec.watchdogMs !== undefined && s.ready) {
      s.watchdogAt = this.at + spec.watchdogMs;
      s.watchdogTimer = s.watchdogAt;
    }
    if (trigger) {
      const j = this.aliveOf(pid);
      if (j >= 0 && this.servers[j]!.stop === null) {
        this.x.notes.push(`server ${j} sent WATCHDOG=trigger: stopped, its end judged by its life`);
        this.order(j, "fail");
      }
    }
  }

  private aliveOf(pid: number): number {
    return this.servers.findIndex((s) => s.kind === "alive" && s.pid === pid);
  }

  /** A stop order: its stop signal to its group now, SIGKILL at its own deadline. An order already given keeps its deadline. */
  private order(i: number, then: ModelStop["then"]): void {
    const s = this.servers[i]!;
    if (s.stop !== null) {
      s.stop.then = then;
      return;
    }
    this.dropChecks(i);
    s.stop = { deadline: this.at + this.stopTimeout(i), killed: false, then };
    this.x.kills.push({ server: i, pid: s.pid, signal: this.stopSignal(i), group: true });
  }

  private killNow(i: number): void {
    const s = this.servers[i]!;
    if (s.stop === null) this.dropChecks(i);
    s.stop = { deadline: s.stop?.deadline ?? null, killed: true, then: "cremate" };
    this.x.kills.push({ server: i, pid: s.pid, signal: SIGKILL, group: true });
  }

  /** Too fast: retried after min(max, initial·2^n) while it has retries left; else buried until a revive. */
  private tooFast(i: number): void {
    const s = this.servers[i]!;
    const b = this.specs[i]!.backoff;
    if (b !== undefined && s.retries < b.retries) {
      const delay = Math.min(b.maxMs, b.initialMs * 2 ** s.retries);
      s.retries++;
      this.x.notes.push(`server ${i} crashed too fast: retry ${s.retries} of ${b.retries} in ${delay} ms`);
      Object.assign(s, { kind: "backoff", pid: 0, since: this.at, until: this.at + delay, why: null, stop: null });
      this.takeNext(i);
      return;
    }
    this.x.notes.push(`server ${i} crashed too fast${b === undefined ? "" : ` with its ${b.retries} retries used`}: buried`);
    this.become(i, "buried", "crash-loop");
  }

  /** Lived long enough: its fast crashes are forgotten, and it is started again at once (or waits for its dependencies). */
  private startAgain(i: number): void {
    const s = this.servers[i]!;
    s.retries = 0;
    s.kind = "unborn";
    this.spawn(i);
  }

  private exited(pid: number, status: ExitStatus, atTakeover: boolean): void {
    const i = this.aliveOf(pid);
    if (i < 0) {
      this.x.notes.push(`pid ${pid} is no alive server's: nothing changes`);
      return;
    }
    const s = this.servers[i]!;
    s.lastExit = status;
    this.dropChecks(i);
    // A child found ended at the take-over died during the exec: at its instant at the earliest.
    const end = atTakeover && this.execAt !== null ? Math.min(this.at, this.execAt) : this.at;
    const lived = end - s.since;
    if (s.stop !== null || this.phase.kind === "stopping") {
      // Stopped on purpose: cremated whatever it died of; nothing of its group may survive it. A failed
      // start (not ready in time) is judged as a crash by its life, unless a shutdown has begun.
      const then = s.stop?.then;
      this.x.remnants.push({ server: i, pgid: pid, signal: SIGKILL });
      if (then === "fail" && this.phase.kind === "running") {
        this.x.notes.push(`server ${i}'s failed start lived ${lived} ms (interval ${this.interval(i)}): judged as a crash`);
        if (lived < this.interval(i)) this.tooFast(i);
        else this.startAgain(i);
        return;
      }
      // A life of at least the interval resets the backoff count, however it ended.
      if (lived >= this.interval(i)) s.retries = 0;
      this.become(i, "cremated", "stopped");
      if (then === "start") this.spawn(i);
      return;
    }
    // It ended by itself: what is left of its group is asked to stop, and SIGKILLed at its stop timeout.
    this.x.remnants.push({ server: i, pgid: pid, signal: SIGTERM });
    this.leaveBehind(i, pid);
    const restart = this.specs[i]!.restart ?? "on-failure";
    const clean = isClean(status);
    if (restart === "never") {
      this.x.notes.push(`server ${i} has restart = "never": not started again`);
      if (clean) this.become(i, "cremated", "clean-exit");
      else this.become(i, "buried", "crashed");
    } else if (clean && restart === "on-failure") {
      this.become(i, "cremated", "clean-exit");
    } else if (lived < this.interval(i)) {
      this.x.notes.push(`server ${i} lived ${lived} < ${this.interval(i)} ms${clean ? " (a clean end, restart = \"always\")" : ""}`);
      this.tooFast(i);
    } else {
      this.x.notes.push(`server ${i} lived ${lived} >= ${this.interval(i)} ms${clean ? " (a clean end, restart = \"always\")" : ""}: respawned`);
      this.startAgain(i);
    }
  }
}

/**
 * Two specs run the same server (docs/spec.md, "Reload": every field equal,
 * dependencies by name, a table's copies by the table's, in any order, an
 * empty list of them no list): the model's own comparison, with each spec's
 * dependencies given as names.
 */
/** The fields a process is launched with (or says it is ready by): a change of any other applies in place. */
function sameModelLaunch(a: ServerSpec, b: ServerSpec): boolean {
  const launch = (x: ServerSpec) => canonicalJson([x.argv, x.name, x.label, x.launch, x.ready, x.group]);
  return launch(a) === launch(b);
}

function sameModelSpec(a: ServerSpec, aDeps: readonly string[], b: ServerSpec, bDeps: readonly string[]): boolean {
  const norm = (x: ServerSpec, deps: readonly string[]) => {
    const { dependsOn: _, ...rest } = x;
    return canonicalJson({ ...rest, deps: [...new Set(deps)].sort() });
  };
  return norm(a, aDeps) === norm(b, bDeps);
}

/**
 * What a reload answers and logs, by server name (docs/spec.md, "Reload"): the four lists and `updated` (those of the
 * unchanged taken in place). A server the reload itself may start (unborn with its autostart turned on; waiting, its
 * dependencies changed, or a table it waits for scaled to 0 or from 0) is listed as changed: `ctl reload --wait` waits
 * for what is added or changed.
 */
export interface ModelSummary {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
  readonly updated: readonly string[];
}

/** JSON with every object's keys sorted and undefined fields left out. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(",")}]`;
  if (typeof x === "object" && x !== null) {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(x);
}
