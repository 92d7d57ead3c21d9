// Planted bugs in the shell (not the reducer): faulty Supervisors, each a
// small, plausible mistake in the imperative code. The simulator must catch
// every one within its default budget (sim.test.ts).
import { SIGUSR1 } from "../../src/core/signals.ts";
import type { Effect, Event, Handover } from "../../src/core/types.ts";
import type { OsPort } from "../../src/os/port.ts";
import { type ShellConfig, Supervisor } from "../../src/shell/supervisor.ts";
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

function make(C: new (port: OsPort, config: ShellConfig) => Supervisor): SupervisorFactory {
  return (port, config) => new C(port, config);
}

export const SHELL_MUTANTS: Readonly<Record<string, SupervisorFactory>> = {
  "drop the second of two coalesced exits": make(DropsCoalescedExit),
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
};
