// What the HTTP endpoint knows of the supervisor: a read-only snapshot the shell
// gives when asked (a request, a view for the live pages), plus what the adapter
// measures when a request comes (the clock, the process's own metrics). Times are
// monotonic milliseconds of the port's clock (boot-relative, as the core's), so a
// snapshot does not go stale while nothing changes: ages and uptimes are computed
// against `now` when a request is answered.
import type { LifeKind, Ms } from "../core/types.ts";

/** The states a server is in, one `lazarus_server_state` series each (the core's LifeKind). */
export const SERVER_STATES = ["unborn", "waiting", "starting", "alive", "backoff", "buried", "cremated"] as const satisfies readonly LifeKind[];
export type ServerState = (typeof SERVER_STATES)[number];
// Every LifeKind is listed (a state the core gains must be added here).
const _everyState: Record<LifeKind, ServerState> = { unborn: "unborn", waiting: "waiting", starting: "starting", alive: "alive", backoff: "backoff", buried: "buried", cremated: "cremated" };
void _everyState;

/** The supervisor's phases, one `lazarus_phase` series each. */
export const PHASES = ["booting", "running", "stopping", "exited"] as const;
export type SupervisorPhase = (typeof PHASES)[number];

/** How a process ended, as labels say it: `kind="exit",code="1"`, `kind="signal",signal="SIGSEGV"`, `kind="unknown"`. */
export type ExitInfo =
  | { readonly kind: "exit"; readonly code: number }
  | { readonly kind: "signal"; readonly signal: string }
  | { readonly kind: "unknown" };

/** What happened to a server, for its timeline. */
export type TimelineKind = "start" | "crash" | "buried" | "exit" | "stopped";

export interface TimelineEvent {
  /** Monotonic ms. */
  readonly at: Ms;
  readonly kind: TimelineKind;
  /** A few words: "pid 4242", "SIGSEGV", "code 3", "spawn failed". */
  readonly detail: string;
}

export interface OutputLine {
  readonly stream: "out" | "err";
  readonly text: string;
}

export interface ServerSnapshot {
  readonly index: number;
  /** Its name; "web.1 (new)", "web.1 (old)" for a rolling restart's process beside its copy (as `ctl status` shows them). */
  readonly name: string;
  /** A rolling restart's new process starting beside its copy, or the old one moved aside while it stops; null: neither. */
  readonly aside: "new" | "old" | null;
  /** A reload removed it: shown until its process has ended. */
  readonly removed: boolean;
  readonly autostart: boolean;
  readonly state: ServerState;
  /** A stop (or restart) is in progress. */
  readonly stopping: boolean;
  /** Readiness: null while the server has no readiness check. */
  readonly ready: boolean | null;
  readonly pid: number | null;
  /** Its current start (alive) or last change (buried, cremated); null when unborn. Monotonic ms. */
  readonly since: Ms | null;
  readonly restarts: number;
  /** Abnormal ends that were not stops, by how they ended (at most MAX_CRASH_KINDS kinds). */
  readonly crashes: readonly { readonly exit: ExitInfo; readonly count: number }[];
  /** How many times it was buried (a crash loop, or a spawn that failed). */
  readonly buried: number;
  readonly lastExit: ExitInfo | null;
  /** Its recent history, oldest first (bounded: see history.ts). */
  readonly timeline: readonly TimelineEvent[];
  /** The last lines of its output, oldest first; null when lazarus does not see them (inherited output). */
  readonly output: readonly OutputLine[] | null;
  /** Whom it runs as (`user`), when another user than lazarus; absent otherwise. */
  readonly user?: string;
}

export interface SupervisorSnapshot {
  readonly pid: number;
  readonly version: string;
  /** When the process started (the first image's start, across re-execs). Monotonic ms. */
  readonly startedAt: Ms;
  readonly phase: SupervisorPhase;
  /** Events the core has handled (this image). */
  readonly events: number;
  /** Live re-execs done (across images when the handover carries it, else this image's). */
  readonly reexecs: number;
  /** Lines lost to a destination that did not keep up: lazarus's own log, servers' prefixed output. */
  readonly droppedLog: number;
  readonly droppedOutput: number;
  /** Requests on the control socket (and actions from HTTP). */
  readonly controlRequests: number;
}

export interface HttpSnapshot {
  readonly supervisor: SupervisorSnapshot;
  /** In the supervisor's order (index). */
  readonly servers: readonly ServerSnapshot[];
  /**
   * The body of `lazarus ctl --json status` at `now`: exactly what the control
   * socket answers to {"cmd":"status"} (the shell passes the same function it
   * uses there), served by GET /api/status.
   */
  readonly status: (now: Ms) => unknown;
}

/** The process's own metrics, measured when /metrics is scraped (src/os/process-metrics.ts). Null: not known. */
export interface ProcessMetrics {
  readonly cpuSeconds: number | null;
  readonly residentBytes: number | null;
  readonly virtualBytes: number | null;
  readonly openFds: number | null;
  readonly maxFds: number | null;
}

/** What the adapter counts about the endpoint itself (shown in /metrics). */
export interface HttpStats {
  /** Answered requests by status code. */
  readonly responses: Readonly<Record<number, number>>;
  /** Requests refused before any work, by reason ("rate", "sse-clients", "actions-in-flight"). */
  readonly refused: Readonly<Record<string, number>>;
  /** Answers and live pages cut off because the client stopped reading, by reason ("stalled", "sse-stalled"). */
  readonly dropped?: Readonly<Record<string, number>>;
  readonly sseClients: number;
}

/** The clock readings a request is answered with. */
export interface Clock {
  /** Monotonic ms, the port's clock (the snapshot's times are on it). */
  readonly now: Ms;
  /** Wall-clock ms since the epoch, for process_start_time_seconds only. */
  readonly wall: number;
}
