// Planted bugs in the shell (not the reducer): faulty Supervisors, each a
// small, plausible mistake in the imperative code. The simulator must catch
// every one within its default budget (sim.test.ts).
import { SIGKILL, SIGTERM, SIGUSR1 } from "../../src/core/signals.ts";
import { handoverOf } from "../../src/core/step.ts";
import type { Effect, Event, Handover } from "../../src/core/types.ts";
import type { OsPort, TimerHandle } from "../../src/os/port.ts";
import { type ShellConfig, Supervisor } from "../../src/shell/supervisor.ts";
import { BROKEN_PROCFILE_LINE, BROKEN_TABLE } from "./config.ts";
import type { SupervisorFactory } from "./world.ts";

/** Drops the second of two exits reported at the same moment (one SIGCHLD, two children). */
class DropsCoalescedExit extends Supervisor {
  private lastExitAt = -1;
  override dispatch(...events: Event[]): void {
    super.dispatch(...events.filter((event) => {
      if (event.type !== "exited") return true;
      if (event.at === this.lastExitAt) return false;
      this.lastExitAt = event.at;
      return true;
    }));
  }
}

/** Forwards every probe's answer, also one about a process that has ended: its pid may be another process's by then. */
class ForwardsStaleProbeAnswers extends Supervisor {
  protected override forgetProbesOf(_pid: number): void {}
}

/** Adopts, and so reaps, the wrong pid after a re-exec (an off-by-one in a pid table). */
class AdoptsWrongPid extends Supervisor {
  protected override perform(effect: Effect, at: number): Event[] {
    return super.perform(effect.type === "adopt" ? { ...effect, pid: effect.pid + 1 } : effect, at);
  }
}

/** Signals a server by the pid it had when first started: stale after a respawn, perhaps reused. */
class SignalsStalePid extends Supervisor {
  private readonly firstPid = new Map<number, number>();
  protected override handle(event: Event): Event[] {
    if (event.type === "spawned" && !this.firstPid.has(event.server)) this.firstPid.set(event.server, event.pid);
    return super.handle(event);
  }
  protected override perform(effect: Effect, at: number): Event[] {
    if (effect.type === "kill") {
      this.port.kill(this.firstPid.get(effect.server) ?? effect.pid, effect.signal, effect.group);
      return [];
    }
    return super.perform(effect, at);
  }
}

/** Leaves timers armed: disarm effects are ignored. */
class LeavesTimersArmed extends Supervisor {
  protected override perform(effect: Effect, at: number): Event[] {
    if (effect.type === "disarm") return [];
    return super.perform(effect, at);
  }
}

/** Retries a failed spawn on its own a little later, without asking the core (so even after shutdown began). */
class RetriesSpawnsItself extends Supervisor {
  protected override perform(effect: Effect, at: number): Event[] {
    const out = super.perform(effect, at);
    if (effect.type !== "spawn" || !out.some((e) => e.type === "spawn-failed")) return out;
    this.port.setTimer(at + 100, () => {
      const r = this.port.spawn({ ...this.config.spawnExtras(effect.server), argv: effect.argv });
      if (r.ok) this.dispatch({ type: "spawned", at: this.port.now(), server: effect.server, pid: r.pid });
    });
    return out;
  }
}

/** Re-execs without first collecting the exits the runtime already reaped: they are lost in the exec. */
class ForgetsExitsBeforeExec extends Supervisor {
  override start(handover: Handover | null): void {
    super.start(handover);
    this.port.onSignal(SIGUSR1, () => this.dispatch({ type: "reexec", at: this.port.now() }));
  }
  protected override perform(effect: Effect, at: number): Event[] {
    if (effect.type !== "reexec") return super.perform(effect, at);
    const cmd = this.config.reexecCommand?.(effect.handover) ?? "this build cannot re-exec";
    const error = typeof cmd === "string" ? cmd : this.port.exec(cmd.argv, cmd.env);
    return [{ type: "reexec-failed", at: this.port.now(), error }];
  }
}

/** Spawns without first reporting the exits already reaped: a reused pid is taken for the old process. */
class SpawnsBeforeReportingExits extends Supervisor {
  protected override takeExits(): Event[] {
    return [];
  }
}

/** Reports a child found ended at the take-over after a re-exec as if it had just died. */
class ForgetsDeathsDuringExec extends Supervisor {
  override dispatch(...events: Event[]): void {
    super.dispatch(...events.map((event) => {
      if (event.type !== "exited" || event.atTakeover !== true) return event;
      const { atTakeover: _, ...plain } = event;
      return plain;
    }));
  }
}

/** SIGUSR1 during a shutdown: the shell execs on its own (the new image forgets the shutdown and revives the buried). */
class ReexecsDuringShutdown extends Supervisor {
  override start(handover: Handover | null, notes: readonly string[] = []): void {
    super.start(handover, notes);
    this.port.onSignal(SIGUSR1, () => {
      if (this.current.phase.kind !== "stopping") {
        this.dispatch(...this.takeExits(), { type: "reexec", at: this.port.now() });
        return;
      }
      const cmd = this.config.reexecCommand?.(handoverOf(this.current, this.port.now()));
      if (cmd !== undefined && typeof cmd !== "string") this.port.exec(cmd.argv, cmd.env);
    });
  }
}

/** Drops some effects the core asks for (an `if` on the wrong field, a case that falls through). */
class DropsEffects extends Supervisor {
  private event: Event | null = null;
  constructor(port: OsPort, config: ShellConfig, private readonly drop: (effect: Effect, event: Event | null) => boolean) {
    super(port, config);
  }
  protected override handle(event: Event): Event[] {
    this.event = event;
    return super.handle(event);
  }
  protected override perform(effect: Effect, at: number): Event[] {
    if (this.drop(effect, this.event)) return [];
    return super.perform(effect, at);
  }
}

function dropping(drop: (effect: Effect, event: Event | null) => boolean): SupervisorFactory {
  return (port, config) => new DropsEffects(port, config, drop);
}

/** The handover the shell passes to the new image, bent. */
function handingAcross(bend: (h: Handover) => Handover): SupervisorFactory {
  return (port, config) => new Supervisor(port, { ...config, reexecCommand: (h) => config.reexecCommand!(bend(h)) });
}

// --- issue 15: reloads ---------------------------------------------------------------

/** Takes every server of a reload as changed (a fingerprint compared with the wrong one): the unchanged are restarted too. */
class RestartsUnchanged extends Supervisor {
  override dispatch(...events: Event[]): void {
    super.dispatch(...events.map((e) => (e.type === "reconfigure" ? { ...e, servers: e.servers.map((s) => ({ ...s, launch: `${s.launch ?? ""}!${e.at}` })) } : e)));
  }
}

/** Keeps the servers a reload removed (a merge of the old list and the new one, instead of the new one). */
class KeepsRemoved extends Supervisor {
  override dispatch(...events: Event[]): void {
    super.dispatch(...events.map((e) => {
      if (e.type !== "reconfigure") return e;
      const names = new Set(e.servers.map((s) => s.name));
      const kept = this.current.servers.filter((s) => s.retired !== true && !names.has(s.spec.name)).map(({ spec }) => {
        const { dependsOn: _, ...rest } = spec;
        return rest;
      });
      return { ...e, servers: [...e.servers, ...kept] };
    }));
  }
}

/** A loader that drops what it cannot validate (a table, a Procfile line) and goes on with the rest, instead of refusing the file. */
const lenient = Object.assign((port: OsPort, config: ShellConfig) => new Supervisor(port, config), {
  misreads: (text: string) => text.replace(`\n${BROKEN_TABLE}`, "").replace(BROKEN_PROCFILE_LINE, ""),
});

// --- issue 15: rolling restarts ------------------------------------------------------

/** The port as the shell sees it, with some of its calls bent (everything else goes to the port itself). */
function bentPort(port: OsPort, bend: Partial<OsPort>): OsPort {
  return new Proxy(port, {
    get(target, key) {
      const own = (bend as Record<PropertyKey, unknown>)[key];
      if (own !== undefined) return own;
      const v = (target as unknown as Record<PropertyKey, unknown>)[key];
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * A rolling restart's new process, in its slot aside, spawned with the environment of the slot's own number
 * (a table of launches looked up by slot instead of by the copy it replaces): LAZARUS_INSTANCE of another copy, or none.
 */
class SpawnsAsideWithWrongEnv extends Supervisor {
  private readonly aside: { on: boolean };
  constructor(port: OsPort, config: ShellConfig) {
    const aside = { on: false };
    super(bentPort(port, {
      spawn: (request) => {
        if (!aside.on) return port.spawn(request);
        const { LAZARUS_INSTANCE: n, ...env } = request.env;
        return port.spawn({ ...request, env: n === undefined || n === "1" ? env : { ...env, LAZARUS_INSTANCE: String(Number(n) - 1) } });
      },
    }), config);
    this.aside = aside;
  }
  protected override perform(effect: Effect, at: number): Event[] {
    this.aside.on = effect.type === "spawn" && this.current.servers.at(effect.server)?.replaces !== undefined;
    try {
      return super.perform(effect, at);
    } finally {
      this.aside.on = false;
    }
  }
}

/** Start-first done as stop-first by the shell: when a copy's new process is spawned beside it, the copy's old process is sent its stop signal too. */
class StopsOldAtRollStart extends Supervisor {
  protected override perform(effect: Effect, at: number): Event[] {
    const out = super.perform(effect, at);
    const copy = effect.type === "spawn" ? this.current.servers.at(effect.server)?.replaces : undefined;
    const old = copy === undefined ? undefined : this.current.servers.at(copy);
    if (old !== undefined && old.life.kind === "alive") this.port.kill(old.life.pid, old.spec.stopSignal ?? SIGTERM, true);
    return out;
  }
}

/** `restart --rolling` answered at once, as every other command is ("restarting NAME"), and then again at its end. */
class AnswersRollAtOnce extends Supervisor {
  constructor(port: OsPort, config: ShellConfig) {
    super(bentPort(port, {
      listenControl: (path, strict, handler) => port.listenControl(path, strict, (line, respond) => {
        handler(line, respond);
        const o = JSON.parse(line) as { rolling?: boolean; server?: string };
        if (o.rolling === true) respond(JSON.stringify({ ok: true, message: `restarting ${o.server}` }));
      }),
    }), config);
  }
}

/** The specs lose the table they come from on the way to the core: a reload restarts a changed table with instances and a readiness check at once. */
class LosesGroups extends Supervisor {
  constructor(port: OsPort, config: ShellConfig) {
    super(port, { ...config, servers: config.servers.map(({ group: _, ...spec }) => spec) });
  }
  override dispatch(...events: Event[]): void {
    super.dispatch(...events.map((e) => (e.type === "reconfigure" ? { ...e, servers: e.servers.map(({ group: _, ...spec }) => spec) } : e)));
  }
}

// --- issue 23: busy loops at one instant ----------------------------------------------

/**
 * The check for a timer that fired before its instant (set it again for the rest) inverted (>= for <): a timer that
 * is due is set again for its instant, for ever, and never told to the core. Virtual time stands still; only the
 * world's step bound (busy.ts) ends the run.
 */
function resetsDueTimers(port: OsPort, config: ShellConfig): Supervisor {
  return new Supervisor(bentPort(port, {
    setTimer: (at, fn) => {
      let inner: TimerHandle;
      const fire = (): void => {
        if (port.now() >= at) inner = port.setTimer(at, fire);
        else fn();
      };
      inner = port.setTimer(at, fire);
      return { cancel: () => inner.cancel() };
    },
  }), config);
}

/**
 * Busy-waiting for a SIGKILL to take effect: while the server whose stop timer fired is still alive under its stop
 * order, the shell tells the core the timer again, inside the same dispatch. No time passes there, so the process
 * never gets to die: the core is stepped for ever at one instant. Only the world's bound on the core's steps at one
 * instant (busy.ts) ends the run.
 */
class RetriesStopTimer extends Supervisor {
  protected override handle(event: Event): Event[] {
    const out = super.handle(event);
    if (event.type !== "timer" || !event.timer.startsWith("stop:")) return out;
    const l = this.current.servers.at(Number(event.timer.slice(5)))?.life;
    return l?.kind === "alive" && l.stop !== null ? [...out, { ...event }] : out;
  }
}

// --- sd_notify --------------------------------------------------------------------------

/** WATCHDOG=trigger parsed and dropped on the way to the core (as before the core knew it): the notify event goes without it. */
class DropsWatchdogTrigger extends Supervisor {
  override dispatch(...events: Event[]): void {
    super.dispatch(...events.map((e) => {
      if (e.type !== "notify" || e.trigger !== true) return e;
      const { trigger: _, ...rest } = e;
      return rest;
    }));
  }
}

/** A probe cut short by lazarus itself (a failed re-exec) told to the core as a failed one (as before the core knew no verdict). */
class ReportsInterruptedAsFailed extends Supervisor {
  override dispatch(...events: Event[]): void {
    super.dispatch(...events.map((e): Event => (e.type !== "probe-interrupted" ? e
      : { type: "probe-result", at: e.at, server: e.server, pid: e.pid, purpose: e.purpose, ok: false, reason: e.reason })));
  }
}

/** A spawn that failed for want of a resource told to the core as any failed spawn (as before the core knew the difference). */
class LosesSpawnShortage extends Supervisor {
  protected override perform(effect: Effect, at: number): Event[] {
    return super.perform(effect, at).map((e): Event => {
      if (e.type !== "spawn-failed" || e.short !== true) return e;
      const { short: _, ...plain } = e;
      return plain;
    });
  }
}

const terminating = (e: Event | null) => e !== null && (e.type === "terminate" || (e.type === "control" && e.command.op === "shutdown"));

/** Forgets which tables `ctl scale` holds at 0 (the plan's Settings.scaledToZero) on the way to the core: with nothing else left it exits. */
class ForgetsScaledToZero extends Supervisor {
  override dispatch(...events: Event[]): void {
    super.dispatch(...events.map((e) => {
      if (e.type !== "reconfigure" || e.settings.scaledToZero === undefined) return e;
      const { scaledToZero: _, ...settings } = e.settings;
      return { ...e, settings };
    }));
  }
}

function make(C: new (port: OsPort, config: ShellConfig) => Supervisor): SupervisorFactory {
  return (port, config) => new C(port, config);
}

/** Issue 23's planted busy loops: each is caught by a step bound whose message names the busy loop (busy.ts). */
export const BUSY_TIMER_MUTANT = "set a due timer again for its instant, for ever";
export const BUSY_STEP_MUTANT = "tell the core a stop timer again until its server has ended";

/** The planted sd_notify bug: caught by the world's check of what the core is told of a datagram, which names it (in parentheses). */
export const TRIGGER_MUTANT = "drop WATCHDOG=trigger";
/** The planted leftovers bug: caught by the world's check that the shell carries out every effect the core asked for, which names the SIGKILL. */
export const LEFTOVER_MUTANT = "never carry out the SIGKILL of what is left of a crashed server's group";
/** The planted probe bug: caught by the world's check of what the core is told of an interrupted probe, which names it. */
export const INTERRUPTED_PROBE_MUTANT = "report an interrupted probe as failed";
/** The planted spawn bug: caught by the world's check of what the core is told of a failed spawn, which names it. */
export const SHORTAGE_MUTANT = "lose a spawn's shortage on the way to the core";

export const SHELL_MUTANTS: Readonly<Record<string, SupervisorFactory>> = {
  "drop the second of two coalesced exits": make(DropsCoalescedExit),
  "forget that a table is scaled to 0": make(ForgetsScaledToZero),
  "reap the wrong pid": make(AdoptsWrongPid),
  "signal a reused pid": make(SignalsStalePid),
  "leave the stop timer armed after the last child ended": make(LeavesTimersArmed),
  "spawn after shutdown began": make(RetriesSpawnsItself),
  "lose an exit that arrives during re-exec": make(ForgetsExitsBeforeExec),
  "spawn before reporting exits already reaped": make(SpawnsBeforeReportingExits),
  "time a death during the exec at its reaping": make(ForgetsDeathsDuringExec),
  // A cache of marshalled environments keyed wrongly (by nothing): every server gets the first one's.
  "spawn every server with the first server's environment": (port, config) =>
    new Supervisor(port, { ...config, spawnExtras: (i) => ({ ...config.spawnExtras(i), env: config.spawnExtras(0).env }) }),
  // Issue 17: deadlines, the alarm, shutdown and re-exec, remnants, take-over.
  "honour a re-exec during a shutdown": make(ReexecsDuringShutdown),
  "never arm the alarm": dropping((e) => e.type === "arm" && e.timer === "alarm"),
  "lose the alarm across a re-exec": handingAcross((h) => ({ ...h, alarmAt: null })),
  "drop a stop order across a re-exec": handingAcross((h) => ({ ...h, servers: h.servers.map((s) => (s.kind === "alive" ? { ...s, stop: null } : s)) })),
  "never signal a crashed server's remnants": dropping((e) => e.type === "kill-remnants" && e.signal === SIGTERM),
  [LEFTOVER_MUTANT]: dropping((e, event) => e.type === "kill-remnants" && e.signal === SIGKILL && event?.type === "timer" && event.timer === "leftovers"),
  // The servers' own stop timeouts are lost on the way from the plan to the core: the global one is used.
  "ignore a server's own stop timeout": (port, config) =>
    new Supervisor(port, { ...config, servers: config.servers.map(({ stopTimeoutMs: _, ...spec }) => spec) }),
  "no SIGKILL on a second terminate": dropping((e, event) => e.type === "kill" && e.signal === SIGKILL && terminating(event)),
  "no SIGKILL at the alarm": dropping((e, event) => e.type === "kill" && e.signal === SIGKILL && event?.type === "timer" && event.timer === "alarm"),
  "drop adopt after a re-exec": dropping((e) => e.type === "adopt"),
  // Issue 14: the policy's settings on their way to the core, what the shell hands across, its timers.
  "lose depends_on on the way to the core": (port, config) =>
    new Supervisor(port, { ...config, servers: config.servers.map(({ dependsOn: _, ...spec }) => spec) }),
  "lose backoff on the way to the core": (port, config) =>
    new Supervisor(port, { ...config, servers: config.servers.map(({ backoff: _, ...spec }) => spec) }),
  "lose backoff retries in the handover": handingAcross((h) => ({ ...h, servers: h.servers.map(({ retries: _, ...s }) => s) })),
  "lose readiness in the handover": handingAcross((h) => ({ ...h, servers: h.servers.map((s) => (s.kind === "alive" ? { ...s, ready: true } : s)) })),
  "never arm lazarus's own systemd watchdog": dropping((e) => e.type === "arm" && e.timer === "sd-watchdog"),
  "leave probe timers armed after a stop order": dropping((e) => e.type === "disarm" && e.timer.startsWith("probe:")),
  "drop the probe effect (never carry a probe out)": dropping((e) => e.type === "probe"),
  "give the core a probe's answer about a process that ended (its pid reused)": make(ForwardsStaleProbeAnswers),
  // Issue 15: reloads.
  "restart an unchanged server": make(RestartsUnchanged),
  "forget to stop a removed server": make(KeepsRemoved),
  "apply a half-valid file": lenient,
  // Issue 15: rolling restarts.
  "spawn a rolling restart's new process with the wrong environment": make(SpawnsAsideWithWrongEnv),
  "stop the old process when the roll begins": make(StopsOldAtRollStart),
  "never answer a rolling restart": dropping((e) => e.type === "reply" && /^(rolled|rolling restart)/.test(e.message)),
  "answer a rolling restart at once": make(AnswersRollAtOnce),
  "restart a table's copies at once on a reload": make(LosesGroups),
  // sd_notify: what a server's datagram says, on its way to the core.
  [TRIGGER_MUTANT]: make(DropsWatchdogTrigger),
  // Probes: a command probe killed before a re-exec that failed is no verdict.
  [INTERRUPTED_PROBE_MUTANT]: make(ReportsInterruptedAsFailed),
  [SHORTAGE_MUTANT]: make(LosesSpawnShortage),
  // Issue 23: busy loops at one instant, caught by the world's step bounds.
  [BUSY_TIMER_MUTANT]: resetsDueTimers,
  [BUSY_STEP_MUTANT]: make(RetriesStopTimer),
};

/** The planted reload bugs: each is caught by a check whose message names it (in parentheses). */
export const RELOAD_MUTANTS: readonly string[] = [
  "restart an unchanged server", "forget to stop a removed server", "apply a half-valid file",
  "spawn a rolling restart's new process with the wrong environment", "stop the old process when the roll begins", "never answer a rolling restart",
  "answer a rolling restart at once", "restart a table's copies at once on a reload",
];
