// Drives the pure core the way the shell does, without any OS: every spawn
// effect is answered at once with a spawn result (a fresh pid, or a failure
// when the test says so), exactly as the shell answers it before anything else.
import { initialState, step } from "../../src/core/step.ts";
import type { Effect, Event, ExitStatus, Handover, ServerSpec, Settings, State } from "../../src/core/types.ts";
import { serverNames } from "../../src/config/names.ts";

export const SETTINGS: Settings = { intervalMs: 1000, stopTimeoutMs: 5000, alarmMs: 0 };

export function specs(...argvs: string[][]): ServerSpec[] {
  const names = serverNames(argvs);
  return argvs.map((argv, i) => ({ argv, name: names[i] as string }));
}

export const code = (c: number): ExitStatus => ({ kind: "code", code: c });
export const sig = (s: number): ExitStatus => ({ kind: "signal", signal: s });

export type Step = (state: State, event: Event) => { state: State; effects: readonly Effect[] };

export class Driver {
  state: State;
  /** Every effect so far, in order (spawn results included). */
  readonly all: Effect[] = [];
  /** Every event fed so far, including the spawn results the driver made up. */
  readonly events: Event[] = [];
  nextPid = 100;
  /** Servers whose next spawn fails, with the error text. */
  readonly failNext = new Map<number, string>();
  /** A spawn result the driver should not make up (the test feeds it itself). */
  manualSpawns = false;

  constructor(servers: ServerSpec[], settings: Settings = SETTINGS, private readonly stepFn: Step = step) {
    this.state = initialState(settings, servers);
  }

  /** Feed one event; returns the effects of it and of the spawn results it led to. */
  feed(event: Event): Effect[] {
    const out: Effect[] = [];
    this.handle(event, out);
    return out;
  }

  /** As the shell does: each spawn is answered at once, before the step's next effect. */
  private handle(e: Event, out: Effect[]): void {
    this.events.push(e);
    const r = this.stepFn(this.state, e);
    this.state = r.state;
    for (const eff of r.effects) {
      out.push(eff);
      this.all.push(eff);
      if (eff.type !== "spawn" || this.manualSpawns) continue;
      const err = this.failNext.get(eff.server);
      if (err !== undefined) {
        this.failNext.delete(eff.server);
        this.handle({ type: "spawn-failed", at: e.at, server: eff.server, error: err }, out);
      } else {
        this.handle({ type: "spawned", at: e.at, server: eff.server, pid: this.nextPid++ }, out);
      }
    }
  }

  start(at = 0, handover: Handover | null = null): Effect[] {
    return this.feed({ type: "start", at, handover });
  }

  exit(pid: number, status: ExitStatus, at: number): Effect[] {
    return this.feed({ type: "exited", at, pid, status });
  }

  /** The pid of server i, which must be alive. */
  pid(i: number): number {
    const life = this.state.servers.at(i)?.life;
    if (life?.kind !== "alive") throw new Error(`server ${i} is not alive but ${life?.kind}`);
    return life.pid;
  }

  kind(i: number): string | undefined {
    return this.state.servers.at(i)?.life.kind;
  }

  kinds(): string[] {
    return this.state.servers.map((s) => s.life.kind);
  }
}

export function logs(effects: readonly Effect[]): string[] {
  return effects.flatMap((e) => (e.type === "log" ? [e.record.text] : []));
}

export function spawns(effects: readonly Effect[]): { server: number; argv: readonly string[] }[] {
  return effects.flatMap((e) => (e.type === "spawn" ? [{ server: e.server, argv: e.argv }] : []));
}

export function kills(effects: readonly Effect[]): { pid: number; signal: number; group: boolean }[] {
  return effects.flatMap((e) => (e.type === "kill" ? [{ pid: e.pid, signal: e.signal, group: e.group }] : []));
}

export function exits(effects: readonly Effect[]): number[] {
  return effects.flatMap((e) => (e.type === "exit" ? [e.status] : []));
}
