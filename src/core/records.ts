// Every log record the policy emits, and its wording, in one place: the text
// lines of docs/spec.md ("When a server's process ends", …) and the
// fields a machine reader wants (the JSON event log). The transition table
// (table.ts) and the supervisor's steps (step.ts) decide *when*; this module
// says *what*. Pure.
import { describeExit, seconds } from "./describe.ts";
import { isCleanExit as isClean } from "./exits.ts";
import { signalName } from "./signals.ts";
import type { ExitStatus, LifeKind, LogRecord, ReloadSummary, Server, Signal } from "./types.ts";

/** X of the log lines: the command word as written (servers in braces, as mds-respawn), or the server's label. */
export function label(s: Server): string {
  return s.spec.label ?? s.spec.argv[0] ?? s.spec.name;
}

/** "its old process (pid P)": what a server added in a removed server's seat waits for (pid null: its spawn's result is on its way). */
function oldProcess(pid: number | null): string {
  return pid === null ? "its old process" : `its old process (pid ${pid})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function statusFields(status: ExitStatus): { code?: number; signal?: string } {
  switch (status.kind) {
    case "code": return { code: status.code };
    case "signal": return { signal: signalName(status.signal) };
    case "unknown": return {};
  }
}

type Building = { -readonly [K in keyof LogRecord]?: LogRecord[K] };

/** A record about a process's end: event, pid, code or signal (statusFields' fields, without a spread), `rest`'s fields, text. */
function ending(event: string, pid: number, status: ExitStatus, text: string, from?: LifeKind, to?: LifeKind): Omit<LogRecord, "server" | "name"> {
  const r: Building = { event, pid };
  if (status.kind === "code") r.code = status.code;
  else if (status.kind === "signal") r.signal = signalName(status.signal);
  if (from !== undefined) r.from = from;
  if (to !== undefined) r.to = to;
  r.text = text;
  return r as LogRecord;
}

/** A record about server i (its name added, as the JSON log has it, after the other fields). */
function about(i: number, s: Server, r: Omit<LogRecord, "server" | "name">): LogRecord {
  // `r` was made by the caller for this record alone: completed in place rather than copied.
  const out = r as { -readonly [K in keyof LogRecord]: LogRecord[K] };
  out.server = i;
  out.name = s.spec.name;
  return out;
}

// --- the supervisor ------------------------------------------------------------

export const supervisor = {
  note: (text: string): LogRecord => ({ event: "note", text }),
  started: (who: string, n: number): LogRecord => ({ event: "start", text: `${who} started, supervising ${plural(n, "server")}.` }),
  startAgain: (): LogRecord => ({ event: "ignored", text: "start event after start, ignored." }),
  resumed: (who: string, adopted: number): LogRecord =>
    ({ event: "reexec-done", text: `re-exec complete: ${who} running, adopted ${plural(adopted, "running server")}.` }),
  reviveSignal: (): LogRecord => ({ event: "revive", text: "revive signal received." }),
  reviveRequested: (): LogRecord => ({ event: "revive", text: "revive requested." }),
  revivePendingDone: (): LogRecord => ({ event: "revive", text: "pending revive carried out." }),
  revivePending: (r: LogRecord): LogRecord => ({ event: "revive", text: `${r.text} (pending until the servers are started)` }),
  reviveIgnored: (): LogRecord => ({ event: "ignored", text: "revive ignored: shutting down." }),
  terminate: (signal: string): LogRecord => ({ event: "terminate", signal, text: "terminate signal received." }),
  terminateAgain: (signal: string): LogRecord => ({ event: "terminate", signal, text: "terminate signal received again, not waiting any longer." }),
  alarm: (): LogRecord => ({ event: "alarm", text: "alarm: forced abort, killing every server." }),
  reexec: (): LogRecord => ({ event: "reexec", text: "re-exec signal received." }),
  reexecIgnored: (): LogRecord => ({ event: "ignored", text: "re-exec signal received, ignored: not running." }),
  reexecFailed: (error: string): LogRecord => ({ event: "reexec-failed", text: `re-exec failed: ${error}; still running the old image.` }),
  info: (line: string): LogRecord => ({ event: "info", text: `info: ${line}` }),
  stray: (signal: Signal): LogRecord => ({ event: "ignored", signal: signalName(signal), text: `signal ${signal} (${signalName(signal)}) received, ignored.` }),
  logDropped: (log: number, output: number): LogRecord => ({
    event: "log-dropped", dropped: { log, output },
    text: `${plural(log, "line")}${output > 0 ? ` of lazarus's log and ${plural(output, "line")} of server output` : ""} could not be written ` +
      `and ${log === 1 && output === 0 ? "was" : "were"} dropped: the reader of lazarus's output did not keep up.`,
  }),
  problem: (text: string): LogRecord => ({ event: "problem", text }),
  logFileFailing: (file: string, reason: string): LogRecord =>
    ({ event: "log-file-failing", file, text: `dropping (and counting) the lines of ${file} until it can be written again: ${reason}.` }),
  logFileResumed: (file: string, lines: number): LogRecord =>
    ({ event: "log-file-resumed", file, lines, text: `${file} can be written again; ${plural(lines, "line")} could not be written and ${lines === 1 ? "was" : "were"} dropped.` }),
  unknownChild: (pid: number): LogRecord => ({ event: "unknown-child", pid, text: `joined with unknown child process: ${pid}` }),
  unexpectedSpawned: (i: number, pid: number): LogRecord => ({ event: "unexpected", pid, text: `unexpected spawn report for server ${i} (pid ${pid}), ignored.` }),
  unexpectedSpawnFailed: (i: number): LogRecord => ({ event: "unexpected", text: `unexpected spawn failure for server ${i}, ignored.` }),
  allCremated: (): LogRecord => ({ event: "exit", text: "every server is cremated, exiting." }),
  waitingForRevive: (): LogRecord => ({ event: "waiting", text: "every remaining server is buried, waiting for a revive (SIGUSR2)." }),
  waitingForStart: (): LogRecord => ({ event: "waiting", text: "every remaining server waits to be started (ctl start)." }),
  waitingForScale: (tables: readonly string[]): LogRecord => ({
    event: "waiting",
    text: `nothing runs: ${tables.slice(0, 10).map((t) => `'${t}'`).join(", ")}${tables.length > 10 ? ", …" : ""} ${tables.length === 1 ? "is" : "are"} scaled to 0; waiting for a ctl scale.`,
  }),
  waitingForRetry: (): LogRecord => ({ event: "waiting", text: "every remaining server waits to be retried (it crashed too fast, or could not be started for want of a resource)." }),
  exiting: (status: number): LogRecord => ({ event: "exiting", code: status, text: `exiting with status ${status}.` }),
  reloaded: (summary: ReloadSummary, what: string, done = "reloaded"): LogRecord => ({ event: "reload", reload: summary, text: `${done}: ${what}.` }),
  reloadFailed: (error: string): LogRecord => ({ event: "reload-failed", text: `reload failed, nothing changed: ${error}` }),
  reloadRefused: (phase: string): LogRecord => ({ event: "ignored", text: `reload ignored: ${phase === "stopping" ? "shutting down" : `supervisor is ${phase}`}.` }),
  rollBegins: (name: string, copies: readonly string[]): LogRecord =>
    ({ event: "roll", text: `rolling restart of '${name}': ${copies.join(", ")}, one at a time, each once the one before is ready again.` }),
  rollDone: (name: string, n: number): LogRecord => ({ event: "roll", text: `rolling restart of '${name}' done: ${plural(n, "instance")} restarted, each ready again.` }),
  rollStopped: (text: string): LogRecord => ({ event: "roll", text: `${text}.` }),
  reexecWaits: (n: number): LogRecord =>
    ({ event: "reexec", text: `re-exec waits for ${plural(n, "server")} changed or removed by a reload, or replaced in a rolling restart, to stop.` }),
};

// --- one server ------------------------------------------------------------------

export const server = {
  noHandover: (i: number, s: Server): LogRecord => about(i, s, { event: "invalid-state", text: `'${label(s)}' has no re-exec state, cremating.` }),
  badHandover: (i: number, s: Server, reason: string): LogRecord =>
    about(i, s, { event: "invalid-state", text: `'${label(s)}' has invalid re-exec state (${reason}), cremating.` }),
  spawned: (i: number, s: Server, pid: number): LogRecord =>
    about(i, s, { event: "spawned", pid, from: "starting", to: "alive", text: `'${label(s)}' started with pid ${pid}.` }),
  spawnFailed: (i: number, s: Server, error: string): LogRecord =>
    about(i, s, { event: "spawn-failed", from: "starting", to: "buried", text: `could not spawn '${label(s)}': ${error}; burying.` }),
  /** Said for the first of a row of spawns that fail for want of a resource (the next ones are tried and fail silently). */
  spawnShort: (i: number, s: Server, error: string, delayMs: number): LogRecord =>
    about(i, s, {
      event: "spawn-short", from: "starting", to: "backoff", delay: delayMs / 1000,
      text: `could not spawn '${label(s)}': ${error}; trying again in ${seconds(delayMs)} s, and until it can (a resource lazarus lacks may come back).`,
    }),
  /** The first line about an abnormal end (docs/spec.md: `'X' exited with code N.` / `'X' died by signal N (NAME).`). */
  exit: (i: number, s: Server, pid: number, status: ExitStatus): LogRecord =>
    about(i, s, ending("exit", pid, status, `'${label(s)}' ${describeExit(status)}.`)),
  stopped: (i: number, s: Server, pid: number, status: ExitStatus, clean: boolean): LogRecord =>
    about(i, s, {
      event: "stopped", pid, ...statusFields(status), from: "alive", to: "cremated",
      text: clean ? `child process '${label(s)}' exited normally, cremating.` : `'${label(s)}' stopped, cremating.`,
    }),
  cremated: (i: number, s: Server, pid: number, status: ExitStatus): LogRecord =>
    about(i, s, { event: "cremated", pid, ...statusFields(status), from: "alive", to: "cremated", text: `child process '${label(s)}' exited normally, cremating.` }),
  buried: (i: number, s: Server, pid: number, status: ExitStatus): LogRecord =>
    about(i, s, { event: "buried", pid, ...statusFields(status), from: "alive", to: "buried", text: `'${label(s)}' died abnormally, burying because it died too fast.` }),
  respawn: (i: number, s: Server, pid: number, status: ExitStatus): LogRecord =>
    about(i, s, ending("respawn", pid, status,
      !isClean(status) ? `'${label(s)}' died abnormally, respawning.`
        // A clean end respawned: restart = "always", or a failed start (or WATCHDOG=trigger) that obeyed its stop signal.
        : s.spec.restart === "always" ? `'${label(s)}' exited normally, respawning (restart = "always").`
        : `'${label(s)}' exited normally once stopped, respawning.`, "alive", "starting")),
  backoff: (i: number, s: Server, pid: number, status: ExitStatus, delayMs: number, retry: number, retries: number): LogRecord =>
    about(i, s, {
      event: "backoff", pid, ...statusFields(status), from: "alive", to: "backoff", delay: delayMs / 1000, retry,
      text: `'${label(s)}' ${isClean(status) ? "exited" : "died abnormally"} too fast, retrying in ${seconds(delayMs)} s (retry ${retry} of ${retries}).`,
    }),
  retry: (i: number, s: Server): LogRecord => about(i, s, { event: "retry", from: "backoff", to: "starting", text: `retrying '${label(s)}'.` }),
  crashed: (i: number, s: Server, pid: number, status: ExitStatus): LogRecord =>
    about(i, s, { event: "buried", pid, ...statusFields(status), from: "alive", to: "buried", text: s.replaces === undefined
      ? `'${label(s)}' died abnormally and is not restarted (restart = "never"), burying.`
      : `'${label(s)}': its new process (a rolling restart's) died abnormally before it was ready; it is not restarted.` }),
  waits: (i: number, s: Server, names: readonly string[]): LogRecord =>
    about(i, s, { event: "waiting", to: "waiting", text: `'${label(s)}' waits for ${names.map((n) => `'${n}'`).join(", ")} to be ready.` }),
  waitsForOld: (i: number, s: Server, pid: number | null): LogRecord =>
    about(i, s, { event: "waiting", to: "waiting", text: `'${label(s)}' waits for ${oldProcess(pid)} to end (a removed server's, still stopping).` }),
  ready: (i: number, s: Server, pid: number): LogRecord => about(i, s, { event: "ready", pid, text: `'${label(s)}' is ready.` }),
  readyTimeout: (i: number, s: Server, pid: number, timeoutMs: number): LogRecord =>
    about(i, s, { event: "ready-timeout", pid, text: `'${label(s)}' did not become ready within ${seconds(timeoutMs)} s: a failed start, stopping it.` }),
  failedStart: (i: number, s: Server, pid: number): LogRecord => about(i, s, { event: "failed-start", pid, text: `'${label(s)}' failed to start.` }),
  triggered: (i: number, s: Server, pid: number): LogRecord =>
    about(i, s, { event: "watchdog-trigger", pid, text: `'${label(s)}' asked to be treated as failed (WATCHDOG=trigger): stopping it.` }),
  failedAsAsked: (i: number, s: Server, pid: number): LogRecord => about(i, s, { event: "failed", pid, text: `'${label(s)}' ended as failed, as it asked.` }),
  unhealthy: (i: number, s: Server, pid: number, reason: string): LogRecord =>
    about(i, s, { event: "unhealthy", pid, reason, text: `'${label(s)}' is unhealthy (${reason}): restarting it.` }),
  stopTimeout: (i: number, s: Server, pid: number, timeoutMs: number): LogRecord =>
    about(i, s, { event: "stop-timeout", pid, text: `'${label(s)}' did not stop within ${seconds(timeoutMs)} s, killing it.` }),
  reviveRequested: (i: number, s: Server): LogRecord => about(i, s, { event: "revive", text: `revive of '${label(s)}' requested.` }),
  startRequested: (i: number, s: Server): LogRecord => about(i, s, { event: "start", text: `start of '${label(s)}' requested.` }),
  restartOfStopped: (i: number, s: Server): LogRecord => about(i, s, { event: "start", text: `restart of '${label(s)}' requested.` }),
  stopRequested: (i: number, s: Server, op: "stop" | "restart", pid: number): LogRecord =>
    about(i, s, { event: op, pid, text: `${op} of '${label(s)}' requested.` }),
  stoppedNow: (i: number, s: Server, from: LifeKind): LogRecord =>
    about(i, s, { event: "stopped", from, to: "cremated", text: `'${label(s)}' stopped, cremating.` }),
  changed: (i: number, s: Server, pid: number): LogRecord =>
    about(i, s, { event: "changed", pid, text: `'${label(s)}' (pid ${pid}) was changed by a reload: restarting it.` }),
  replaced: (i: number, s: Server, pid: number): LogRecord =>
    about(i, s, { event: "replaced", pid, text: `'${label(s)}' (pid ${pid}) was replaced by its new process, which is ready: stopping it.` }),
  rollAside: (i: number, s: Server, pid: number): LogRecord =>
    about(i, s, { event: "roll", pid, text: `'${label(s)}': its new process starts beside the old one (pid ${pid}), which is stopped once the new one is ready.` }),
  givenUp: (i: number, s: Server, pid: number): LogRecord =>
    about(i, s, { event: "given-up", pid, text: `'${label(s)}' (pid ${pid}), the new process of a rolling restart, is given up: stopping it.` }),
  /** pid null: it was not running. */
  removed: (i: number, s: Server, pid: number | null): LogRecord =>
    about(i, s, pid === null
      ? { event: "removed", from: s.life.kind, to: "cremated", text: `'${label(s)}' was removed by a reload.` }
      : { event: "removed", pid, text: `'${label(s)}' (pid ${pid}) was removed by a reload: stopping it.` }),
  signal: (i: number, s: Server, pid: number, signal: Signal): LogRecord =>
    about(i, s, { event: "signal", pid, signal: signalName(signal), text: `sending ${signalName(signal)} to '${label(s)}' (pid ${pid}).` }),
};

// --- replies to an operator (the control socket) --------------------------------------

export const reply = {
  shuttingDown: (already: boolean) => (already ? "already shutting down" : "shutting down"),
  refused: (phase: string) => `refused: supervisor is ${phase}`,
  revivedAll: (n: number) => `revived ${plural(n, "server")}`,
  noSuchServer: (i: number) => `no such server: ${i}`,
  rollBusy: (name: string) => `a rolling restart of '${name}' is under way: wait for its end`,
  rollReexecWaits: () => "lazarus re-execs once what it waits for has ended, which would end a rolling restart: ask again after the re-exec",
  rolled: (name: string, copies: readonly string[]) => `rolled '${name}': ${copies.join(", ")} restarted one at a time, each ready again`,
  rollingReload: (name: string) => `; a rolling restart of '${name}' replaces its copies one at a time (its end is logged)`,
  rollStoppedAfter: (name: string, why: string, done: readonly string[]) =>
    `rolling restart of '${name}' stopped while the old process of its last copy was stopping: ${why}; ${done.join(", ")} restarted`,
  /** `running`: every copy of `rest` runs (else some wait, are buried, …: "left as they were"). */
  rollStopped: (name: string, at: string, why: string, done: readonly string[], rest: readonly string[], running = true) =>
    `rolling restart of '${name}' stopped at '${at}': ${why}; ` +
    `${done.length === 0 ? "none" : done.join(", ")} restarted, ${rest.length === 0 ? "none" : rest.join(", ")} left ${running ? "running " : ""}as ${rest.length === 1 ? "it was" : "they were"}`,
  notBuried: (name: string, words: string) => `${name} is not buried (${words})`,
  revived: (name: string) => `revived ${name}`,
  willStartAgain: (name: string) => `${name} will start again once stopped`,
  alreadyRunning: (name: string) => `${name} is already running`,
  started: (name: string) => `started ${name}`,
  stopping: (name: string) => `stopping ${name}`,
  restarting: (name: string) => `restarting ${name}`,
  alreadyStopped: (name: string) => `${name} is already stopped`,
  stopped: (name: string) => `stopped ${name}`,
  notRunning: (name: string) => `${name} is not running`,
  waiting: (name: string, names: readonly string[]) => `${name} waits for ${names.join(", ")} to be ready`,
  startsOnceReady: (name: string, names: readonly string[]) => `${name} waits for ${names.join(", ")} to be ready, and starts then`,
  waitsForOld: (name: string, pid: number | null, then: boolean) => `${name} waits for ${oldProcess(pid)} to end${then ? ", and starts then" : ""}`,
  sent: (name: string, signal: Signal) => `sent ${signalName(signal)} to ${name}`,
};
