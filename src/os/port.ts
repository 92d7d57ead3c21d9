// The one narrow port between the shell and the operating system.
//
// The shell (src/shell/) reaches the kernel only through this interface. The
// production implementation is bun-port.ts (posix_spawn, process signals, timers,
// bun:ffi); tests and `bun run sim` plug a simulated OS in behind the same
// interface, so the shell code that runs in production is the code under test.
import type { Limit, RunAs } from "../config/accounts.ts";
import type { ExitStatus, Ms, ProbeSpec, Signal } from "../core/types.ts";
import type { LogTarget } from "../logs/target.ts";
import type { HttpEndpoint, HttpEndpointOptions } from "./http-server.ts";
import type { LogFileEvent, LogFileState } from "./log-file.ts";

/**
 * Set (to 1) in the environment of the start-up check a port runs before a
 * re-exec: the new image reads its command line, files and handover exactly as
 * the real one will, then exits 0 without touching the OS. A broken upgrade (a
 * syntax error, a handover it cannot read) fails there, and the old image goes on.
 */
export const PREFLIGHT_ENV = "LAZARUS_PREFLIGHT";

/** Set by a re-exec for the new image: which fds carry which server's prefixed output (output.ts). */
export const OUTPUT_ENV = "LAZARUS_OUTPUT";

/** Set by a re-exec for the new image: how many log lines the old one could not write before the exec. */
export const DROPPED_ENV = "LAZARUS_DROPPED";

/** Set by a re-exec for the new image: the log files, their counts, and the lines to append first (log-files.ts). */
export const LOGS_ENV = "LAZARUS_LOGS";

/** Set by a re-exec for the new image: the fd of a memfd holding the bytes read but not yet written (output.ts, log-files.ts). */
export const CARRY_ENV = "LAZARUS_CARRY";

/** Set by a re-exec for the new image: the fd of the servers' notify socket, still bound, with what it queued (notify-socket.ts). */
export const NOTIFY_ENV = "LAZARUS_NOTIFY";

/**
 * Set by a re-exec for the new image, with NOTIFY_ENV: the spawn marks of the notify socket (its markers'
 * nonce, sequence numbers, and the spawns whose marker was still queued: spawn-marks-carry.ts).
 */
export const NOTIFY_MARKS_ENV = "LAZARUS_NOTIFY_MARKS";

/**
 * Set by a re-exec for the new image: "1" when SIGHUP was ignored by whoever started the first
 * image (nohup), else "0". The new image cannot look for itself: the exec sets every handled
 * signal, SIGHUP among them, to SIG_IGN (see BunPort.exec), which it would take for nohup.
 */
export const NOHUP_ENV = "LAZARUS_NOHUP";

/**
 * One sd_notify datagram from a server (or one of its descendants): the
 * sender's pid as the kernel says it (null when unknown), the text, and the
 * sender's process group as read when the datagram arrived (null when the
 * sender was gone already). A server's pid is its group's id.
 */
export type NotifyListener = (pid: number | null, text: string, pgid: number | null) => void;

export interface SpawnRequest {
  readonly argv: readonly string[];
  /** Working directory; the supervisor's own when absent. */
  readonly cwd?: string;
  /**
   * The complete environment of the child (computed once by the plan; never lazarus's own process.env).
   * Never changed once made: the port may keep its marshalled form by the object's identity (libc.ts spawnChild).
   */
  readonly env: Readonly<Record<string, string>>;
  /** How the child's stdout/stderr are wired; inherited when absent. */
  readonly output?: OutputSpec;
  /** Whom the child runs as (setgroups, setgid, setuid before its exec); lazarus's own user when absent. */
  readonly runAs?: RunAs;
  /** Its resource limits (setrlimit before its exec); lazarus's own when absent. */
  readonly limits?: readonly Limit[];
}

/**
 * Where a child's stdout and stderr go: lazarus's own (inherited), nowhere
 * (/dev/null), or through pipes lazarus reads line by line (output.ts), to the
 * terminal as `terminal` says and to a log file when it has one.
 */
export type OutputSpec =
  | { readonly kind: "inherit" }
  | { readonly kind: "discard" }
  | {
    readonly kind: "piped";
    readonly name: string;
    readonly terminal: TerminalSpec;
    readonly log: LogTarget | null;
    /**
     * The source of a JavaScript regular expression (`ready = { log = … }`), or
     * null: each complete line of the child's output (stdout and stderr) is
     * tested against it until one matches, and then the match listener is told
     * once (onOutputMatch). A line longer than the output's longest line is
     * tested on its first part only.
     */
    readonly ready: string | null;
  };

/** How the lines of a piped server reach lazarus's stdout and stderr (each line to the stream it came from). */
export type TerminalSpec =
  /** `web    | a line`: the name padded to `width`, coloured with the SGR code `color` when the destination is a terminal. */
  | { readonly kind: "prefix"; readonly width: number; readonly color: string | null }
  /** As the server wrote them (its output is inherited, and kept in a log file too). */
  | { readonly kind: "plain" }
  /** Not at all (output = "none"): its log file only. */
  | { readonly kind: "none" };

export type SpawnOutcome =
  | { readonly ok: true; readonly pid: number }
  /** `short`: for want of a resource that may come back (no free process, file descriptor or memory: shortage.ts). */
  | { readonly ok: false; readonly error: string; readonly short?: true };

/** One readiness or health check to carry out (see docs/design.md, "Probes"). */
export interface ProbeRequest {
  readonly probe: ProbeSpec;
  /** How long it may take; then it has failed ("timed out after 2 s"), and a command is SIGKILLed with its group. */
  readonly timeoutMs: Ms;
  /** A command probe's working directory; the supervisor's own when absent. */
  readonly cwd?: string;
  /** A command probe's complete environment (its PATH finds the command); unused by tcp and http. */
  readonly env: Readonly<Record<string, string>>;
  /** A command probe runs as its server does: as its user, with its limits (SpawnRequest). */
  readonly runAs?: RunAs;
  readonly limits?: readonly Limit[];
}

/**
 * How a probe went: `reason` is a short phrase for log lines ("connection refused", "HTTP 500",
 * "exit status 3"). `ok: null` is no verdict: lazarus cut the probe short itself (a command probe
 * killed before a re-exec that then failed), or could not carry it out for want of a resource of
 * its own (`short`: out of file descriptors, processes, memory: shortage.ts), so it says nothing
 * about the server.
 */
export type ProbeOutcome =
  | { readonly ok: boolean; readonly reason: string }
  | { readonly ok: null; readonly reason: string; readonly short?: true };

export type ProbeDone = (outcome: ProbeOutcome) => void;

export interface TimerHandle {
  cancel(): void;
}

/** One request line from a control client, and how to answer it (one line). */
export type ControlHandler = (line: string, respond: (reply: string) => void) => void;

/**
 * The end of a child (spawned or adopted) or of a reaped orphan. `atTakeover`:
 * found already ended when this image took over after a re-exec (it died
 * during the exec).
 */
export interface PortExit {
  readonly pid: number;
  readonly status: ExitStatus;
  readonly atTakeover: boolean;
}

export type ExitListener = (exit: PortExit) => void;

/** What the port has to report besides exits: lines it had to drop, a problem of its own. */
export type PortNotice =
  /** Lines lost to a destination that did not keep up (stderr, stdout), reported once writing works again. */
  | { readonly kind: "dropped"; readonly log: number; readonly output: number }
  | { readonly kind: "problem"; readonly text: string }
  /** A log file began to drop lines, or works again (log-file.ts). */
  | { readonly kind: "log-file"; readonly event: LogFileEvent };

export type NoticeListener = (notice: PortNotice) => void;

/** A child's output matched its `ready` pattern (OsPort.onOutputMatch): the child's pid. */
export type OutputMatchListener = (pid: number) => void;

/** A line of a server's prefixed output (without its newline), as the port reads it. */
export type OutputTap = (name: string, stream: "stdout" | "stderr", line: string) => void;

export interface OsPort {
  /** Monotonic milliseconds since boot: comparable across a re-exec. */
  now(): Ms;

  /** Wall-clock milliseconds since the epoch, for humans reading logs only; never for decisions. */
  wallTime(): number;

  /**
   * Start a child in a new session (its pid is its process group id). Synchronous:
   * the outcome is known when this returns. The child's exit is reported exactly
   * once, later: through the exit listener, or by takeExits. Never from inside
   * this call (nor from inside any other call of the shell's: listeners are
   * called from the event loop only).
   */
  spawn(request: SpawnRequest): SpawnOutcome;

  /**
   * Send a signal to a child's process group (group) or to the child alone. The
   * port refuses (returns false) once the pid has been reaped: a reaped pid may
   * belong to somebody else by now.
   */
  kill(pid: number, signal: Signal, group: boolean): boolean;

  /**
   * Signal what is left of process group `pgid` after its leader was reaped (at
   * once, or a stop timeout later: the core's SIGKILL of a crashed server's
   * leftovers): only while processes that are the supervisor's own unreaped
   * children (orphans reparented to it as child subreaper) are in it, so a
   * reused pid is never reached; nothing when none is.
   */
  killRemnants(pgid: number, signal: Signal): void;

  /** Watch a child this image did not spawn (inherited across a re-exec); report its end. */
  adopt(pid: number): void;

  /** Register the one listener for child exits (called from the event loop, never inside a call of the shell's). */
  onExit(listener: ExitListener): void;

  /**
   * Every exit the port knows of (has reaped) and has not reported yet, returned
   * instead of told to the listener: before a re-exec (so that no status is lost
   * in the exec) and before every spawn (so that a pid the kernel reuses is never
   * mistaken for the process that had it before). A child that has ended but is
   * not reaped yet is not among them: it keeps its pid until it is reaped, and
   * its end is reported as usual (or, across a re-exec, found at the take-over).
   */
  takeExits(): PortExit[];

  /** Subscribe to a signal sent to the supervisor. */
  onSignal(signal: Signal, listener: () => void): void;

  /**
   * Carry out one probe. `done` is called exactly once, later, from the event
   * loop (never inside this call nor inside any other call of the shell's),
   * at the latest soon after `timeoutMs`; never after `exit`. A command probe
   * is not a server: its end is never reported to the exit listener nor by
   * takeExits, it is reaped by the port, and nothing of it (its process group)
   * outlives it, the timeout, `exit` or `exec`.
   */
  probe(request: ProbeRequest, done: ProbeDone): void;

  /** Call `fn` once, at monotonic time `at` or soon after. */
  setTimer(at: Ms, fn: () => void): TimerHandle;

  /**
   * Listen for control clients on a Unix socket (newline-delimited requests).
   * `strict`: the directory must be private already (the default place). An
   * error text when it cannot (in use by a live supervisor, bad directory, …).
   */
  listenControl(path: string, strict: boolean, handler: ControlHandler): Promise<string | null>;

  /**
   * Serve the HTTP endpoint (metrics, health, the status page) with Bun.serve;
   * an error text when it cannot listen.
   */
  serveHttp(options: HttpEndpointOptions): HttpEndpoint | string;

  /** Hand every line of servers' prefixed output to `tap` (the status page shows the last ones); null: no more. */
  tapOutput(tap: OutputTap | null): void;

  /**
   * Register the one listener told when a line of a child's output first
   * matches its OutputSpec's `ready` pattern: once per process (whichever of its
   * streams matched first), from the event loop, never inside a call of the
   * shell's. A match read before a re-exec and not yet told is told by the new
   * image; one already told is not told again.
   */
  onOutputMatch(listener: OutputMatchListener): void;

  /**
   * Write one line to the log sink (stderr). Never blocks: a line the sink
   * cannot take now waits in a bounded queue, or is dropped and counted (a
   * `dropped` notice, once writing works again). Before an exit or an exec the
   * queue is written for a bounded time only.
   */
  log(line: string): void;

  /**
   * Hand the lines logged so far to the log's writer now, rather than at the end of
   * the event loop's turn (as one write): before a control reply, so that a client
   * that has its answer finds the lines of what it caused written.
   */
  flushLog(): void;

  /** Register the one listener for notices (notices from before it are delivered after it is registered). */
  onNotice(listener: NoticeListener): void;

  /**
   * What `exit` will kill that is no server's process: orphans reparented to the supervisor
   * that are still running (a daemon a server left in a session of its own), with their
   * command names; at most `max`. Optional: a port without orphans to reap has none.
   */
  leftBehind?(max: number): readonly { readonly pid: number; readonly name: string }[];

  /** End the supervisor's process with this status (what is left among its children is SIGKILLed and reaped first). */
  exit(status: number): void;

  /**
   * Before a re-exec: check the new image (its start-up check), then stop
   * reading servers' output and give what was read a bounded time to reach the
   * log files, so that `exec` hands the rest across. Returns false when there is
   * nothing to prepare (exec at once); otherwise calls `ready` once, later, from
   * the event loop: with null when `exec` may go ahead (the sooner the better:
   * output waits meanwhile), or with why the new image cannot start (nothing
   * was paused then). After a null, either `exec` or `cancelExec` must follow.
   */
  prepareExec(argv: readonly string[], env: Readonly<Record<string, string>>, ready: (problem: string | null) => void): boolean;

  /** A prepared exec that will not happen (the supervisor began to stop meanwhile): read servers' output again. */
  cancelExec(): void;

  /**
   * Replace the supervisor's process image (execve). Returns only on failure,
   * with the reason (and then reads on as before); children stay running either way.
   */
  exec(argv: readonly string[], env: Readonly<Record<string, string>>): string;

  // --- log files (issue 16): one per path, opened on first use; never blocking, failures counted and told as notices

  /** Open the log file of `target` now (if it is not yet), so that a bad directory is said at once. */
  openLog(target: LogTarget): void;

  /** Append one line (without its newline) to the log file of `target` (lazarus's own event log). Never blocks. */
  appendLog(target: LogTarget, line: string): void;

  /** The counts of the log file at `path` (ctl status), or null when it was never opened. */
  logState(path: string): LogFileState | null;

  /** Rotate the log files at `paths` now (ctl rotate), after what they already hold; resolves with a problem per file that failed. */
  rotateLogs(paths: readonly string[]): Promise<string[]>;

  /** Open the log files at `paths` again before their next write (an external rotator moved them: ctl reopen). */
  reopenLogs(paths: readonly string[]): void;

  // --- sd_notify (issue 14)

  /**
   * Listen for servers' sd_notify datagrams on a socket at `path` (in the
   * private control directory; NOTIFY_SOCKET for the servers), calling
   * `listener` from the event loop for each one; an error text when it cannot.
   * Opening again replaces the socket and its listener. Never blocks; datagrams
   * it must drop (too large, too many at once) are counted and told as a
   * `problem` notice. A re-exec hands the socket across still bound (datagrams
   * sent meanwhile wait for the new image): the new image calls openNotify
   * with the same path and gets it back.
   */
  openNotify(path: string, listener: NotifyListener): string | null;

  /** Stop listening and remove the notify socket (nothing happens when none is open). */
  closeNotify(): void;

  /**
   * Send `text` (e.g. "READY=1", "STATUS=…", "STOPPING=1", "WATCHDOG=1") to the
   * service manager that started lazarus (its NOTIFY_SOCKET); nothing when there
   * is none. Never blocks; a failure is told once as a `problem` notice.
   */
  sdNotify(text: string): void;
}
