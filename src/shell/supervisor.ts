// The imperative shell: turns what the OS reports (exits, signals, timers) into
// events for the pure core, and carries out the effects the core returns. It
// decides nothing itself. It reaches the OS only through an OsPort, so the same
// code runs against Bun in production and against the simulated OS in tests.
import { unreachable } from "../core/describe.ts";
import { SIGALRM, SIGHUP, SIGINT, SIGIO, SIGPIPE, SIGPROF, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGXCPU, SIGXFSZ } from "../core/signals.ts";
import { isCurrent, slotOfName } from "../core/reconfigure.ts";
import { handoverSpecs, initialState, step } from "../core/step.ts";
import type { ControlCommand, Effect, Event, Handover, LogRecord, ReloadSummary, ServerSpec, Settings, State, TimerName } from "../core/types.ts";
import { type About, parseRequest, replyError, replyOk } from "../control/protocol.ts";
import { statusOf } from "../core/status.ts";
import type { HttpAddress } from "../http/address.ts";
import { snapshotOf } from "../http/from-core.ts";
import { History } from "../http/history.ts";
import type { HttpEndpoint, HttpEndpointOptions } from "../os/http-server.ts";
import type { LogTarget } from "../logs/target.ts";
import type { OsPort, PortExit, PortNotice, SpawnRequest, TimerHandle } from "../os/port.ts";
import { parseNotifyMessage } from "../os/notify-message.ts";
import { printable } from "../text/bytes.ts";
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
  readonly reexecCommand?: (handover: Handover, specs?: readonly ServerSpec[]) => { argv: readonly string[]; env: Readonly<Record<string, string>> } | string;
  /**
   * `ctl reload`: the files the supervisor was started from, read again and
   * validated as a whole (boot.ts); absent: this supervisor cannot reload.
   */
  readonly reload?: () => Reloaded;
  /** `ctl scale NAME N`: the same texts planned again with N copies of NAME (boot.ts); absent: this supervisor cannot scale. */
  readonly scale?: (name: string, count: number) => Reloaded;
  /** The supervisor's own pid, shown by `ctl status`. */
  readonly pid?: number;
  /** Who it is, for {"cmd":"about"} (`ctl ls`): where it was started, from which files, when. */
  readonly identity?: {
    readonly cwd: string;
    readonly config: string | null;
    readonly procfile: string | null;
    /** Monotonic ms of the process's start (the first image's, across re-execs). */
    readonly startedAt: number;
    /** Live re-execs so far (this image's predecessors). */
    readonly reexecs?: number;
  };
  /** lazarus's own JSON event log as a file too (event_log), whatever logFormat says; null or absent: none. */
  readonly eventLog?: LogTarget | null;
  /** Observers (tests, the simulator, the JSON log): every step as it happened. */
  readonly onStep?: (event: Event, before: State, after: State, effects: readonly Effect[]) => void;
}

/** A reload's new configuration (its specs carry their launch fingerprints), or why there is none. */
export type Reloaded =
  | {
    readonly ok: true;
    readonly settings: Settings;
    readonly servers: readonly ServerSpec[];
    readonly logFormat: LogFormat;
    /** How each of `servers` (by its index there) is started beyond its argv. */
    readonly spawnExtras: (server: number) => Omit<SpawnRequest, "argv">;
    /** Called once the core has applied it: what a re-exec carries becomes these files' texts. */
    readonly commit: () => void;
    /** What the files changed that a reload does not move (the control socket, the HTTP endpoint, the event log): said, not applied. */
    readonly unapplied?: readonly string[];
  }
  | { readonly ok: false; readonly error: string };

/** An exit the port knows of, as an event for the core. */
export function exitEvent(x: PortExit, at: number, server: number | undefined): Event {
  return { type: "exited", at, pid: x.pid, status: x.status, ...(x.atTakeover ? { atTakeover: true } : {}), ...(server === undefined ? {} : { server }) };
}

export class Supervisor {
  private state: State;
  /** Events waiting for the core, in order. */
  private readonly queue: Event[] = [];
  private running = false;
  private readonly timers = new Map<TimerName, TimerHandle>();
  /** Control requests waiting for the core's reply effect, by event id. */
  private readonly replies = new Map<number, (ok: boolean, message: string, reload?: ReloadSummary) => void>();
  /** Replies the core gave, sent once the log lines before them are written (flushOut). */
  private readonly pendingReplies: (() => void)[] = [];
  private nextRequest = 1;
  /**
   * The probes being carried out, by the pid they are about. A probe's answer names a pid only,
   * and the core takes it for whichever process has that pid when it comes: once the process has
   * ended (its pid may be handed out again) the answers about it are dropped (the core would
   * ignore them anyway, unless the pid is another process's by then).
   */
  private readonly probesOf = new Map<number, Set<object>>();
  /** Which server each pid we spawned or adopted is: a hint for the core with each exit. */
  private readonly pids = new Map<number, number>();
  /** The HTTP endpoint, when there is one (serveHttp), and what it shows beyond the core's state. */
  private http: { endpoint: HttpEndpoint; options: HttpEndpointOptions; history: History } | null = null;
  private readonly counts = { events: 0, droppedLog: 0, droppedOutput: 0, controlRequests: 0 };
  /** A re-exec the port prepares (prepareExec) before the core's exec effect is carried out. */
  private execPrep: "idle" | "preparing" | "ready" = "idle";
  /** The log file of each server (null: none), and lazarus's event log file. */
  private logs: readonly (LogTarget | null)[];
  private readonly eventLog: LogTarget | null;
  /**
   * How servers are started beyond their argv, by launch fingerprint
   * (ServerSpec.launch): a spawn uses the one of the spec it spawns, so a
   * server changed by a reload gets its new environment exactly when it takes
   * its new spec. Servers without a fingerprint use config.spawnExtras.
   */
  private readonly launches = new Map<string, Omit<SpawnRequest, "argv">>();
  /** Pids whose end the port has reported and the core has not been told yet (how many such ends, for a pid reused meanwhile). */
  private readonly untold = new Map<number, number>();
  private logFormat: LogFormat;
  /**
   * The log lines of the steps of this dispatch, not yet formatted nor written:
   * they go out together once the queue is empty (or before an exit or an
   * exec), so that a respawn never waits for a log line (see flushLog).
   */
  private readonly pendingLog: PendingLine[] = [];

  constructor(protected readonly port: OsPort, protected readonly config: ShellConfig) {
    this.state = initialState(config.settings, config.servers);
    this.bootedAt = port.now();
    this.logFormat = config.logFormat;
    config.servers.forEach((s, i) => { if (s.launch !== undefined) this.launches.set(s.launch, config.spawnExtras(i)); });
    this.logs = this.logTargets();
    this.eventLog = config.eventLog ?? null;
  }

  /** How server i is started beyond its argv (its spec's launch). */
  /** `user` for the status: whom server i's process runs as, when another user than lazarus (nothing otherwise). */
  private userOf(i: number): { user?: string } {
    const user = this.extrasOf(i).runAs?.user;
    return user === undefined ? {} : { user };
  }

  private extrasOf(i: number): Omit<SpawnRequest, "argv"> {
    const key = this.state.servers.at(i)?.spec.launch;
    return (key === undefined ? undefined : this.launches.get(key)) ?? this.config.spawnExtras(i);
  }

  /** The log file of every server slot (from the launch of the spec it runs, or will run after a reload). */
  private logTargets(): (LogTarget | null)[] {
    return this.state.servers.map((s, i) => {
      const key = (s.next ?? s.spec).launch;
      const out = ((key === undefined ? undefined : this.launches.get(key)) ?? this.config.spawnExtras(i)).output;
      return out?.kind === "piped" ? out.log : null;
    });
  }

  /** The current servers' specs, a removed server's name blanked (so that a name finds the server that has it now). */
  private namesView(): ServerSpec[] {
    return this.state.servers.map((s) => (isCurrent(s) ? s.spec : { ...s.spec, name: "" }));
  }

  /** The core's current state (read-only: for status queries and tests). */
  get current(): State {
    return this.state;
  }

  /** Subscribe to the OS, then start every server (or take over a re-exec's handover). */
  start(handover: Handover | null, notes: readonly string[] = []): void {
    const port = this.port;
    port.onExit((x) => this.dispatch(this.exitEvent(x)));
    port.onNotice((n) => this.dispatch(noticeEvent(n, port.now())));
    // A line of a server's output matched its readiness pattern (the core checks that the pid is still that server's).
    port.onOutputMatch((pid) => this.dispatch({ type: "output-match", at: port.now(), pid }));
    port.onSignal(SIGUSR2, () => this.dispatch({ type: "revive", at: port.now() }));
    // SIGHUP and SIGALRM too: their default action would kill lazarus and orphan every server.
    for (const signal of [SIGTERM, SIGINT, SIGHUP, SIGALRM]) {
      port.onSignal(signal, () => this.dispatch({ type: "terminate", at: port.now(), signal }));
    }
    for (const signal of [SIGPIPE, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO]) {
      port.onSignal(signal, () => this.dispatch({ type: "stray-signal", at: port.now(), signal }));
    }
    port.onSignal(SIGQUIT, () => this.dispatch({ type: "info", at: port.now() }));
    // Exits the port already reaped would be lost in the exec: they are classified first.
    port.onSignal(SIGUSR1, () => this.dispatch(...this.takeExits(), { type: "reexec", at: port.now() }));
    const at = port.now();
    // The log files are opened now: a directory that cannot be written is said at once.
    for (const target of this.logFiles()) port.openLog(target);
    const header = formatHeaderLine(VERSION, this.config.settings, this.config.servers, at, port.wallTime());
    if (this.logFormat === "json") port.log(header);
    if (this.eventLog !== null) port.appendLog(this.eventLog, header);
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
    return Math.max(0, Math.round(this.port.now() - this.startedAt()));
  }

  /**
   * Serve metrics, health and the status page (src/http, on Bun's HTTP server
   * through the port); an error text when it cannot listen. Actions become control
   * commands of the core, answered with its reply.
   */
  serveHttp(address: HttpAddress, token: string | null): string | null {
    const port = this.port;
    const history = new History(this.config.servers.length);
    const options: HttpEndpointOptions = {
      address,
      token,
      now: () => port.now(),
      wallTime: () => port.wallTime(),
      snapshot: () => snapshotOf({
        state: this.state,
        now: port.now(),
        history,
        supervisor: {
          pid: this.config.pid ?? 0, version: VERSION, startedAt: this.startedAt(), events: this.counts.events,
          reexecs: this.config.identity?.reexecs ?? 0, droppedLog: this.counts.droppedLog, droppedOutput: this.counts.droppedOutput,
          controlRequests: this.counts.controlRequests,
        },
        seesOutput: (i) => this.extrasOf(i).output?.kind === "piped",
        userOf: (i) => this.userOf(i).user,
      }),
      onAction: (action, respond) => {
        this.counts.controlRequests++;
        this.command({ op: action.op, server: action.server }, respond);
      },
      onProblem: (text) => this.dispatch({ type: "problem", at: port.now(), text }),
    };
    const endpoint = port.serveHttp(options);
    if (typeof endpoint === "string") return endpoint;
    this.http = { endpoint, options, history };
    port.tapOutput((name, stream, line) => {
      const i = slotOfName(this.state.servers, name);
      if (i < 0) return;
      history.noteOutput(i, stream === "stdout" ? "out" : "err", line);
      endpoint.changed();
    });
    return null;
  }

  /** The HTTP endpoint's address ("http://127.0.0.1:9100"), or null. */
  get httpUrl(): string | null {
    return this.http?.endpoint.url ?? null;
  }

  /** A command of an operator for the core; `respond` gets its reply (or "no answer", should it give none). */
  private command(command: ControlCommand, respond: (ok: boolean, message: string, reload?: ReloadSummary) => void): void {
    const id = this.nextRequest++;
    this.replies.set(id, respond);
    this.dispatch({ type: "control", at: this.port.now(), id, command });
    // A rolling restart is answered at its end (the core keeps the request), every other command at once.
    if (command.op === "roll") return;
    if (this.replies.delete(id)) respond(false, "no answer");
  }

  /** When the process started (across re-execs), or this image booted. */
  private startedAt(): number {
    const started = this.config.identity?.startedAt;
    return started !== undefined && Number.isFinite(started) ? started : this.bootedAt;
  }

  /** One control request: status is read from the state; every command is an event for the core. */
  private request(line: string, respond: (reply: string) => void): void {
    this.counts.controlRequests++;
    const req = parseRequest(line, this.namesView());
    switch (req.kind) {
      case "error":
        respond(replyError(req.id, req.error));
        return;
      case "status": {
        const st = statusOf(this.state, this.port.now());
        // (by the server's own index: the list leaves out the slots of removed servers that have ended)
        const servers = st.servers.map((x) => ({ ...x, ...this.userOf(x.index), log: this.logStatus(this.logs[x.index] ?? null) }));
        respond(replyOk(req.id, { status: { pid: this.config.pid ?? null, version: VERSION, ...st, servers, eventLog: this.logStatus(this.eventLog) } }));
        return;
      }
      case "about": {
        const id = this.config.identity;
        const about: About = {
          pid: this.config.pid ?? 0, version: VERSION, cwd: id?.cwd ?? "", config: id?.config ?? null, procfile: id?.procfile ?? null,
          servers: this.state.servers.filter(isCurrent).length, uptimeMs: this.uptime(), socket: this.socket,
          logs: this.state.servers.flatMap((x, i) => {
            const l = this.logs[i];
            return l === null || l === undefined || !isCurrent(x) ? [] : [{ name: x.spec.name, path: l.path }];
          }),
          eventLog: this.eventLog?.path ?? null,
        };
        respond(replyOk(req.id, { about }));
        return;
      }
      case "command":
        this.command(req.command, (ok, message) => respond(ok ? replyOk(req.id, { message }) : replyError(req.id, message)));
        return;
      case "logs":
        void this.logRequest(req.op, req.server).then((r) => respond(r.ok ? replyOk(req.id, { message: r.message }) : replyError(req.id, r.message)));
        return;
      case "reload":
        this.reload((ok, message, reload) => respond(ok ? replyOk(req.id, { message, ...(reload === undefined ? {} : { reload }) }) : replyError(req.id, message)));
        return;
      case "scale": {
        // A scale the texts do not allow (an unknown name, a copy's name taken) is answered here: nothing changed, no policy involved.
        const r = this.config.scale?.(req.name, req.count) ?? { ok: false as const, error: "this supervisor cannot scale" };
        if (!r.ok) return respond(replyError(req.id, r.error));
        this.reload((ok, message, reload) => respond(ok ? replyOk(req.id, { message, ...(reload === undefined ? {} : { reload }) }) : replyError(req.id, message)), r, {
          name: req.name, count: req.count,
        });
        return;
      }
      default:
        unreachable(req);
    }
  }

  /**
   * Feed events to the core. One flat loop: each event is one step of the
   * core; carrying out its effects gives the events they produced (a spawn's
   * result, and the exits the port knew of just before it), which join the
   * queue in the order they were produced. That order is the order in which
   * things happened to each pid (a process's start, its end, a new process
   * that got its pid), which is what the core needs; it copes with other
   * events arriving while a spawn's result is on its way.
   */
  dispatch(...events: Event[]): void {
    this.queue.push(...events);
    if (this.running) return;
    this.running = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) this.queue.push(...this.handle(e));
    } finally {
      this.running = false;
      this.flushOut();
    }
  }

  /**
   * The log lines so far, then the replies so far: a control client that has its
   * answer finds in the log every line of what its command caused until then.
   */
  private flushOut(): void {
    this.flushLog();
    if (this.pendingReplies.length === 0) return;
    this.port.flushLog();
    // One at a time: should one throw, the others are still sent (at the next dispatch's end at the latest).
    for (let send = this.pendingReplies.shift(); send !== undefined; send = this.pendingReplies.shift()) send();
  }

  /**
   * Write the lines of the steps so far, in their order: each line to the log
   * (stderr) as the log format says, and as JSON to the event log file, as one
   * append. Formatting waits until here too: it is after the spawns.
   */
  private flushLog(): void {
    const pending = this.pendingLog;
    if (pending.length === 0) return;
    const json = this.logFormat === "json";
    const events: string[] = [];
    for (const p of pending) {
      if (p.kind === "input") {
        const line = formatInputLine(p.event, p.wall);
        if (json) this.port.log(line);
        if (this.eventLog !== null) events.push(line);
      } else {
        const line = formatLogLine(this.logFormat, p.record, p.at, p.wall);
        this.port.log(line);
        if (this.eventLog !== null) events.push(json ? line : formatLogLine("json", p.record, p.at, p.wall));
      }
    }
    pending.length = 0;
    if (this.eventLog !== null && events.length > 0) this.port.appendLog(this.eventLog, events.join("\n"));
  }

  /**
   * Before the exit: what the port will kill that is no server's (a daemon a server left in a
   * session of its own, which outlived it) is said, before the last line (`exiting with status N.`),
   * so that an operator whose server daemonized itself learns why its daemon is gone.
   */
  private sayLeftBehind(): void {
    const MAX = 10;
    const left = this.port.leftBehind?.(MAX + 1) ?? [];
    if (left.length === 0) return;
    const named = left.slice(0, MAX).map((p) => `${p.pid} (${printable(p.name)})`).join(", ");
    const text = `killing what the servers left running in sessions of their own: pid ${named}${left.length > MAX ? " and more" : ""}; ` +
      "a server that puts itself in the background (daemonizes) must be run in the foreground to be supervised.";
    const at = this.port.now();
    const line: PendingLine = { kind: "record", record: { event: "left-behind", text }, at, wall: this.port.wallTime() };
    // Before `exiting with status N.`, which stays the last line.
    let last = -1;
    this.pendingLog.forEach((p, i) => { if (p.kind === "record" && p.record.event === "exiting") last = i; });
    if (last < 0) this.pendingLog.push(line);
    else this.pendingLog.splice(last, 0, line);
  }

  /** One step of the core; returns the events its effects produced (protected: the simulator plants faulty shells by overriding). */
  protected handle(event: Event): Event[] {
    const before = this.state;
    if (this.logFormat === "json" || this.eventLog !== null) this.pendingLog.push({ kind: "input", event, wall: this.port.wallTime() });
    if (event.type === "exited") {
      const n = this.untold.get(event.pid) ?? 0;
      if (n <= 1) this.untold.delete(event.pid);
      else this.untold.set(event.pid, n - 1);
    }
    const { state, effects } = step(before, event);
    this.state = state;
    // A rolling restart's slot aside, appended: its log file and history are those of a slot like any other.
    if (state.servers.length !== before.servers.length) {
      this.logs = this.logTargets();
      this.http?.history.track(state.servers.length);
    }
    this.counts.events++;
    if (event.type === "spawned") this.pids.set(event.pid, event.server);
    if (event.type === "log-dropped") {
      this.counts.droppedLog += event.log;
      this.counts.droppedOutput += event.output;
    }
    this.config.onStep?.(event, before, state, effects);
    const produced: Event[] = [];
    for (const effect of effects) {
      const out = this.perform(effect, event.at);
      for (const e of out) produced.push(e);
    }
    this.http?.endpoint.changed();
    return produced;
  }

  /** Carry out one effect; returns the events it produced. */
  protected perform(effect: Effect, at: number): Event[] {
    const port = this.port;
    switch (effect.type) {
      case "spawn": {
        // Every exit the port already knows of goes to the core first: the pid
        // it freed may be handed to this very spawn, and the core must not take
        // the old process's end for the new one's.
        const exits = this.takeExits();
        const r = port.spawn({ ...this.extrasOf(effect.server), argv: effect.argv });
        const now = port.now();
        return [...exits, r.ok
          ? { type: "spawned", at: now, server: effect.server, pid: r.pid }
          : { type: "spawn-failed", at: now, server: effect.server, error: r.error, ...(r.short === true ? { short: true as const } : {}) }];
      }
      case "kill":
        // That process has ended, and its end waits in the queue for the core: its pid may
        // already be another server's (a spawn since was handed it). Nothing to signal.
        if (this.untold.has(effect.pid)) return [];
        port.kill(effect.pid, effect.signal, effect.group);
        return [];
      case "log":
        this.pendingLog.push({ kind: "record", record: effect.record, at, wall: port.wallTime() });
        this.http?.history.noteRecord(effect.record, at);
        return [];
      case "arm": {
        this.timers.get(effect.timer)?.cancel();
        const timer = effect.timer;
        this.timers.set(timer, port.setTimer(effect.at, () => {
          this.timers.delete(timer);
          this.dispatch({ type: "timer", at: port.now(), timer });
        }));
        return [];
      }
      case "disarm":
        this.timers.get(effect.timer)?.cancel();
        this.timers.delete(effect.timer);
        return [];
      case "kill-remnants":
        port.killRemnants(effect.pgid, effect.signal);
        return [];
      case "adopt":
        this.pids.set(effect.pid, effect.server);
        port.adopt(effect.pid);
        return [];
      case "reexec": {
        // An exit the port knows of would be lost in the exec: the core hears of it first, then is asked again.
        // So would one already queued here for a later step of this dispatch (a re-exec the core had deferred
        // is carried out in the step of the exit it waited for, which may have been told together with others).
        const exits = this.takeExits();
        // The lines (and replies) so far go to the port before it may exec (it writes what it holds first).
        this.flushOut();
        if (exits.length > 0 || this.queue.some((e) => e.type === "exited")) return [...exits, { type: "reexec", at: port.now(), again: true }];
        const cmd = this.config.reexecCommand?.(effect.handover, handoverSpecs(this.state)) ?? "this build cannot re-exec";
        if (typeof cmd === "string") return [{ type: "reexec-failed", at: port.now(), error: cmd }];
        // The port may first need time (bounded) to get servers' output into the log files: it
        // says when it is ready, and the core is asked again (with a fresh handover) then.
        if (this.execPrep === "preparing") return [];
        if (this.execPrep === "idle" && port.prepareExec(cmd.argv, cmd.env, (problem) => this.execPrepared(problem))) {
          this.execPrep = "preparing";
          return [];
        }
        this.execPrep = "idle";
        // The new image listens on the HTTP port again: this one lets it go first.
        this.http?.endpoint.close();
        const error = port.exec(cmd.argv, cmd.env);
        // Only reached when the exec did not happen: the old image goes on (and serves HTTP again).
        const http = this.http;
        if (http !== null) {
          const again = port.serveHttp(http.options);
          if (typeof again === "string") this.http = null;
          else http.endpoint = again;
        }
        return [{ type: "reexec-failed", at: port.now(), error }];
      }
      case "reply": {
        const respond = this.replies.get(effect.id);
        this.replies.delete(effect.id);
        if (respond !== undefined) this.pendingReplies.push(() => respond(effect.ok, effect.message, effect.reload));
        return [];
      }
      case "probe":
        this.startProbe(effect);
        return [];
      case "sd-notify":
        this.sdNotify(effect.text);
        return [];
      case "exit":
        this.sayLeftBehind();
        this.flushOut();
        for (const t of this.timers.values()) t.cancel();
        this.timers.clear();
        this.http?.endpoint.close();
        port.exit(effect.status);
        return [];
      default:
        return unreachable(effect);
    }
  }

  /**
   * `ctl reload`: the files read again and validated as a whole (an invalid
   * one changes nothing: the core says so, once); then one reconfigure event,
   * whose reply says what was added, changed, removed and left alone. The new
   * launches are known before the core applies it, so that a server it starts
   * in that very step gets its new environment.
   */
  private reload(
    respond: (ok: boolean, message: string, reload?: ReloadSummary) => void, given?: Reloaded, scale?: { name: string; count: number },
  ): void {
    const id = this.nextRequest++;
    const r = given ?? this.config.reload?.() ?? { ok: false as const, error: "this supervisor cannot reload" };
    const at = this.port.now();
    if (!r.ok) {
      this.replies.set(id, respond);
      this.dispatch({ type: "reload-failed", at, id, error: r.error });
      if (this.replies.delete(id)) respond(false, "no answer");
      return;
    }
    const added: string[] = [];
    r.servers.forEach((s, k) => {
      if (s.launch !== undefined && !this.launches.has(s.launch)) {
        this.launches.set(s.launch, r.spawnExtras(k));
        added.push(s.launch);
      }
    });
    this.replies.set(id, (ok, message, summary) => {
      const unapplied = ok && r.unapplied !== undefined && r.unapplied.length > 0 ? unappliedText(r.unapplied) : null;
      if (ok) {
        r.commit();
        this.logFormat = r.logFormat;
        this.afterReload();
        // Said in the log and the reply, not left for the operator to find out.
        if (unapplied !== null) this.dispatch({ type: "problem", at: this.port.now(), text: `${unapplied}.` });
      } else {
        for (const key of added) this.launches.delete(key);
      }
      respond(ok, unapplied === null ? message : `${message}; ${unapplied}`, summary);
    });
    this.dispatch({ type: "reconfigure", at, id, settings: r.settings, servers: r.servers, ...(scale === undefined ? {} : { scale }) });
    if (this.replies.delete(id)) respond(false, "no answer");
  }

  /** After a reload: launches nobody uses any more are dropped; the log files of new servers are opened; the history has a place for each. */
  private afterReload(): void {
    const used = new Set<string>();
    for (const s of this.state.servers) for (const x of [s.spec, s.next]) if (x?.launch !== undefined) used.add(x.launch);
    for (const key of this.launches.keys()) if (!used.has(key)) this.launches.delete(key);
    const before = new Set(this.logs.flatMap((l) => (l === null ? [] : [l.path])));
    this.logs = this.logTargets();
    for (const l of this.logs) if (l !== null && !before.has(l.path)) this.port.openLog(l);
    this.http?.history.track(this.state.servers.length);
  }

  /** Carry out a probe the core asked for; its answer comes back as a `probe-result` (or `probe-interrupted`) event. */
  private startProbe(effect: Extract<Effect, { type: "probe" }>): void {
    // A command probe runs as the server does: its environment, working directory, user and limits.
    const { env, cwd, runAs, limits } = this.extrasOf(effect.server);
    const { server, pid, purpose } = effect;
    const token = {};
    // A process whose end is reported already (queued for the core) gets no token: its answer is dropped.
    if (!this.untold.has(pid)) {
      const inFlight = this.probesOf.get(pid) ?? new Set<object>();
      inFlight.add(token);
      this.probesOf.set(pid, inFlight);
    }
    const as = { ...(cwd === undefined ? {} : { cwd }), ...(runAs === undefined ? {} : { runAs }), ...(limits === undefined ? {} : { limits }) };
    this.port.probe({ probe: effect.probe, timeoutMs: effect.timeoutMs, env, ...as }, (o) => {
      const now = this.probesOf.get(pid);
      if (now === undefined || !now.delete(token)) return; // about a process that has ended
      if (now.size === 0) this.probesOf.delete(pid);
      // No verdict (cut short by lazarus itself): the core tries it again, and counts it for nothing.
      if (o.ok === null) this.dispatch({ type: "probe-interrupted", at: this.port.now(), server, pid, purpose, reason: o.reason });
      else this.dispatch({ type: "probe-result", at: this.port.now(), server, pid, purpose, ok: o.ok, reason: o.reason });
    });
  }

  /** The process with this pid has ended: the answers of the probes about it are stale from now on. */
  protected forgetProbesOf(pid: number): void {
    this.probesOf.delete(pid);
  }

  /** Tell systemd (when lazarus runs under it; the port knows its NOTIFY_SOCKET). */
  private sdNotify(text: string): void {
    this.port.sdNotify(text);
  }

  /**
   * Listen for servers' sd_notify datagrams at `path` (their NOTIFY_SOCKET); an
   * error text when it cannot. A datagram is a server's when its sender is a
   * server's main process, or in a server's process group (a wrapper's child).
   */
  openNotify(path: string): string | null {
    return this.port.openNotify(path, (pid, text, pgid) => this.heard(pid, text, pgid));
  }

  /** What each problem with notifications was said for, once (bounded). */
  private readonly notifyTold = new Set<string>();

  private heard(pid: number | null, text: string, pgid: number | null): void {
    const main = this.mainPid(pid) ?? this.mainPid(pgid);
    const tell = (key: string, what: string) => {
      if (this.notifyTold.has(key) || this.notifyTold.size >= 256) return;
      this.notifyTold.add(key);
      this.dispatch({ type: "problem", at: this.port.now(), text: what });
    };
    if (main === null) {
      tell(`pid ${pid}`, `a notification (sd_notify) from pid ${pid ?? "unknown"}, which is no server's process: ignored.`);
      return;
    }
    const m = parseNotifyMessage(text);
    const name = this.state.servers.at(this.pids.get(main) ?? -1)?.spec.name ?? String(main);
    for (const e of m.errors) tell(`${main} ${e}`, `a notification from '${name}' (pid ${main}): ${e}.`);
    if (m.mainpid !== null && m.mainpid !== main) tell(`${main} MAINPID`, `'${name}' sent MAINPID=${m.mainpid}: ignored (its main process is the one lazarus started, pid ${main}).`);
    if (m.watchdogUsec !== null) tell(`${main} WATCHDOG_USEC`, `'${name}' sent WATCHDOG_USEC=${m.watchdogUsec}: ignored (its watchdog period is its configuration's \`watchdog\`).`);
    if (!m.ready && !m.watchdog && m.status === null && !m.watchdogTrigger) return;
    this.dispatch({
      type: "notify", at: this.port.now(), pid: main, ready: m.ready, watchdog: m.watchdog, status: m.status,
      ...(m.watchdogTrigger ? { trigger: true } : {}),
    });
  }

  /** `pid` when it is the main process of an alive server, else null. */
  private mainPid(pid: number | null): number | null {
    if (pid === null) return null;
    const runs = (i: number | undefined) => {
      const life = i === undefined ? undefined : this.state.servers.at(i)?.life;
      return life?.kind === "alive" && life.pid === pid;
    };
    if (runs(this.pids.get(pid))) return pid;
    // A rolling restart moves a process from its slot aside to the copy's slot: found where it is now.
    const now = this.state.servers.findIndex((s) => s.life.kind === "alive" && s.life.pid === pid);
    if (now < 0) return null;
    this.pids.set(pid, now);
    return pid;
  }

  /** The port is ready for the exec it prepared (or cannot do it: `problem`). */
  private execPrepared(problem: string | null): void {
    if (problem !== null) {
      this.execPrep = "idle";
      this.dispatch({ type: "reexec-failed", at: this.port.now(), error: problem });
      return;
    }
    this.execPrep = "ready";
    this.dispatch({ type: "reexec", at: this.port.now(), again: true });
    // Still here and still ready: the core did not ask for the exec after all (a shutdown began
    // meanwhile). The port reads servers' output again.
    if (this.execPrep === "ready") {
      this.execPrep = "idle";
      this.port.cancelExec();
    }
  }

  /** Every log file: the servers' (one per path) and lazarus's event log. */
  private logFiles(): LogTarget[] {
    const all = new Map<string, LogTarget>();
    for (const l of [...this.logs, this.eventLog]) if (l !== null && l !== undefined) all.set(l.path, l);
    return [...all.values()];
  }

  /** What `ctl status` shows of a log file. */
  private logStatus(target: LogTarget | null): { path: string; dropped: number; failing: string | null } | null {
    if (target === null) return null;
    const st = this.port.logState(target.path);
    return { path: target.path, dropped: st?.dropped ?? 0, failing: st?.failing ?? null };
  }

  /** `ctl rotate [SERVER]`, `ctl reopen [SERVER]`: answered here (no policy): every log file, or one server's. */
  private async logRequest(op: "rotate" | "reopen", server: number | null): Promise<{ ok: boolean; message: string }> {
    let paths: string[];
    if (server === null) {
      paths = this.logFiles().map((l) => l.path);
      if (paths.length === 0) return { ok: false, message: "there is no log file (log_dir, --log-dir, event_log)" };
    } else {
      const slot = this.state.servers.at(server);
      if (slot === undefined || !isCurrent(slot)) return { ok: false, message: `no such server: ${server}` };
      const spec = slot.spec;
      const l = this.logs[server];
      if (l === null || l === undefined) return { ok: false, message: `${spec.name} has no log file (log_dir)` };
      paths = [l.path];
    }
    const n = `${paths.length} log file${paths.length === 1 ? "" : "s"}`;
    if (op === "reopen") {
      this.port.reopenLogs(paths);
      return { ok: true, message: `reopening ${n} before their next line` };
    }
    const problems = await this.port.rotateLogs(paths);
    return problems.length === 0 ? { ok: true, message: `rotated ${n}` } : { ok: false, message: `could not rotate: ${problems.join("; ")}` };
  }

  /** The exits the port knows of and has not told yet, as events. */
  protected takeExits(): Event[] {
    return this.port.takeExits().map((x) => this.exitEvent(x));
  }

  private exitEvent(x: PortExit): Event {
    const server = this.pids.get(x.pid);
    this.pids.delete(x.pid);
    this.forgetProbesOf(x.pid);
    this.untold.set(x.pid, (this.untold.get(x.pid) ?? 0) + 1);
    return exitEvent(x, this.port.now(), server);
  }
}

/** A log line of a step, to be formatted and written at the end of the dispatch. */
type PendingLine =
  | { readonly kind: "input"; readonly event: Event; readonly wall: number }
  | { readonly kind: "record"; readonly record: LogRecord; readonly at: number; readonly wall: number };

/** What the port reports besides exits, as an event for the core. */
function noticeEvent(n: PortNotice, at: number): Event {
  switch (n.kind) {
    case "dropped": return { type: "log-dropped", at, log: n.log, output: n.output };
    case "problem": return { type: "problem", at, text: n.text };
    case "log-file":
      return n.event.kind === "dropping"
        ? { type: "log-file-failing", at, path: n.event.path, reason: n.event.reason }
        : { type: "log-file-resumed", at, path: n.event.path, dropped: n.event.dropped };
    default: return unreachable(n);
  }
}

/** "control and event_log changed in the files: a reload does not move them; they take effect when lazarus next starts or re-execs". */
export function unappliedText(keys: readonly string[]): string {
  const list = keys.length === 1 ? keys[0] : `${keys.slice(0, -1).join(", ")} and ${keys[keys.length - 1]}`;
  return `${list} changed in the files: a reload does not move ${keys.length === 1 ? "it" : "them"}; ${keys.length === 1 ? "it takes" : "they take"} effect when lazarus next starts or re-execs`;
}
