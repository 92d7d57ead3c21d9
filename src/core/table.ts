// The policy for one server, as a table: what each input does in each
// situation, in the manner of s6-supervise's actions[state][event]. A cell
// names a small action; an empty cell means the input changes nothing for a
// server in that situation (an operator's command then gets a refusal that
// says why). docs/spec.md ("The transition table") lists the same rows in
// words, and test/core/table.test.ts walks that list row by row.
//
// Situations are a server's life (types.ts) as the table sees it: an alive
// server is `unready` until it says it is ready (without a readiness check it
// is ready at once), `stopping` under a stop order (a shutdown, `ctl stop`,
// `ctl restart`, a failed health check), and `killed` once SIGKILL was sent.
// Inputs are what the supervisor (step.ts) makes of events for one server: an
// exit is classified (clean, or abnormal before or after the server's
// interval; `exit-final` when its restart policy is "never") before it gets
// here; a probe's answers, notifications and timers become `ready`,
// `ready-timeout`, `unhealthy`, `retry`, `deadline`.
//
// Actions never spawn unless the supervisor is running: once a shutdown has
// begun, `spawn` does nothing (docs/spec.md, "Lifetime and shutdown"); a
// server whose dependencies are not ready waits instead of being spawned.
import { stateWords } from "./describe.ts";
import { isCleanExit } from "./exits.ts";
import * as say from "./records.ts";
import { SIGKILL, SIGTERM } from "./signals.ts";
import type { ExitStatus, Life, LifeKind, LogRecord, Ms, Phase, ProbeSpec, Server, Signal, StopOrder } from "./types.ts";

export type Situation = "unborn" | "waiting" | "starting" | "unready" | "alive" | "stopping" | "killed" | "backoff" | "buried" | "cremated";

export const SITUATIONS: readonly Situation[] = ["unborn", "waiting", "starting", "unready", "alive", "stopping", "killed", "backoff", "buried", "cremated"];

export type Input =
  /** The supervisor starts fresh: servers with autostart are started (or wait for their dependencies). */
  | "autostart"
  /** Everything it depends on is ready now. */
  | "deps-ready"
  /** The answer to a spawn: it runs with a pid, or it could not be started (`spawn-short`: for want of a resource that may come back). */
  | "spawned" | "spawn-failed" | "spawn-short"
  /** It said it is ready (a probe passed, READY=1, a matching line of output). */
  | "ready"
  /** It did not become ready within its ready_timeout. */
  | "ready-timeout"
  /** Its health check failed `retries` times in a row, or its watchdog expired. */
  | "unhealthy"
  /** It asked to be treated as failed (WATCHDOG=trigger). */
  | "trigger"
  /** Its process ended: cleanly, or abnormally sooner than its interval after its start, or later; or abnormally with restart = "never". */
  | "exit-clean" | "exit-fast" | "exit-slow" | "exit-final"
  /** SIGUSR2 or `ctl revive` (every buried server). */
  | "revive"
  /** Its backoff delay after a fast crash is over. */
  | "retry"
  /** A shutdown begins (SIGTERM, SIGINT, SIGHUP, SIGALRM, `ctl shutdown`), and nothing still running depends on it. */
  | "shutdown"
  /** A second terminate, or the alarm: SIGKILL now. */
  | "kill"
  /** Its stop timer fired at or after its deadline. */
  | "deadline"
  /** An operator (`ctl`): stop, start, restart, revive this one, send it a signal. */
  | "stop" | "start" | "restart" | "revive-one" | "signal"
  /** A reload changed it (its new spec waits for its process to end) / removed it. */
  | "change" | "remove"
  /** A rolling restart: its new process (started beside it) is ready, and took its place; this, the old one, moved aside. */
  | "replaced";

export const INPUTS: readonly Input[] = [
  "autostart", "deps-ready", "spawned", "spawn-failed", "spawn-short", "ready", "ready-timeout", "unhealthy", "trigger", "exit-clean", "exit-fast", "exit-slow",
  "exit-final", "revive", "retry", "shutdown", "kill", "deadline", "stop", "start", "restart", "revive-one", "signal", "change", "remove",
  "replaced",
];

/** How often an unready server's readiness probe (tcp, http, cmd) is tried. */
export const READY_POLL_MS = 200;

/**
 * A spawn that failed for want of a resource (the k-th in a row) is tried again after this long:
 * 1 s, 2 s, 4 s, then every 5 s, for as long as it fails (awaitResources).
 */
export function shortRetryMs(k: number): Ms {
  return Math.min(5000, 1000 * 2 ** Math.max(0, k - 1));
}

/** What the supervisor lets an action do (step.ts implements it). */
export interface Act {
  readonly at: Ms;
  readonly phase: Phase;
  readonly server: Server;
  readonly index: number;
  setLife(life: Life): void;
  /** Change its counters (retries, health failures, …) without changing its life. */
  setServer(change: Partial<Pick<Server, "retries" | "healthFails" | "probing" | "watchdogAt">>): void;
  log(record: LogRecord): void;
  /** Start it (with --respawn after its first start), or let it wait for its dependencies; nothing unless the supervisor is running, or if it is alive or starting. */
  spawn(): void;
  /** Start it again at once: its process has just been reported ended (it may wait for its dependencies). */
  respawn(): void;
  /** Signal its process group (or, `group` false, its process alone). */
  kill(signal: Signal, group?: boolean): void;
  /** Arm or disarm one of its timers. */
  arm(timer: "stop" | "probe" | "ready" | "watchdog" | "backoff", at: Ms): void;
  disarm(timer: "stop" | "probe" | "ready" | "watchdog" | "backoff"): void;
  /** What is left of its process group after its leader ended gets this signal. */
  killRemnants(pgid: number, signal: Signal): void;
  /** What is left of its process group after its leader ended gets SIGKILL at its stop timeout from now (unless it is empty by then). */
  killRemnantsLater(pgid: number): void;
  /** Its own stop timeout, or the global one; its own interval, or the global one. */
  stopTimeout(): Ms;
  interval(): Ms;
  /** The names of the servers it waits for. */
  waitingFor(): string[];
  /** Waiting behind an old process in its seat (a removed server's, still stopping): its pid (null: not yet known); null for none. */
  waitsForOld(): { readonly pid: number | null } | null;
}

/** Data an input carries. */
export interface Detail {
  readonly pid?: number;
  readonly error?: string;
  readonly status?: ExitStatus;
  readonly signal?: Signal;
  /** How long the ended process lived (for a failed start: to judge it as a crash). */
  readonly lived?: Ms;
  /** remove: a rolling restart's new process given up (not a server a reload removed). */
  readonly givenUp?: boolean;
}

/** An operator's command is answered: ok, or refused, with a message. */
export interface Reply {
  readonly ok: boolean;
  readonly message: string;
}

type Action = (a: Act, d: Detail) => Reply | void;

// --- the actions ----------------------------------------------------------------

const ok = (message: string): Reply => ({ ok: true, message });
const no = (message: string): Reply => ({ ok: false, message });

function alive(a: Act): Extract<Life, { kind: "alive" }> {
  const l = a.server.life;
  if (l.kind !== "alive") throw new Error(`server ${a.index} is ${l.kind}, not alive`);
  return l;
}

/** A probe kind of readiness check (polled), or null (notify, log: told). */
function readyProbe(s: Server): ProbeSpec | null {
  const r = s.spec.ready;
  return r === undefined || r.kind === "notify" || r.kind === "log" ? null : r;
}

/** No probe, readiness deadline or watchdog may outlive the process it is about, nor go on for a server being stopped. */
function disarmChecks(a: Act): void {
  const s = a.server;
  if (s.spec.ready !== undefined || s.spec.health !== undefined) a.disarm("probe");
  if (s.spec.readyTimeoutMs !== undefined) a.disarm("ready");
  if (s.spec.watchdogMs !== undefined) a.disarm("watchdog");
  a.setServer({ probing: false, healthFails: 0, watchdogAt: null });
}

/** Once ready: its health checks and its watchdog begin. */
function startChecks(a: Act): void {
  const s = a.server;
  if (s.spec.health !== undefined) a.arm("probe", a.at + s.spec.health.intervalMs);
  if (s.spec.watchdogMs !== undefined) {
    a.setServer({ watchdogAt: a.at + s.spec.watchdogMs });
    a.arm("watchdog", a.at + s.spec.watchdogMs);
  }
}

/** Give it a stop order: its stop signal now and SIGKILL at its own deadline. An order already given keeps its deadline; only what follows changes. */
function order(a: Act, then: StopOrder["then"]): void {
  const l = alive(a);
  if (l.stop !== null) {
    a.setLife({ ...l, stop: { ...l.stop, then } });
    return;
  }
  disarmChecks(a);
  const deadline = a.at + a.stopTimeout();
  a.setLife({ ...l, stop: { deadline, killed: false, then } });
  a.kill(a.server.spec.stopSignal ?? SIGTERM);
  a.arm("stop", deadline);
}

/** SIGKILL it now, under an order to stay down (keeping the deadline it had). */
function killNow(a: Act): void {
  const l = alive(a);
  if (l.stop === null) disarmChecks(a);
  a.setLife({ ...l, stop: { deadline: l.stop?.deadline ?? 0, killed: true, then: "cremate" } });
  a.kill(SIGKILL);
}

/** Start it (a revive of a buried server forgets its fast crashes: its backoff starts over). */
const spawn: Action = (a) => {
  if (a.server.life.kind === "buried") a.setServer({ retries: 0 });
  a.spawn();
};

/** It runs: alive with its pid, ready at once unless it has a readiness check; during a shutdown it gets its stop order at once (SIGKILL after a second terminate). */
const comeAlive: Action = (a, d) => {
  const pid = d.pid as number;
  const s = a.server.spec;
  a.setLife({ kind: "alive", pid, since: a.at, stop: null, ready: s.ready === undefined });
  a.setServer({ probing: false, healthFails: 0, watchdogAt: null });
  a.log(say.server.spawned(a.index, a.server, pid));
  if (a.phase.kind === "stopping") {
    if (a.phase.killed) killNow(a);
    else order(a, "cremate");
    return;
  }
  if (s.ready === undefined) return startChecks(a);
  if (readyProbe(a.server) !== null) a.arm("probe", a.at + READY_POLL_MS);
  if (s.readyTimeoutMs !== undefined) a.arm("ready", a.at + s.readyTimeoutMs);
};

/** It could not be started: respawning cannot help, a revive can. */
const buryUnspawnable: Action = (a, d) => {
  a.setLife({ kind: "buried", since: a.at, why: "spawn-failed" });
  a.log(say.server.spawnFailed(a.index, a.server, d.error ?? "unknown error"));
};

/**
 * It could not be started for want of a resource of lazarus's or the system's (no free process,
 * file descriptors, memory): nothing is wrong with it, and the resource may come back. It waits
 * (backoff, `short`) and is tried again, for as long as that fails, growing delays up to 5 s. Said
 * for the first of a row only: the next tries fail silently until one succeeds (its usual start line).
 */
const awaitResources: Action = (a, d) => {
  const l = a.server.life;
  const k = (l.kind === "starting" ? l.short ?? 0 : 0) + 1;
  const delay = shortRetryMs(k);
  a.setLife({ kind: "backoff", since: a.at, until: a.at + delay, short: k });
  if (k === 1) a.log(say.server.spawnShort(a.index, a.server, d.error ?? "unknown error", delay));
  a.arm("backoff", a.at + delay);
};

/** It said it is ready: health checks and the watchdog begin; what depends on it may start (step.ts). */
const becomeReady: Action = (a) => {
  const l = alive(a);
  a.setLife({ ...l, ready: true });
  if (a.server.spec.readyTimeoutMs !== undefined) a.disarm("ready");
  if (readyProbe(a.server) !== null) a.disarm("probe");
  a.log(say.server.ready(a.index, a.server, l.pid));
  startChecks(a);
};

/** Not ready in time: a failed start. It is stopped, and its end is then judged as a crash. */
const failStart: Action = (a) => {
  a.log(say.server.readyTimeout(a.index, a.server, alive(a).pid, a.server.spec.readyTimeoutMs ?? 0));
  order(a, "fail");
};

/**
 * It said it failed (WATCHDOG=trigger, whether or not it has a watchdog): stopped, and its end
 * judged as a crash by its life, as a failed start is (too fast: backoff or burial), so a server
 * that keeps asking cannot restart itself in a loop.
 */
const failTriggered: Action = (a) => {
  a.log(say.server.triggered(a.index, a.server, alive(a).pid));
  order(a, "fail");
};

/** Unhealthy (its checks failed, or its watchdog expired): stopped and started again. Not a crash. */
const restartUnhealthy: Action = (a, d) => {
  a.log(say.server.unhealthy(a.index, a.server, alive(a).pid, d.error ?? "unhealthy"));
  order(a, "start");
};

/** An abnormal end is said first; no check outlives the process it was about. */
function ended(a: Act, d: Detail): { pid: number; status: ExitStatus } {
  const pid = alive(a).pid;
  const status = d.status as ExitStatus;
  if (!isCleanExit(status)) a.log(say.server.exit(a.index, a.server, pid, status));
  disarmChecks(a);
  return { pid, status };
}

/**
 * An end nobody asked for: what is left of its process group (helpers it started) is asked to stop, as systemd's
 * control-group kill does, and what still runs of it at its stop timeout is SIGKILLed (as systemd's TimeoutStopSec).
 */
function endedByItself(a: Act, d: Detail): { pid: number; status: ExitStatus } {
  const e = ended(a, d);
  a.killRemnants(e.pid, SIGTERM);
  a.killRemnantsLater(e.pid);
  return e;
}

const cremateClean: Action = (a, d) => {
  const { pid, status } = endedByItself(a, d);
  a.setLife({ kind: "cremated", since: a.at, why: "clean-exit" });
  a.log(say.server.cremated(a.index, a.server, pid, status));
};

/** Too fast: retried after its backoff delay while it has retries left, else buried until a revive. */
function tooFast(a: Act, pid: number, status: ExitStatus): void {
  const b = a.server.spec.backoff;
  const n = a.server.retries;
  if (b !== undefined && n < b.retries) {
    const delay = Math.min(b.maxMs, b.initialMs * 2 ** n);
    a.setLife({ kind: "backoff", since: a.at, until: a.at + delay });
    a.setServer({ retries: n + 1 });
    a.arm("backoff", a.at + delay);
    a.log(say.server.backoff(a.index, a.server, pid, status, delay, n + 1, b.retries));
    return;
  }
  a.setLife({ kind: "buried", since: a.at, why: "crash-loop" });
  a.log(say.server.buried(a.index, a.server, pid, status));
}

/** Lived long enough: its fast crashes are forgotten, and it is started again at once. */
function startAgain(a: Act, pid: number, status: ExitStatus): void {
  a.log(say.server.respawn(a.index, a.server, pid, status));
  a.setServer({ retries: 0 });
  a.respawn();
}

const crashFast: Action = (a, d) => {
  const { pid, status } = endedByItself(a, d);
  tooFast(a, pid, status);
};

const respawn: Action = (a, d) => {
  const { pid, status } = endedByItself(a, d);
  startAgain(a, pid, status);
};

/** restart = "never": an abnormal end is not followed by a start; it is buried (a revive or `ctl start` starts it again). */
const buryCrashed: Action = (a, d) => {
  const { pid, status } = endedByItself(a, d);
  a.setLife({ kind: "buried", since: a.at, why: "crashed" });
  a.log(say.server.crashed(a.index, a.server, pid, status));
};

/**
 * Stopped on purpose: never a crash, whatever the status; nothing of it may
 * survive (SIGKILL what is left of its group); a restart starts it again. A
 * failed start (not ready in time) is judged as a crash by its life.
 */
const cremateStopped: Action = (a, d) => {
  const l = alive(a);
  const { pid, status } = ended(a, d);
  if (l.stop !== null) a.disarm("stop");
  a.killRemnants(pid, SIGKILL);
  // (Once a shutdown has begun, a failed start is stopped like the rest: nothing may start again.)
  if (l.stop?.then === "fail" && a.phase.kind === "running") {
    a.log(l.ready ? say.server.failedAsAsked(a.index, a.server, pid) : say.server.failedStart(a.index, a.server, pid));
    if ((d.lived ?? 0) < a.interval()) tooFast(a, pid, status);
    else startAgain(a, pid, status);
    return;
  }
  // A life of at least the interval forgets its fast crashes, however it ended (a restart's new process starts the count afresh).
  if ((d.lived ?? 0) >= a.interval() && a.server.retries !== 0) a.setServer({ retries: 0 });
  a.setLife({ kind: "cremated", since: a.at, why: "stopped" });
  a.log(say.server.stopped(a.index, a.server, pid, status, isCleanExit(status)));
  if (l.stop?.then === "start") a.spawn();
};

const orderStop: Action = (a) => order(a, "cremate");

const killIt: Action = (a) => killNow(a);

/** The stop timer fired: SIGKILL (armed again if it fired early). */
const deadline: Action = (a) => {
  const l = alive(a);
  const stop = l.stop;
  // (During a shutdown a server that waits for its dependents to stop is "stopping" with no order yet: nothing is due.)
  if (stop === null) return;
  if (a.at < stop.deadline) {
    a.arm("stop", stop.deadline);
    return;
  }
  a.log(say.server.stopTimeout(a.index, a.server, l.pid, a.stopTimeout()));
  a.setLife({ ...l, stop: { ...stop, killed: true } });
  a.kill(SIGKILL);
};

/**
 * Its backoff is over: started again (or waits for its dependencies). Armed again if the timer fired early.
 * After a spawn that failed for want of a resource, silently, and its spawn knows how many did so in a row.
 */
const retry: Action = (a) => {
  const l = a.server.life;
  if (l.kind === "backoff" && a.at < l.until) {
    a.arm("backoff", l.until);
    return;
  }
  const short = l.kind === "backoff" ? l.short : undefined;
  if (short === undefined) a.log(say.server.retry(a.index, a.server));
  a.setLife({ kind: "unborn" });
  a.spawn();
  if (short !== undefined && a.server.life.kind === "starting") a.setLife({ kind: "starting", short });
};

const requestStop: Action = (a) => {
  a.log(say.server.stopRequested(a.index, a.server, "stop", alive(a).pid));
  order(a, "cremate");
  return ok(say.reply.stopping(a.server.spec.name));
};

const requestRestart: Action = (a) => {
  a.log(say.server.stopRequested(a.index, a.server, "restart", alive(a).pid));
  order(a, "start");
  return ok(say.reply.restarting(a.server.spec.name));
};

const startOnceStopped: Action = (a) => {
  order(a, "start");
  return ok(say.reply.willStartAgain(a.server.spec.name));
};

/** Leave backoff (its timer goes): a start by an operator does not wait for it. */
function leaveBackoff(a: Act): void {
  if (a.server.life.kind !== "backoff") return;
  a.disarm("backoff");
  a.setLife({ kind: "unborn" });
}

const requestStart: Action = (a) => {
  a.log(say.server.startRequested(a.index, a.server));
  leaveBackoff(a);
  a.spawn();
  return ok(startedOrWaits(a, say.reply.started(a.server.spec.name)));
};

const restartStopped: Action = (a) => {
  a.log(say.server.restartOfStopped(a.index, a.server));
  leaveBackoff(a);
  a.spawn();
  return ok(startedOrWaits(a, say.reply.started(a.server.spec.name)));
};

const requestRevive: Action = (a) => {
  a.log(say.server.reviveRequested(a.index, a.server));
  a.setServer({ retries: 0 });
  a.spawn();
  return ok(startedOrWaits(a, say.reply.revived(a.server.spec.name)));
};

/** The answer to a start: `done`, or that it waits for its dependencies (the spawn found them not ready). */
function startedOrWaits(a: Act, done: string): string {
  return a.server.life.kind === "waiting" ? waitWords(a, true) : done;
}

/** Why a waiting server waits, for a reply: an old process in its seat, else its dependencies (`then`: and it starts then). */
function waitWords(a: Act, then: boolean): string {
  const name = a.server.spec.name;
  const old = a.waitsForOld();
  if (old !== null) return say.reply.waitsForOld(name, old.pid, then);
  return then ? say.reply.startsOnceReady(name, a.waitingFor()) : say.reply.waiting(name, a.waitingFor());
}

/** It was not running (unborn, waiting, in backoff, buried): cremated now. */
const stopNow: Action = (a) => {
  const from: LifeKind = a.server.life.kind;
  if (from === "backoff") a.disarm("backoff");
  a.setLife({ kind: "cremated", since: a.at, why: "stopped" });
  a.log(say.server.stoppedNow(a.index, a.server, from));
  return ok(say.reply.stopped(a.server.spec.name));
};

const alreadyStopped: Action = (a) => ok(say.reply.alreadyStopped(a.server.spec.name));

const sendSignal: Action = (a, d) => {
  const pid = alive(a).pid;
  const signal = d.signal as Signal;
  a.log(say.server.signal(a.index, a.server, pid, signal));
  a.kill(signal, false);
  return ok(say.reply.sent(a.server.spec.name, signal));
};

/** A reload changed it while it runs: stopped, and started again with its new spec (which it takes on once ended). */
const restartChanged: Action = (a) => {
  a.log(say.server.changed(a.index, a.server, alive(a).pid));
  order(a, "start");
};

/** A reload removed it while it runs: stopped for good (a restart under way is dropped). */
const stopRemoved: Action = (a, d) => {
  a.log(d.givenUp === true ? say.server.givenUp(a.index, a.server, alive(a).pid) : say.server.removed(a.index, a.server, alive(a).pid));
  order(a, "cremate");
};

/** A rolling restart's new process took its place and is ready: this old process is stopped for good (and forgotten). */
const stopReplaced: Action = (a) => {
  a.log(say.server.replaced(a.index, a.server, alive(a).pid));
  order(a, "cremate");
};

/** A reload removed it while it was not running: cremated now (and forgotten). */
const forget: Action = (a) => {
  if (a.server.life.kind === "backoff") a.disarm("backoff");
  a.log(say.server.removed(a.index, a.server, null));
  a.setLife({ kind: "cremated", since: a.at, why: "stopped" });
};

/** Every action by name, for the table and for docs/spec.md's rows. */
export const ACTIONS = {
  spawn, comeAlive, buryUnspawnable, awaitResources, becomeReady, failStart, failTriggered, restartUnhealthy, cremateClean, crashFast, respawn, buryCrashed,
  cremateStopped, orderStop, killIt, deadline, retry, requestStop, requestRestart, startOnceStopped, requestStart, restartStopped,
  requestRevive, stopNow, alreadyStopped, sendSignal, restartChanged, stopRemoved, forget,
  stopReplaced,
} as const;

export type ActionName = keyof typeof ACTIONS;

/** The operator's commands and the ends that an alive server (ready or not) answers alike. */
const RUNNING = {
  "exit-clean": "cremateClean", "exit-fast": "crashFast", "exit-slow": "respawn", "exit-final": "buryCrashed",
  shutdown: "orderStop", kill: "killIt", stop: "requestStop", restart: "requestRestart", signal: "sendSignal",
  change: "restartChanged", remove: "stopRemoved", replaced: "stopReplaced",
} as const satisfies { readonly [I in Input]?: ActionName };

/** What a server under a stop order answers (killed: the same, without a deadline to wait for). */
const STOPPING = {
  "exit-clean": "cremateStopped", "exit-fast": "cremateStopped", "exit-slow": "cremateStopped", "exit-final": "cremateStopped",
  shutdown: "orderStop", stop: "requestStop", restart: "requestRestart", start: "startOnceStopped", signal: "sendSignal",
} as const satisfies { readonly [I in Input]?: ActionName };

/** THE TABLE: situation × input → action. */
export const TABLE: { readonly [S in Situation]: { readonly [I in Input]?: ActionName } } = {
  unborn: { autostart: "spawn", start: "requestStart", restart: "restartStopped", stop: "stopNow", remove: "forget" },
  waiting: { "deps-ready": "spawn", shutdown: "stopNow", stop: "stopNow", remove: "forget" },
  starting: { spawned: "comeAlive", "spawn-failed": "buryUnspawnable", "spawn-short": "awaitResources" },
  unready: { ...RUNNING, ready: "becomeReady", "ready-timeout": "failStart", trigger: "failTriggered" },
  alive: { ...RUNNING, unhealthy: "restartUnhealthy", trigger: "failTriggered" },
  stopping: { ...STOPPING, kill: "killIt", deadline: "deadline", remove: "stopRemoved" },
  killed: { ...STOPPING, remove: "stopRemoved" },
  backoff: { retry: "retry", shutdown: "stopNow", stop: "stopNow", start: "requestStart", restart: "restartStopped", remove: "forget" },
  buried: { revive: "spawn", "revive-one": "requestRevive", start: "requestStart", restart: "restartStopped", stop: "stopNow", remove: "forget" },
  cremated: { start: "requestStart", restart: "restartStopped", stop: "alreadyStopped" },
};

/**
 * What the table sees of a server. During a shutdown an alive server is
 * `stopping` even before it gets its stop order (it waits for what depends on
 * it to stop first): whatever it dies of then, it was stopped.
 */
export function situationOf(life: Life, phase: Phase): Situation {
  if (life.kind !== "alive") return life.kind;
  if (life.stop !== null) return life.stop.killed ? "killed" : "stopping";
  if (phase.kind === "stopping") return "stopping";
  return life.ready ? "alive" : "unready";
}

/** Why an operator's command does nothing in this situation (an empty cell). */
function refusal(a: Act, input: Input): Reply | undefined {
  const s = a.server;
  const name = s.spec.name;
  switch (input) {
    case "start":
    case "restart":
      if (s.life.kind === "waiting") return no(waitWords(a, false));
      return no(say.reply.alreadyRunning(name));
    case "revive-one": return no(say.reply.notBuried(name, stateWords(s.life.kind)));
    case "signal": return no(say.reply.notRunning(name));
    case "stop": return no(say.reply.alreadyRunning(name));
    default: return undefined;
  }
}

/** Apply one input to one server: the table's action, or nothing (and a refusal for an operator). */
export function decide(a: Act, input: Input, detail: Detail = {}): Reply | undefined {
  const action = TABLE[situationOf(a.server.life, a.phase)][input];
  if (action === undefined) return refusal(a, input);
  return ACTIONS[action](a, detail) ?? undefined;
}
