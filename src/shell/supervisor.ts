// The imperative shell: turns what the OS reports (exits, signals, timers) into
// events for the pure core, and carries out the effects the core returns. It
// decides nothing itself. It reaches the OS only through an OsPort, so the same
// code runs against Bun in production and against the simulated OS in tests.
import { unreachable } from "../core/describe.ts";
import { SIGALRM, SIGHUP, SIGINT, SIGIO, SIGPIPE, SIGPROF, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGXCPU, SIGXFSZ } from "../core/signals.ts";
import { initialState, step } from "../core/step.ts";
import type { Effect, Event, Handover, ServerSpec, Settings, State, TimerName } from "../core/types.ts";
import { type About, parseRequest, replyError, replyOk } from "../control/protocol.ts";
import { statusOf } from "../core/status.ts";
import type { OsPort, SpawnRequest, TimerHandle } from "../os/port.ts";
import { VERSION } from "../version.ts";
import { formatHeaderLine, formatInputLine, formatLogLine, type LogFormat } from "./log-format.ts";

export interface ShellConfig {
  readonly settings: Settings;
  readonly servers: readonly ServerSpec[];
  readonly logFormat: LogFormat;
  /** How each server is started beyond its argv: its complete environment, cwd and output. */
  readonly spawnExtras: (server: number) => Omit<SpawnRequest, "argv">;
  /**
   * The command and environment that re-execute this supervisor with the given
   * handover; null when this build cannot re-exec (the core is told why).
   */
  readonly reexecCommand?: (handover: Handover) => { argv: readonly string[]; env: Readonly<Record<string, string>> } | string;
  /** The supervisor's own pid, shown by `ctl status`. */
  readonly pid?: number;
  /** Who it is, for {"cmd":"about"} (`ctl ls`): where it was started, from which files, when. */
  readonly identity?: {
    readonly cwd: string;
    readonly config: string | null;
    readonly procfile: string | null;
    /** Monotonic ms of the process's start (the first image's, across re-execs). */
    readonly startedAt: number;
  };
  /** Observers (tests, the simulator, the JSON log): every step as it happened. */
  readonly onStep?: (event: Event, before: State, after: State, effects: readonly Effect[]) => void;
}

function isExit(e: Event): boolean {
  return e.type === "exited";
}

export class Supervisor {
  private state: State;
  private readonly queue: Event[] = [];
  private draining = false;
  private readonly timers = new Map<TimerName, TimerHandle>();
  /** Control requests waiting for the core's reply effect, by event id. */
  private readonly replies = new Map<number, (ok: boolean, message: string) => void>();
  private nextRequest = 1;
  /** Events raised now are handled at once, not queued (exits flushed before a spawn). */
  private inline = false;

  constructor(protected readonly port: OsPort, protected readonly config: ShellConfig) {
    this.state = initialState(config.settings, config.servers);
    this.bootedAt = port.now();
  }

  /** The core's current state (read-only: for status queries and tests). */
  get current(): State {
    return this.state;
  }

  /** Subscribe to the OS, then start every server (or take over a re-exec's handover). */
  start(handover: Handover | null, notes: readonly string[] = []): void {
    const port = this.port;
    port.onExit((pid, status, atTakeover) => this.dispatch({ type: "exited", at: port.now(), pid, status, ...(atTakeover ? { atTakeover } : {}) }));
    port.onNotice((n) => this.dispatch(n.kind === "dropped"
      ? { type: "log-dropped", at: port.now(), log: n.log, output: n.output }
      : { type: "problem", at: port.now(), text: n.text }));
    port.onSignal(SIGUSR2, () => this.dispatch({ type: "revive", at: port.now() }));
    // SIGHUP and SIGALRM too: their default action would kill lazarus and orphan every server.
    for (const signal of [SIGTERM, SIGINT, SIGHUP, SIGALRM]) {
      port.onSignal(signal, () => this.dispatch({ type: "terminate", at: port.now(), signal }));
    }
    for (const signal of [SIGPIPE, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO]) {
      port.onSignal(signal, () => this.dispatch({ type: "stray-signal", at: port.now(), signal }));
    }
    port.onSignal(SIGQUIT, () => this.dispatch({ type: "info", at: port.now() }));
    port.onSignal(SIGUSR1, () => {
      // Exits the runtime already reaped would be lost in the exec: classify them first.
      port.flushExits();
      this.dispatch({ type: "reexec", at: port.now() });
    });
    const at = port.now();
    if (this.config.logFormat === "json") {
      port.log(formatHeaderLine(VERSION, this.config.settings, this.config.servers, at, port.wallTime()));
    }
    this.dispatch({ type: "start", at, handover, version: VERSION, ...(notes.length > 0 ? { notes } : {}) });
  }

  /** Open the control socket; an error text when it cannot be opened. */
  listen(path: string, strict: boolean): Promise<string | null> {
    this.socket = path;
    return this.port.listenControl(path, strict, (line, respond) => this.request(line, respond));
  }

  private socket = "";
  private bootedAt = Number.NaN;

  /** How long this supervisor has run: since the process started (across re-execs), or since this image booted. */
  private uptime(): number {
    const started = this.config.identity?.startedAt;
    const from = started !== undefined && Number.isFinite(started) ? started : this.bootedAt;
    return Math.max(0, Math.round(this.port.now() - from));
  }

  /** One control request: status is read from the state; every command is an event for the core. */
  private request(line: string, respond: (reply: string) => void): void {
    const req = parseRequest(line, this.config.servers);
    switch (req.kind) {
      case "error":
        respond(replyError(req.id, req.error));
        return;
      case "status":
        respond(replyOk(req.id, { status: { pid: this.config.pid ?? null, version: VERSION, ...statusOf(this.state, this.port.now()) } }));
        return;
      case "about": {
        const id = this.config.identity;
        const about: About = {
          pid: this.config.pid ?? 0, version: VERSION, cwd: id?.cwd ?? "", config: id?.config ?? null, procfile: id?.procfile ?? null,
          servers: this.state.servers.length, uptimeMs: this.uptime(), socket: this.socket,
        };
        respond(replyOk(req.id, { about }));
        return;
      }
      case "command": {
        const id = this.nextRequest++;
        this.replies.set(id, (ok, message) => respond(ok ? replyOk(req.id, { message }) : replyError(req.id, message)));
        this.dispatch({ type: "control", at: this.port.now(), id, command: req.command });
        // The core answers every control event; should it not, the client still hears back.
        if (this.replies.delete(id)) respond(replyError(req.id, "no answer"));
        return;
      }
      default:
        unreachable(req);
    }
  }

  /** Feed one event to the core; events raised while effects run wait their turn. */
  dispatch(event: Event): void {
    if (this.inline) {
      this.handle(event);
      return;
    }
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) this.handle(e);
    } finally {
      this.draining = false;
    }
  }

  /** One step of the core and its effects (protected: the simulator plants faulty shells by overriding). */
  protected handle(event: Event): void {
    const before = this.state;
    if (this.config.logFormat === "json") this.port.log(formatInputLine(event, this.port.wallTime()));
    const { state, effects } = step(before, event);
    this.state = state;
    this.config.onStep?.(event, before, state, effects);
    for (const effect of effects) this.perform(effect, event.at);
  }

  protected perform(effect: Effect, at: number): void {
    const port = this.port;
    switch (effect.type) {
      case "spawn": {
        // Every exit already known (waiting in our queue, or in the port) is
        // handled first, at once: the pid it freed may be handed to this very
        // spawn, and the core must not take the old process's end for the new
        // one's. (Spawns nest here: such an exit may respawn; each level
        // restores what it found.)
        const outer = this.inline;
        this.inline = true;
        try {
          // Until none is left: handling one may spawn, and a child that dies at
          // once in that nested spawn queues its exit meanwhile.
          do {
            for (let i = this.queue.findIndex(isExit); i >= 0; i = this.queue.findIndex(isExit)) {
              this.handle(this.queue.splice(i, 1)[0] as Event);
            }
            port.flushExits();
          } while (this.queue.some(isExit));
        } finally {
          this.inline = outer;
        }
        const extras = this.config.spawnExtras(effect.server);
        // An exit reported from inside the spawn call is the new child's own
        // (it died at once): it must wait in the queue until its spawn is recorded.
        this.inline = false;
        let r: ReturnType<OsPort["spawn"]>;
        try {
          r = port.spawn({ ...extras, argv: effect.argv });
        } finally {
          this.inline = outer;
        }
        // The core waits for this answer before anything else about the server
        // (its `starting` state): hand it over at once, ahead of queued events.
        const now = port.now();
        this.handle(r.ok
          ? { type: "spawned", at: now, server: effect.server, pid: r.pid }
          : { type: "spawn-failed", at: now, server: effect.server, error: r.error });
        return;
      }
      case "kill":
        port.kill(effect.pid, effect.signal, effect.group);
        return;
      case "log":
        port.log(formatLogLine(this.config.logFormat, effect.record, at, port.wallTime()));
        return;
      case "arm": {
        this.timers.get(effect.timer)?.cancel();
        const timer = effect.timer;
        this.timers.set(timer, port.setTimer(effect.at, () => {
          this.timers.delete(timer);
          this.dispatch({ type: "timer", at: port.now(), timer });
        }));
        return;
      }
      case "disarm":
        this.timers.get(effect.timer)?.cancel();
        this.timers.delete(effect.timer);
        return;
      case "kill-remnants":
        port.killRemnants(effect.pgid, effect.signal);
        return;
      case "adopt":
        port.adopt(effect.pid);
        return;
      case "reexec": {
        const cmd = this.config.reexecCommand?.(effect.handover) ?? "this build cannot re-exec";
        const error = typeof cmd === "string" ? cmd : port.exec(cmd.argv, cmd.env);
        // Only reached when the exec did not happen: the old image goes on.
        this.queue.push({ type: "reexec-failed", at: port.now(), error });
        return;
      }
      case "reply": {
        const respond = this.replies.get(effect.id);
        this.replies.delete(effect.id);
        respond?.(effect.ok, effect.message);
        return;
      }
      case "exit":
        for (const t of this.timers.values()) t.cancel();
        this.timers.clear();
        port.exit(effect.status);
        return;
      default:
        unreachable(effect);
    }
  }
}
