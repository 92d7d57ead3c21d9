// The vocabulary of settings, in one place: what the command line and the
// config file both speak of (log formats, output modes, the ranges and
// defaults of the timed settings), and the parsed command line itself. Pure.
import type { Ms, RestartPolicy, Settings } from "../core/types.ts";
import type { HttpAddress } from "../http/address.ts";

export type LogFormat = "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/**
 * How a server's stdout and stderr reach the terminal: lazarus's own (inherited),
 * prefixed line by line, or not at all ("none": only its log file has them, if it has one).
 */
export type OutputMode = "inherit" | "prefix" | "none";
export const OUTPUT_MODES: readonly OutputMode[] = ["inherit", "prefix", "none"];

/** The timed settings: their names on the command line (--stop-timeout) and in a config file (stop_timeout), and their ranges in seconds. */
export const TIMED = {
  interval: { option: "interval", key: "interval", max: 60 },
  stopTimeout: { option: "stop-timeout", key: "stop_timeout", max: 3600 },
  alarm: { option: "alarm", key: "alarm", max: 60 },
} as const;

/** How a server's ends lead to a new start (`restart = ...`; the core's RestartPolicy). */
export const RESTART_POLICIES: readonly RestartPolicy[] = ["on-failure", "always", "never"];

/**
 * Readiness, health, watchdog and backoff (issue 14): the longest time any of
 * them may be given, in seconds, and the defaults of the fields left out.
 */
export const PROBE_MAX_S = 3600;
/** The most retries a health check or a backoff may be given. */
export const RETRIES_MAX = 1000;
export const HEALTH_DEFAULTS = { intervalMs: 5000, timeoutMs: 2000, retries: 3 } as const;
export const BACKOFF_DEFAULTS = { initialMs: 500, maxMs: 30_000, retries: 5 } as const;

export const DEFAULTS: Settings = { intervalMs: 5000, stopTimeoutMs: 10_000, alarmMs: 0 };

/** The config file looked for in the working directory when no server and no --config/--procfile is given. */
export const DEFAULT_CONFIG = "lazarus.toml";

/**
 * One rule for seconds, wherever they are written: a finite, non-negative
 * number (not -0) of at most `max` seconds, kept to the millisecond. Null when
 * it is not one.
 */
export function secondsToMs(s: number, max: number): Ms | null {
  if (!Number.isFinite(s) || s < 0 || Object.is(s, -0) || s > max) return null;
  return Math.round(s * 1000);
}

/** The command line, parsed (src/cli/parse.ts). */
export interface Options {
  readonly settings: Settings;
  readonly reexec: boolean;
  /** --control=PATH, "none", or null for the default place. */
  readonly control: string | null;
  readonly logFormat: LogFormat;
  /** --config=FILE: servers and settings from a TOML file (or lazarus.toml, found by the caller). */
  readonly config: string | null;
  /** --procfile=FILE: servers from a Procfile. */
  readonly procfile: string | null;
  /** --env-file=FILE: a .env file loaded into every server's environment. */
  readonly envFile: string | null;
  /** --output: how servers' output is wired unless their own setting says; null: by where they come from. */
  readonly output: OutputMode | null;
  /** --http=ADDR:PORT: serve metrics, health and the status page there; null: off. */
  readonly http: HttpAddress | null;
  /** --http-token-file=FILE: the bearer token that allows actions over HTTP; null: read-only. */
  readonly httpTokenFile: string | null;
  /** --log-dir=DIR: every server's output also goes to DIR/NAME.log (relative to the working directory); null: no log files. */
  readonly logDir: string | null;
  /** --log-max-size=SIZE, --log-keep=N: every log file's rotation, over the config file's top-level keys; null: theirs, or the default. */
  readonly logMaxBytes: number | null;
  readonly logKeep: number | null;
  /** --event-log=FILE: lazarus's own JSON event log also goes to FILE; null: not to a file. */
  readonly eventLog: string | null;
  /**
   * --formation=web=2,worker=1 (foreman's): how many copies of each Procfile
   * process (all=N: of those not named), NAME.1 … NAME.N; null: one of each, named NAME.
   */
  readonly formation: Readonly<Record<string, number>> | null;
  /** The valued options given on the command line, by name ("interval", ...): they win over a config file. */
  readonly given: readonly string[];
}
