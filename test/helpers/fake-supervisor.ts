// A supervisor without processes, for the HTTP endpoint's tests: the real pure
// core (step) driven by made-up OS answers. A spawn succeeds at once with the
// next fake pid; a signal to a server's group ends it at once by that signal;
// `crash` ends one as the test says. Its log records feed the real History, and
// its snapshot is built by the real snapshotOf, so what the endpoint serves
// comes from the same code paths as in lazarus. The clock is injected: a
// VirtualClock runs with real time and can jump ahead (an hour of history in a
// moment).
import { step, initialState } from "../../src/core/step.ts";
import type { ControlCommand, Event, ExitStatus, ServerSpec, State } from "../../src/core/types.ts";
import type { HttpAction } from "../../src/http/app.ts";
import { snapshotOf } from "../../src/http/from-core.ts";
import { History } from "../../src/http/history.ts";
import type { HttpSnapshot } from "../../src/http/snapshot.ts";

export class VirtualClock {
  private offset = 0;
  constructor(private readonly real: () => number = () => performance.now(), start = 1_000_000) {
    this.offset = start - real();
  }
  now = (): number => this.real() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** A clock that moves only when told. */
export class ManualClock {
  t: number;
  constructor(start = 1_000_000) {
    this.t = start;
  }
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface FakeOptions {
  readonly intervalMs?: number;
  readonly pid?: number;
  readonly version?: string;
  /** Servers whose output lazarus sees (prefixed); others' output is null. */
  readonly seesOutput?: readonly string[];
}

export class FakeSupervisor {
  state: State;
  readonly history: History;
  readonly actions: HttpAction[] = [];
  readonly ready = new Map<number, boolean>();
  events = 0;
  controlRequests = 0;
  private nextPid = 4200;
  private nextId = 1;
  private readonly replies = new Map<number, (ok: boolean, message: string) => void>();
  private readonly listeners: ((s: HttpSnapshot) => void)[] = [];
  private readonly startedAt: number;

  constructor(readonly specs: readonly ServerSpec[], readonly clock: { now(): number }, private readonly options: FakeOptions = {}) {
    this.state = initialState({ intervalMs: options.intervalMs ?? 1000, stopTimeoutMs: 10_000, alarmMs: 0 }, specs);
    this.history = new History(specs.length);
    this.startedAt = clock.now();
  }

  /** Called with every new snapshot (the endpoint's push). */
  onChange(f: (s: HttpSnapshot) => void): void {
    this.listeners.push(f);
  }

  index(name: string): number {
    const i = this.state.servers.findIndex((s) => s.spec.name === name);
    if (i < 0) throw new Error(`no server ${name}`);
    return i;
  }

  pid(name: string): number {
    const l = this.state.servers.at(this.index(name))?.life;
    if (l?.kind !== "alive") throw new Error(`${name} is not alive`);
    return l.pid;
  }

  start(): void {
    this.dispatch({ type: "start", at: this.clock.now(), handover: null, version: this.options.version ?? "0.1.0" });
  }

  /** The server ends now with this status (a crash, or a clean exit). */
  end(name: string, status: ExitStatus): void {
    this.dispatch({ type: "exited", at: this.clock.now(), pid: this.pid(name), status });
  }

  crash(name: string, signalOrCode: { signal: number } | { code: number }): void {
    this.end(name, "signal" in signalOrCode ? { kind: "signal", signal: signalOrCode.signal } : { kind: "code", code: signalOrCode.code });
  }

  output(name: string, stream: "out" | "err", line: string): void {
    this.history.noteOutput(this.index(name), stream, line);
    this.changed();
  }

  terminate(): void {
    this.dispatch({ type: "terminate", at: this.clock.now(), signal: 15 });
  }

  control(command: ControlCommand, respond: (ok: boolean, message: string) => void): void {
    const id = this.nextId++;
    this.controlRequests++;
    this.replies.set(id, respond);
    this.dispatch({ type: "control", at: this.clock.now(), id, command });
    if (this.replies.delete(id)) respond(false, "no answer");
  }

  /** The endpoint's onAction: the action as a control command of the core. */
  onAction = (action: HttpAction, respond: (ok: boolean, message: string) => void): void => {
    this.actions.push(action);
    this.control({ op: action.op, server: action.server }, respond);
  };

  snapshot(): HttpSnapshot {
    const seen = new Set((this.options.seesOutput ?? []).map((n) => this.index(n)));
    return snapshotOf({
      state: this.state,
      now: this.clock.now(),
      history: this.history,
      supervisor: {
        pid: this.options.pid ?? 4100, version: this.options.version ?? "0.1.0", startedAt: this.startedAt,
        events: this.events, reexecs: 0, droppedLog: 0, droppedOutput: 0, controlRequests: this.controlRequests,
      },
      ready: (i) => this.ready.get(i) ?? null,
      seesOutput: (i) => seen.has(i),
    });
  }

  changed(): void {
    const s = this.snapshot();
    for (const f of this.listeners) f(s);
  }

  dispatch(first: Event): void {
    const queue: Event[] = [first];
    for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
      this.events++;
      const { state, effects } = step(this.state, e);
      this.state = state;
      for (const fx of effects) {
        switch (fx.type) {
          case "log":
            this.history.noteRecord(fx.record, e.at);
            break;
          case "spawn":
            // The shell answers a spawn before anything else.
            queue.unshift({ type: "spawned", at: this.clock.now(), server: fx.server, pid: this.nextPid++ });
            break;
          case "kill":
            if (fx.signal !== 0) queue.push({ type: "exited", at: this.clock.now(), pid: fx.pid, status: { kind: "signal", signal: fx.signal } });
            break;
          case "reply": {
            const r = this.replies.get(fx.id);
            this.replies.delete(fx.id);
            r?.(fx.ok, fx.message);
            break;
          }
          default:
            break;
        }
      }
    }
    this.changed();
  }
}
