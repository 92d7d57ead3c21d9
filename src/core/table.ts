// The policy for one server, as a table: what each input does in each
// situation, in the manner of s6-supervise's actions[state][event]. A cell
// names a small action; an empty cell means the input changes nothing for a
// server in that situation (an operator's command then gets a refusal that
// says why). docs/spec.md ("The transition table") lists the same rows in
// words, and test/core/table.test.ts walks that list row by row.
//
// Situations are a server's life (types.ts) as the table sees it; an alive
// server under a stop order (a shutdown, `ctl stop`, `ctl restart`) is
// `stopping`, and `killed` once SIGKILL was sent. Inputs are what the
// supervisor (step.ts) makes of events for one server: an exit is classified
// (clean, or abnormal before or after the server's interval) before it gets here.
//
// Actions never spawn unless the supervisor is running: once a shutdown has
// begun, `spawn` does nothing (docs/spec.md, "Lifetime and shutdown").
import { isCleanExit } from "./exits.ts";
import { stateWords } from "./describe.ts";
import * as say from "./records.ts";
import { SIGKILL, SIGTERM } from "./signals.ts";
import type { ExitStatus, Life, LifeKind, LogRecord, Ms, Phase, Server, Signal, StopOrder } from "./types.ts";

export type Situation = "unborn" | "starting" | "alive" | "stopping" | "killed" | "buried" | "cremated";

export const SITUATIONS: readonly Situation[] = ["unborn", "starting", "alive", "stopping", "killed", "buried", "cremated"];

export type Input =
  /** The supervisor starts fresh: servers with autostart are started. */
  | "autostart"
  /** The answer to a spawn: it runs with a pid, or it could not be started. */
  | "spawned" | "spawn-failed"
  /** Its process ended: cleanly (status 0, SIGTERM, SIGINT), or abnormally sooner than its interval after its start, or later. */
  | "exit-clean" | "exit-fast" | "exit-slow"
  /** SIGUSR2 or `ctl revive` (every buried server). */
  | "revive"
  /** A shutdown begins (SIGTERM, SIGINT, SIGHUP, SIGALRM, `ctl shutdown`): its stop signal now, SIGKILL at its deadline. */
  | "shutdown"
  /** A second terminate, or the alarm: SIGKILL now. */
  | "kill"
  /** Its stop timer fired at or after its deadline. */
  | "deadline"
  /** An operator (`ctl`): stop, start, restart, revive this one, send it a signal. */
  | "stop" | "start" | "restart" | "revive-one" | "signal";

export const INPUTS: readonly Input[] = [
  "autostart", "spawned", "spawn-failed", "exit-clean", "exit-fast", "exit-slow", "revive", "shutdown", "kill", "deadline",
  "stop", "start", "restart", "revive-one", "signal",
];

/** What the supervisor lets an action do (step.ts implements it). */
export interface Act {
  readonly at: Ms;
  readonly phase: Phase;
  readonly server: Server;
  readonly index: number;
  setLife(life: Life): void;
  log(record: LogRecord): void;
  /** Start it (with --respawn after its first start); nothing unless the supervisor is running, or if it is alive or starting. */
  spawn(): void;
  /** Start it again at once: its process has just been reported ended (nothing unless the supervisor is running). */
  respawn(): void;
  /** Signal its process group (or, `group` false, its process alone). */
  kill(signal: Signal, group?: boolean): void;
  /** Arm or disarm its stop timer. */
  armStop(deadline: Ms): void;
  disarmStop(): void;
  /** What is left of its process group after its leader ended gets this signal. */
  killRemnants(pgid: number, signal: Signal): void;
  /** Its own stop timeout, or the global one. */
  stopTimeout(): Ms;
}

/** Data an input carries. */
export interface Detail {
  readonly pid?: number;
  readonly error?: string;
  readonly status?: ExitStatus;
  readonly signal?: Signal;
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

/** Give it a stop order: its stop signal now and SIGKILL at its own deadline. An order already given keeps its deadline; only what follows changes. */
function order(a: Act, then: StopOrder["then"]): void {
  const l = alive(a);
  if (l.stop !== null) {
    a.setLife({ ...l, stop: { ...l.stop, then } });
    return;
  }
  const deadline = a.at + a.stopTimeout();
  a.setLife({ ...l, stop: { deadline, killed: false, then } });
  a.kill(a.server.spec.stopSignal ?? SIGTERM);
  a.armStop(deadline);
}

/** SIGKILL it now, under an order to stay down (keeping the deadline it had). */
function killNow(a: Act): void {
  const l = alive(a);
  a.setLife({ ...l, stop: { deadline: l.stop?.deadline ?? 0, killed: true, then: "cremate" } });
  a.kill(SIGKILL);
}

const spawn: Action = (a) => a.spawn();

/** It runs: alive with its pid; during a shutdown it gets its stop order at once (SIGKILL after a second terminate). */
const comeAlive: Action = (a, d) => {
  const pid = d.pid as number;
  a.setLife({ kind: "alive", pid, since: a.at, stop: null });
  a.log(say.server.spawned(a.index, a.server, pid));
  if (a.phase.kind !== "stopping") return;
  if (a.phase.killed) killNow(a);
  else order(a, "cremate");
};

/** It could not be started: respawning cannot help, a revive can. */
const buryUnspawnable: Action = (a, d) => {
  a.setLife({ kind: "buried", since: a.at, why: "spawn-failed" });
  a.log(say.server.spawnFailed(a.index, a.server, d.error ?? "unknown error"));
};

/** An abnormal end is said first. */
function ended(a: Act, d: Detail): { pid: number; status: ExitStatus } {
  const pid = alive(a).pid;
  const status = d.status as ExitStatus;
  if (!isCleanExit(status)) a.log(say.server.exit(a.index, a.server, pid, status));
  return { pid, status };
}

/** An end nobody asked for: what is left of its process group (helpers it started) is asked to stop, as systemd's control-group kill does. */
function endedByItself(a: Act, d: Detail): { pid: number; status: ExitStatus } {
  const e = ended(a, d);
  a.killRemnants(e.pid, SIGTERM);
  return e;
}

const cremateClean: Action = (a, d) => {
  const { pid, status } = endedByItself(a, d);
  a.setLife({ kind: "cremated", since: a.at, why: "clean-exit" });
  a.log(say.server.cremated(a.index, a.server, pid, status));
};

const buryCrashLoop: Action = (a, d) => {
  const { pid, status } = endedByItself(a, d);
  a.setLife({ kind: "buried", since: a.at, why: "crash-loop" });
  a.log(say.server.buried(a.index, a.server, pid, status));
};

const respawn: Action = (a, d) => {
  const { pid, status } = endedByItself(a, d);
  a.log(say.server.respawn(a.index, a.server, pid, status));
  a.respawn();
};

/** Stopped on purpose: never a crash, whatever the status; nothing of it may survive (SIGKILL what is left of its group); a restart starts it again. */
const cremateStopped: Action = (a, d) => {
  const l = alive(a);
  const { pid, status } = ended(a, d);
  if (l.stop !== null) a.disarmStop();
  a.killRemnants(pid, SIGKILL);
  a.setLife({ kind: "cremated", since: a.at, why: "stopped" });
  a.log(say.server.stopped(a.index, a.server, pid, status, isCleanExit(status)));
  if (l.stop?.then === "start") a.spawn();
};

const orderStop: Action = (a) => order(a, "cremate");

const killIt: Action = (a) => killNow(a);

/** The stop timer fired: SIGKILL (armed again if it fired early). */
const deadline: Action = (a) => {
  const l = alive(a);
  const stop = l.stop as StopOrder;
  if (a.at < stop.deadline) {
    a.armStop(stop.deadline);
    return;
  }
  a.log(say.server.stopTimeout(a.index, a.server, l.pid, a.stopTimeout()));
  a.setLife({ ...l, stop: { ...stop, killed: true } });
  a.kill(SIGKILL);
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

const requestStart: Action = (a) => {
  a.log(say.server.startRequested(a.index, a.server));
  a.spawn();
  return ok(say.reply.started(a.server.spec.name));
};

const restartStopped: Action = (a) => {
  a.log(say.server.restartOfStopped(a.index, a.server));
  a.spawn();
  return ok(say.reply.started(a.server.spec.name));
};

const requestRevive: Action = (a) => {
  a.log(say.server.reviveRequested(a.index, a.server));
  a.spawn();
  return ok(say.reply.revived(a.server.spec.name));
};

const stopNow: Action = (a) => {
  const from: LifeKind = a.server.life.kind;
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

/** Every action by name, for the table and for docs/spec.md's rows. */
export const ACTIONS = {
  spawn, comeAlive, buryUnspawnable, cremateClean, buryCrashLoop, respawn, cremateStopped, orderStop, killIt, deadline,
  requestStop, requestRestart, startOnceStopped, requestStart, restartStopped, requestRevive, stopNow, alreadyStopped, sendSignal,
} as const;

export type ActionName = keyof typeof ACTIONS;

/** THE TABLE: situation × input → action. */
export const TABLE: { readonly [S in Situation]: { readonly [I in Input]?: ActionName } } = {
  unborn: { autostart: "spawn", start: "requestStart", restart: "restartStopped", stop: "stopNow" },
  starting: { spawned: "comeAlive", "spawn-failed": "buryUnspawnable" },
  alive: {
    "exit-clean": "cremateClean", "exit-fast": "buryCrashLoop", "exit-slow": "respawn",
    shutdown: "orderStop", kill: "killIt", stop: "requestStop", restart: "requestRestart", signal: "sendSignal",
  },
  stopping: {
    "exit-clean": "cremateStopped", "exit-fast": "cremateStopped", "exit-slow": "cremateStopped",
    shutdown: "orderStop", kill: "killIt", deadline: "deadline",
    stop: "requestStop", restart: "requestRestart", start: "startOnceStopped", signal: "sendSignal",
  },
  killed: {
    "exit-clean": "cremateStopped", "exit-fast": "cremateStopped", "exit-slow": "cremateStopped",
    shutdown: "orderStop", stop: "requestStop", restart: "requestRestart", start: "startOnceStopped", signal: "sendSignal",
  },
  buried: { revive: "spawn", "revive-one": "requestRevive", start: "requestStart", restart: "restartStopped", stop: "stopNow" },
  cremated: { start: "requestStart", restart: "restartStopped", stop: "alreadyStopped" },
};

/**
 * What the table sees of a server. An alive server during a shutdown always
 * has a stop order (every one gets one when it begins, and one spawned
 * meanwhile at once); should one not, it is taken as stopping all the same.
 */
export function situationOf(life: Life, phase: Phase): Situation {
  if (life.kind !== "alive") return life.kind;
  if (life.stop === null) return phase.kind === "stopping" ? "stopping" : "alive";
  return life.stop.killed ? "killed" : "stopping";
}

/** Why an operator's command does nothing in this situation (an empty cell). */
function refusal(input: Input, s: Server): Reply | undefined {
  const name = s.spec.name;
  switch (input) {
    case "start": return no(say.reply.alreadyRunning(name));
    case "revive-one": return no(say.reply.notBuried(name, stateWords(s.life.kind)));
    case "signal": return no(say.reply.notRunning(name));
    case "stop":
    case "restart": return no(say.reply.alreadyRunning(name));
    default: return undefined;
  }
}

/** Apply one input to one server: the table's action, or nothing (and a refusal for an operator). */
export function decide(a: Act, input: Input, detail: Detail = {}): Reply | undefined {
  const action = TABLE[situationOf(a.server.life, a.phase)][input];
  if (action === undefined) return refusal(input, a.server);
  return ACTIONS[action](a, detail) ?? undefined;
}

