// The data of the pure core: what a server is, what can happen to it, and what
// the core asks the shell to do. Nothing here reads a clock or touches the OS;
// every timestamp is a monotonic, boot-relative time in milliseconds that the
// shell measured and passed in (it survives a re-exec: docs/spec.md, "Live re-exec").
import type { Vec } from "./vec.ts";

export type Ms = number;

/** A signal as the core speaks of it: its Linux number (names are in signals.ts). */
export type Signal = number;

/**
 * One supervised program, as the policy sees it (from the command line or a
 * config file). How it is launched beyond argv (cwd, env, output) is the
 * shell's business and lives outside the core.
 */
export interface ServerSpec {
  /** argv as written; argv[0] is looked up in PATH by the shell. Never empty. */
  readonly argv: readonly string[];
  /** Unique, human name used by logs, the dump and the control interface. */
  readonly name: string;
  /**
   * The word the text log lines of docs/spec.md ("When a server's process ends") use for it ('X' exited …): argv[0] as
   * written when absent (servers in braces, as mds-respawn did); config-file
   * and Procfile servers use their name (a Procfile's argv[0] is /bin/sh).
   */
  readonly label?: string;
  /** This server's do-not-resuscitate period; the global --interval when absent. */
  readonly intervalMs?: Ms;
  /** The signal that asks it to stop (shutdown, `ctl stop`); SIGTERM when absent. */
  readonly stopSignal?: Signal;
  /** How long a stop waits before SIGKILL; the global --stop-timeout when absent. */
  readonly stopTimeoutMs?: Ms;
  /** false: not started with the others, only by `ctl start` (it stays unborn). Default true. */
  readonly autostart?: boolean;
  /** How it says it is ready; ready as soon as it runs when absent. */
  readonly ready?: ReadySpec;
  /** Not ready this long after its start: a failed start (stopped, then judged as a crash). Needs `ready`. */
  readonly readyTimeoutMs?: Ms;
  /** The servers (indices) it needs: started only once each is ready (or done: ended cleanly). */
  readonly dependsOn?: readonly number[];
  /** A check that it is still healthy, once ready. */
  readonly health?: HealthSpec;
  /** With `ready` by notify: WATCHDOG=1 expected at least this often, else it is unhealthy. */
  readonly watchdogMs?: Ms;
  /** Which ends are followed by a new start (default "on-failure": the abnormal ones). */
  readonly restart?: RestartPolicy;
  /** Retry a crash faster than the interval after growing delays, before burying it. */
  readonly backoff?: BackoffSpec;
  /**
   * How the shell launches it beyond argv (working directory, environment,
   * output, log file), as an opaque fingerprint the shell computes: a reload
   * (the reconfigure event) compares it like every other field.
   */
  readonly launch?: string;
  /**
   * It is one of the copies of a table with `instances` (this is the table's
   * name): a reload that changes such a table with a readiness check
   * replaces its running copies one at a time (a rolling restart).
   */
  readonly group?: string;
  /**
   * How a rolling restart replaces it: "start-first" (absent: the new process
   * starts beside the old one, which is stopped once the new one is ready) or
   * "stop-first" (the old one is stopped first: for a server that cannot run
   * twice, such as one whose port depends on its instance).
   */
  readonly rolling?: "start-first" | "stop-first";
}

/** A check the shell carries out for the core, through the port. */
export type ProbeSpec =
  /** A TCP connection to host:port is accepted. */
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  /** An HTTP GET of the URL answers 2xx. */
  | { readonly kind: "http"; readonly url: string }
  /** The command (an argv: no shell) exits 0. */
  | { readonly kind: "cmd"; readonly argv: readonly string[] };

export type ReadySpec =
  | ProbeSpec
  /** It sends READY=1 on NOTIFY_SOCKET (sd_notify). */
  | { readonly kind: "notify" }
  /** A line of its output matches this regular expression. */
  | { readonly kind: "log"; readonly pattern: string };

export interface HealthSpec {
  readonly probe: ProbeSpec;
  readonly intervalMs: Ms;
  readonly timeoutMs: Ms;
  /** Consecutive failed probes that make it unhealthy. */
  readonly retries: number;
}

export type RestartPolicy = "on-failure" | "always" | "never";

export interface BackoffSpec {
  readonly initialMs: Ms;
  readonly maxMs: Ms;
  /** Retries after a fast crash before it is buried. */
  readonly retries: number;
}

export interface Settings {
  /** The do-not-resuscitate period: an abnormal end sooner than this buries. */
  readonly intervalMs: Ms;
  /** How long a shutdown waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: Ms;
  /** Forced abort after this long; 0 means never. */
  readonly alarmMs: Ms;
  /**
   * lazarus runs under systemd (NOTIFY_SOCKET was set for it): it says when it
   * is ready, its status, that it stops, and (watchdogMs) that it is alive.
   */
  readonly systemd?: { readonly watchdogMs: Ms | null };
  /**
   * The config tables and Procfile processes `ctl scale` holds at 0 copies (docs/spec.md, "Scale"). While there is
   * one, lazarus with nothing left to run does not exit (a later scale runs it again: it waits, said once); and a
   * dependency on one is none (a reload or scale compares a dependent's dependencies without it: unchanged).
   */
  readonly scaledToZero?: readonly string[];
}

/** How a process ended, as the OS reported it. */
export type ExitStatus =
  | { readonly kind: "code"; readonly code: number }
  | { readonly kind: "signal"; readonly signal: Signal }
  /** It ended but its status was lost (reaped by someone else): treated as abnormal. */
  | { readonly kind: "unknown" };

/** Why a server is buried: it cannot be fixed by respawning, only by a revive. */
export type BuriedWhy = "crash-loop" | "spawn-failed" | "crashed";
/** Why a server is cremated: it is never started again by the policy. */
export type CrematedWhy = "clean-exit" | "stopped" | "invalid-state";

/**
 * A server's life. The four states of docs/spec.md ("States"), plus
 * `starting`, which is transient and never observable from outside: the shell
 * answers a spawn effect with its result (spawned / spawn-failed) before any
 * other event about that server, just as mds-respawn's DEAD state lived only
 * between reaping and deciding.
 */
export type Life =
  | { readonly kind: "unborn" }
  /** It should run, and waits for what it depends on to be ready. */
  | { readonly kind: "waiting" }
  /** `short`: its last spawns failed for want of a resource (awaitResources): how many in a row (absent: none). */
  | { readonly kind: "starting"; readonly short?: number }
  /**
   * A process of it runs. `ready`: it said so (always true without a
   * readiness check); until then it is, for people, "starting".
   */
  | { readonly kind: "alive"; readonly pid: number; readonly since: Ms; readonly stop: StopOrder | null; readonly ready: boolean }
  /**
   * It crashed too fast and is started again at `until` (backoff); or, `short`, its spawn failed
   * for want of a resource (processes, descriptors, memory) and is tried again then: how many in a row.
   */
  | { readonly kind: "backoff"; readonly since: Ms; readonly until: Ms; readonly short?: number }
  | { readonly kind: "buried"; readonly since: Ms; readonly why: BuriedWhy }
  | { readonly kind: "cremated"; readonly since: Ms; readonly why: CrematedWhy };

export type LifeKind = Life["kind"];

/** An order to stop one server (shutdown, or an operator's `ctl stop`): its stop signal, then SIGKILL at `deadline`. */
export interface StopOrder {
  readonly deadline: Ms;
  readonly killed: boolean;
  /**
   * What to do once it has ended: stay cremated, start again (a restart, or
   * an unhealthy server), or judge its end as a crash (it failed to become ready).
   */
  readonly then: "cremate" | "start" | "fail";
}

export interface Server {
  readonly spec: ServerSpec;
  readonly life: Life;
  /** How many spawns were attempted; the first carries argv as given (docs/spec.md, "Spawning"). */
  readonly spawns: number;
  readonly lastExit: ExitStatus | null;
  /** Fast crashes in a row retried by its backoff (reset by a life of at least the interval, and by a revive). */
  readonly retries: number;
  /** Failed health probes in a row (reset by a passing one, and by a new process). */
  readonly healthFails: number;
  /** A probe of this server is being carried out (never two at once). */
  readonly probing: boolean;
  /**
   * The probe being carried out is of a health check a reload has since changed (step.ts, updateInPlace): its answer
   * counts for nothing, and the new check's next probe is armed when it comes. Set only while `probing`; never handed over.
   */
  readonly staleProbe?: true;
  /** The last STATUS= it sent (sd_notify), for people. */
  readonly note: string | null;
  /** With a watchdog: when it expires unless WATCHDOG=1 comes first. */
  readonly watchdogAt: Ms | null;
  /**
   * A reload removed it: it is stopped, never started again, and once it has
   * ended it is forgotten (its slot stays, so that indices do not move, and a
   * server of the same name added later takes it over).
   */
  readonly retired?: true;
  /**
   * A reload changed it while its process runs: the spec it takes on once
   * that process has ended (its next start uses it).
   */
  readonly next?: ServerSpec;
  /**
   * A rolling restart's new process for slot N (start-first): not a server of
   * its own (no name of its own, never handed over); once it is ready it
   * takes slot N's place, and N's old process moves here and is stopped. If
   * it fails, it is retired (stopped and forgotten) and N is left as it was.
   */
  readonly replaces?: number;
  /**
   * A reload added it while a process in its seat (its name, or its table's same copy: reconfigure.ts, sameSeat) was
   * still being stopped, a removed server's in slot N: it does not start (it waits) before that process has ended. Set
   * only while slot N's process runs or is being started (cleared, or moved to another such process, as it ends);
   * never on a server whose process runs. Never handed over (a re-exec waits until removed servers have ended).
   */
  readonly behind?: number;
}

/** What the supervisor as a whole is doing. */
export type Phase =
  /** Created, the start event not yet seen. */
  | { readonly kind: "booting" }
  | { readonly kind: "running" }
  /**
   * Shutdown (SIGTERM/SIGINT, exit 0) or alarm abort (exit 142): spawn nothing,
   * wait for the alive, each under its own stop order. `killed`: a second
   * terminate or the alarm sent SIGKILL to everything.
   */
  | { readonly kind: "stopping"; readonly status: number; readonly killed: boolean }
  /** The exit effect has been emitted; nothing happens any more. */
  | { readonly kind: "exited"; readonly status: number };

/** How many servers are in each life (kept by the core as lives change: the supervisor's own decisions need it after every event). */
export type Census = Readonly<Record<LifeKind, number>>;

export interface State {
  readonly settings: Settings;
  readonly servers: Vec<Server>;
  readonly census: Census;
  readonly phase: Phase;
  /** A revive asked for when it could not act yet (before start); acted on at start. */
  readonly pendingRevive: boolean;
  /**
   * A re-exec asked for while a spawn's result was on its way: it waits until
   * none is, so that no child started meanwhile is missing from the handover.
   */
  readonly pendingReexec: boolean;
  /** The "waiting for a revive" line was logged since the last time something lived. */
  readonly waitingLogged: boolean;
  /** Absolute deadline of --alarm, or null. Kept across a re-exec. */
  readonly alarmAt: Ms | null;
  /** After a re-exec: when the old image exec'd (a child found ended at the take-over died at or after it). */
  readonly execAt: Ms | null;
  /** Who depends on each server (the reverse of dependsOn): a shutdown stops them first. */
  readonly dependents: readonly (readonly number[])[];
  /** Under systemd: READY=1 was sent, and the last STATUS= text. */
  readonly systemd: { readonly ready: boolean; readonly status: string };
  /** A rolling restart under way (absent: none). Not handed over: a re-exec ends it. */
  readonly roll?: Roll;
  /**
   * What is left of the process groups of servers that ended by themselves (sent SIGTERM then), each to be SIGKILLed
   * at its deadline: earliest first (equal deadlines in the order they came), one per group id, at most
   * MAX_LEFTOVERS (step.ts). One timer, `leftovers`, is armed at the first's deadline. Not handed over: a re-exec drops them.
   */
  readonly leftovers: readonly Leftover[];
}

/** What is left of an ended server's process group: SIGKILLed at `at` (its stop timeout after its leader ended). */
export interface Leftover {
  /** The group's id: the ended leader's pid. */
  readonly pgid: number;
  /** The server whose process led it (for the effect; slots never move). */
  readonly server: number;
  readonly at: Ms;
}

/** A rolling restart under way (roll.ts): which copy is being restarted, which are done, which are next. */
export interface Roll {
  /** The request to answer once it ends (null: a reload's roll, which nobody waits for). */
  readonly id: number | null;
  /** A reload's: a copy that took its new spec meanwhile (it was restarted for another reason) is not replaced again. */
  readonly reload: boolean;
  readonly name: string;
  /** The copies restarted and ready again, in order. */
  readonly done: readonly number[];
  /** The copy being restarted. */
  readonly current: number;
  /** Its pid when its restart began (null: it did not run). */
  readonly old: number | null;
  /** The first new process seen of it (null: none yet). */
  readonly fresh: number | null;
  /** Start-first: the slot where its new process starts beside the old one (null: it is restarted in place, stop-first). */
  readonly aside: number | null;
  /** Start-first: the new process took the copy's place; the slot its old process moved to, which the next copy waits for to end (null: none). */
  readonly draining: number | null;
  /** The copies still to restart, in order. */
  readonly rest: readonly number[];
}

/** What a re-exec hands to the new image (marshal.ts encodes and validates it). */
export interface Handover {
  readonly pendingRevive: boolean;
  readonly alarmAt: Ms | null;
  /** Under systemd: READY=1 was sent already (absent: not). */
  readonly systemdReady?: boolean;
  /** The instant of the re-exec (the reexec event's time); null from an image that did not record it. */
  readonly execAt: Ms | null;
  readonly servers: readonly HandoverServer[];
}

/** What every server's record carries, whatever its state. */
interface HandoverCommon {
  readonly spawns: number;
  readonly lastExit: ExitStatus | null;
  /** Fast crashes in a row retried by its backoff (absent: none). */
  readonly retries?: number;
}

export type HandoverServer =
  | HandoverCommon & { readonly kind: "unborn" }
  /** It waited for what it depends on (the new image looks again). */
  | HandoverCommon & { readonly kind: "waiting" }
  /**
   * `ready` absent: ready (as every server was before readiness existed). `runs`: it keeps its old process with the
   * configuration's spec pending (a rolling reload's copy not replaced): the spec that process runs, its dependsOn
   * indices into the handover's servers (absent: it runs the configuration's spec).
   */
  | HandoverCommon & { readonly kind: "alive"; readonly pid: number; readonly since: Ms; readonly stop: StopOrder | null; readonly ready?: boolean; readonly runs?: ServerSpec }
  | HandoverCommon & { readonly kind: "backoff"; readonly since: Ms; readonly until: Ms }
  | HandoverCommon & { readonly kind: "buried"; readonly since: Ms; readonly why: BuriedWhy }
  | HandoverCommon & { readonly kind: "cremated"; readonly since: Ms; readonly why: CrematedWhy }
  /** The record of this server could not be read: cremate it and say so. */
  | HandoverCommon & { readonly kind: "invalid"; readonly reason: string };

/** Timers the core arms; the shell fires a `timer` event at (or after) `at`. */
export type TimerName =
  | "alarm"
  /** lazarus's own WATCHDOG=1 to systemd. */
  | "sd-watchdog"
  /** A stop order's SIGKILL deadline. */
  | `stop:${number}`
  /** The next readiness or health probe. */
  | `probe:${number}`
  /** Its ready_timeout. */
  | `ready:${number}`
  /** Its watchdog: no WATCHDOG=1 by then. */
  | `watchdog:${number}`
  /** Its next start after a fast crash. */
  | `backoff:${number}`
  /** The first deadline of what is left of ended servers' process groups (State.leftovers). */
  | "leftovers";

export type ControlCommand =
  | { readonly op: "revive"; readonly server: number | null }
  | { readonly op: "stop"; readonly server: number }
  | { readonly op: "start"; readonly server: number }
  | { readonly op: "restart"; readonly server: number }
  /** `ctl restart NAME --rolling`: these servers (NAME's copies, in order) restarted one at a time, each once the one before is ready again. */
  | { readonly op: "roll"; readonly name: string; readonly servers: readonly number[] }
  | { readonly op: "signal"; readonly server: number; readonly signal: Signal }
  | { readonly op: "shutdown" };

export type Event =
  /** First event of a fresh start, or of a re-exec'd image (with its handover). */
  | {
    readonly type: "start";
    readonly at: Ms;
    readonly handover: Handover | null;
    readonly version?: string;
    /** What the shell has to report about its own start (e.g. a control socket it could not open). */
    readonly notes?: readonly string[];
  }
  | { readonly type: "spawned"; readonly at: Ms; readonly server: number; readonly pid: number }
  /** `short`: it failed for want of a resource that may come back (EAGAIN, EMFILE, ENFILE, ENOMEM): tried again, not buried. */
  | { readonly type: "spawn-failed"; readonly at: Ms; readonly server: number; readonly error: string; readonly short?: true }
  | {
    readonly type: "exited";
    readonly at: Ms;
    readonly pid: number;
    readonly status: ExitStatus;
    /**
     * Which server the shell believes this pid is (from the spawn it answered):
     * a hint that spares a search. The core checks it, and searches when it is
     * absent or wrong, so a wrong hint changes nothing.
     */
    readonly server?: number;
    /**
     * The port found it already ended when the new image took over after a
     * re-exec: it died during the exec, at or after the exec instant, which
     * then counts as the end of its life (the most it can have lived is less).
     */
    readonly atTakeover?: boolean;
  }
  /** SIGUSR2. */
  | { readonly type: "revive"; readonly at: Ms }
  /** SIGTERM, SIGINT (and SIGHUP). */
  | { readonly type: "terminate"; readonly at: Ms; readonly signal: Signal }
  | { readonly type: "timer"; readonly at: Ms; readonly timer: TimerName }
  /** SIGQUIT. */
  | { readonly type: "info"; readonly at: Ms }
  /** A signal whose default action would kill the supervisor and orphan every server (SIGPIPE, SIGXCPU, …): ignored, said. */
  | { readonly type: "stray-signal"; readonly at: Ms; readonly signal: Signal }
  /**
   * SIGUSR1. `again`: asked once more by the shell, which found exits to
   * report first when it was about to exec (they are handled before it).
   */
  | { readonly type: "reexec"; readonly at: Ms; readonly again?: boolean }
  | { readonly type: "reexec-failed"; readonly at: Ms; readonly error: string }
  /** Lines the log's destination did not take (it stalled or was full), reported once writing works again. */
  | { readonly type: "log-dropped"; readonly at: Ms; readonly log: number; readonly output: number }
  /** A log file (a server's, or lazarus's event log) began to drop lines: it cannot be written, and why (issue 16). */
  | { readonly type: "log-file-failing"; readonly at: Ms; readonly path: string; readonly reason: string }
  /** A log file can be written again; `dropped` lines were lost meanwhile. */
  | { readonly type: "log-file-resumed"; readonly at: Ms; readonly path: string; readonly dropped: number }
  /** A problem the shell or the OS port ran into that is not an exit (said in the log, changes nothing). */
  | { readonly type: "problem"; readonly at: Ms; readonly text: string }
  /** A probe the core asked for has an answer (`reason`: why it failed). */
  | {
    readonly type: "probe-result";
    readonly at: Ms;
    readonly server: number;
    readonly pid: number;
    readonly purpose: ProbePurpose;
    readonly ok: boolean;
    readonly reason: string;
  }
  /**
   * A probe the core asked for was cut short by lazarus itself, not by the
   * server (a command probe killed before a re-exec that then failed): no
   * verdict, so it is tried again as if it had not run, and counts for nothing.
   */
  | {
    readonly type: "probe-interrupted";
    readonly at: Ms;
    readonly server: number;
    readonly pid: number;
    readonly purpose: ProbePurpose;
    readonly reason: string;
  }
  /**
   * A server said something on NOTIFY_SOCKET (sd_notify): `pid` is its main
   * process (the sender, or the leader of the sender's process group).
   */
  | {
    readonly type: "notify";
    readonly at: Ms;
    readonly pid: number;
    readonly ready: boolean;
    readonly watchdog: boolean;
    readonly status: string | null;
    /** WATCHDOG=trigger: it asks to be treated as failed, as if its watchdog had expired (absent: false). */
    readonly trigger?: boolean;
  }
  /** A line of output of the server whose main process is `pid` matched its readiness pattern. */
  | { readonly type: "output-match"; readonly at: Ms; readonly pid: number }
  /** A request from the control socket, answered with a `reply` effect carrying `id`. */
  | { readonly type: "control"; readonly at: Ms; readonly id: number; readonly command: ControlCommand }
  /**
   * A reload (`ctl reload`): the new settings and servers, from files the
   * shell read again and validated as a whole. `servers`' dependsOn are
   * indices into this list. The core compares them by name with what it runs
   * (reconfigure.ts) and applies the difference; `id`: the request to answer.
   */
  | {
    readonly type: "reconfigure"; readonly at: Ms; readonly id: number | null; readonly settings: Settings; readonly servers: readonly ServerSpec[];
    /** A `ctl scale` (the same texts, one table's count changed): said as such. */
    readonly scale?: { readonly name: string; readonly count: number };
  }
  /** A reload whose files did not validate: nothing changes; the error (file, line, key) is said and answered. */
  | { readonly type: "reload-failed"; readonly at: Ms; readonly id: number | null; readonly error: string };

/** Why a probe is run: to know a server is ready, or that it is still healthy. */
export type ProbePurpose = "ready" | "health";

/** One line of the log, with the fields a machine reader wants (the JSON event log). */
export interface LogRecord {
  readonly event: string;
  readonly text: string;
  readonly server?: number;
  readonly name?: string;
  readonly pid?: number;
  readonly from?: LifeKind;
  readonly to?: LifeKind;
  readonly code?: number;
  readonly signal?: string;
  /** log-dropped: how many lines of lazarus's log and of server output were lost. */
  readonly dropped?: { readonly log: number; readonly output: number };
  /** log-file-failing, log-file-resumed: the log file, and how many of its lines were lost. */
  readonly file?: string;
  readonly lines?: number;
  /** backoff: the delay before the next try, in seconds, and which retry it is. */
  readonly delay?: number;
  readonly retry?: number;
  /** unhealthy: why (the last failed probe, or the watchdog). */
  readonly reason?: string;
  /** reload: what it did, by server name. */
  readonly reload?: ReloadSummary;
}

export type Effect =
  | { readonly type: "spawn"; readonly server: number; readonly argv: readonly string[] }
  /** Signal a server: its whole process group (its pid is the group id) or, with group false, the process alone. */
  | { readonly type: "kill"; readonly server: number; readonly pid: number; readonly signal: Signal; readonly group: boolean }
  /**
   * A server's leader has ended: signal what is left of its process group
   * among the supervisor's own children (grandchildren reparented to it as
   * subreaper): SIGKILL for a stopped server, so that nothing of it survives
   * it; SIGTERM for one that ended by itself, then SIGKILL at its stop timeout.
   */
  | { readonly type: "kill-remnants"; readonly server: number; readonly pgid: number; readonly signal: Signal }
  | { readonly type: "log"; readonly record: LogRecord }
  | { readonly type: "arm"; readonly timer: TimerName; readonly at: Ms }
  | { readonly type: "disarm"; readonly timer: TimerName }
  /** Watch a child this image did not spawn (after a re-exec) and report its end. */
  | { readonly type: "adopt"; readonly server: number; readonly pid: number }
  | { readonly type: "reexec"; readonly handover: Handover }
  | { readonly type: "reply"; readonly id: number; readonly ok: boolean; readonly message: string; readonly reload?: ReloadSummary }
  /** Carry out a probe of server i's process `pid` (at most `timeoutMs`), and report its `probe-result`. */
  | { readonly type: "probe"; readonly server: number; readonly pid: number; readonly purpose: ProbePurpose; readonly probe: ProbeSpec; readonly timeoutMs: Ms }
  /** Say this to systemd (sd_notify): READY=1, STATUS=…, STOPPING=1, WATCHDOG=1. */
  | { readonly type: "sd-notify"; readonly text: string }
  | { readonly type: "exit"; readonly status: number };

/** What a reload did, by server name. */
export interface ReloadSummary {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
  /**
   * Those of the unchanged whose spec changed in policy only (its stop timeout, health check, …): taken in place, their
   * processes untouched (docs/spec.md, "Reload"). Absent when there are none (and from an older supervisor).
   */
  readonly updated?: readonly string[];
}

export interface StepResult {
  readonly state: State;
  readonly effects: readonly Effect[];
}
