// The command line of docs/spec.md, parsed without side effects.
//
//   lazarus [OPTIONS] { CMD [ARG...] } [{ CMD [ARG...] } ...]
//
// Options come before the first "{". Everything inside a server's braces is its
// own, verbatim, including words that look like options; inner braces nest and
// are passed through as ordinary arguments.
import { MAX_INSTANCES } from "../config/config.ts";
import { serverNames } from "../config/names.ts";
import { type HttpAddress, parseHttpAddress } from "../http/address.ts";
import { DEFAULTS, type LogFormat, type Options, type OutputMode, secondsToMs, TIMED } from "../config/settings.ts";
import type { ServerSpec } from "../core/types.ts";
import { parseSize } from "../logs/size.ts";
import { LOG_KEEP_MAX } from "../logs/target.ts";


export type Parsed =
  | { readonly kind: "run"; readonly options: Options; readonly servers: readonly ServerSpec[] }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "error"; readonly message: string };


export const USAGE = `usage: lazarus [OPTIONS] { CMD [ARG...] } [{ CMD [ARG...] } ...]
       lazarus [OPTIONS] --config=FILE | --procfile=FILE [{ CMD [ARG...] } ...]
       lazarus [OPTIONS]            (with a lazarus.toml in the working directory)

Starts every CMD, respawns the ones that crash, buries the ones that crash
faster than --interval until SIGUSR2 revives them, and lets the ones that exit
cleanly (status 0, SIGTERM, SIGINT) rest.

options (before the first '{'):
  --interval=SECONDS      do-not-resuscitate period, 0 to 60 (default 5)
  --stop-timeout=SECONDS  shutdown wait between SIGTERM and SIGKILL, 0 to 3600 (default 10)
  --alarm=SECONDS         abort (SIGKILL everything, exit 142) after this long, 0 to 60 (0: never)
  --log-format=FORMAT     text (default) or json: one JSON object per line on stderr
  --control=PATH          control socket path, or 'none' (default: one socket per supervisor,
                          $XDG_RUNTIME_DIR/lazarus/PID.sock, or /tmp/lazarus-UID/PID.sock)
  --config=FILE           servers and settings from a TOML file (default: ./lazarus.toml
                          when no server is given in braces)
  --procfile=FILE         servers from a Procfile (NAME: COMMAND lines, run by /bin/sh)
  --env-file=FILE         load a .env file (KEY=value lines) into every server's environment
  --http=[ADDR:]PORT      serve /metrics, /healthz, /livez, /api/status and a live status page
                          (loopback unless an address is given; off by default)
  --http-token-file=FILE  a bearer token that allows actions from the page (restart, stop, ...)
  --output=MODE           inherit: servers write to lazarus's stdout/stderr directly (default
                          for braces); prefix: line by line, prefixed with the server's name
                          (default for --config and --procfile servers); none: not to the terminal
  --log-dir=DIR           also append each server's output to DIR/NAME.log (rotated at 10 MiB,
                          5 old files kept; log_max_size, log_keep in a config file)
  --log-max-size=SIZE     rotate log files at SIZE (bytes, or e.g. 50MiB; 0: never)
  --log-keep=N            old log files kept (0 to 1000)
  --event-log=FILE        also append lazarus's own JSON event log to FILE (rotated the same way)
  --formation=web=2,...   copies of each Procfile process (foreman's): NAME.1 ... NAME.N, each
                          with LAZARUS_INSTANCE=1 ... N; all=N for the processes not named
  --help, --version

signals: SIGUSR2 revive buried servers; SIGTERM/SIGINT/SIGHUP shut down;
         SIGQUIT print state; SIGUSR1 re-exec lazarus itself, keeping every child.

The log (stderr) never holds lazarus up: lines a stalled reader does not take are
dropped and counted (beyond 64 KiB waiting), and one line says how many once it reads again.

lazarus ctl [--control=PATH | --pid=PID] [--json] COMMAND...
                        talk to a running lazarus: by default the one started in this
                        directory, or the only one running; 'ctl ls' lists them all
lazarus replay FILE     check a JSON event log against the policy
`;

type Setter = (value: string, o: MutableOptions) => string | null;
interface MutableOptions {
  settings: { intervalMs: number; stopTimeoutMs: number; alarmMs: number };
  reexec: boolean;
  control: string | null;
  logFormat: LogFormat;
  config: string | null;
  procfile: string | null;
  envFile: string | null;
  output: OutputMode | null;
  http: HttpAddress | null;
  httpTokenFile: string | null;
  logDir: string | null;
  logMaxBytes: number | null;
  logKeep: number | null;
  eventLog: string | null;
  formation: Record<string, number> | null;
}

/** Decimal seconds "1", "0.25", ".5" within [0, max] → whole milliseconds; null if malformed. */
export function parseSeconds(text: string, max: number): number | null {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return null;
  return secondsToMs(Number(text), max);
}

function seconds(name: string, max: number, set: (ms: number, o: MutableOptions) => void): Setter {
  return (value, o) => {
    const ms = parseSeconds(value, max);
    if (ms === null) return `Invalid value for --${name}: ${value} (seconds from 0 to ${max}).`;
    set(ms, o);
    return null;
  };
}

/** Options that take a value, as --name=value. */
const VALUED: Readonly<Record<string, Setter>> = {
  [TIMED.interval.option]: seconds(TIMED.interval.option, TIMED.interval.max, (ms, o) => { o.settings.intervalMs = ms; }),
  [TIMED.alarm.option]: seconds(TIMED.alarm.option, TIMED.alarm.max, (ms, o) => { o.settings.alarmMs = ms; }),
  [TIMED.stopTimeout.option]: seconds(TIMED.stopTimeout.option, TIMED.stopTimeout.max, (ms, o) => { o.settings.stopTimeoutMs = ms; }),
  control: (value, o) => {
    if (value === "") return "Invalid value for --control: empty (a socket path, or 'none').";
    o.control = value;
    return null;
  },
  "log-format": (value, o) => {
    if (value !== "text" && value !== "json") return `Invalid value for --log-format: ${value} (text or json).`;
    o.logFormat = value;
    return null;
  },
  config: file("config", (v, o) => { o.config = v; }),
  procfile: file("procfile", (v, o) => { o.procfile = v; }),
  "env-file": file("env-file", (v, o) => { o.envFile = v; }),
  http: (value, o) => {
    const a = parseHttpAddress(value);
    if (typeof a === "string") return `Invalid value for ${a}.`;
    o.http = a;
    return null;
  },
  "http-token-file": file("http-token-file", (v, o) => { o.httpTokenFile = v; }),
  output: (value, o) => {
    if (value !== "inherit" && value !== "prefix" && value !== "none") return `Invalid value for --output: ${value} (inherit, prefix or none).`;
    o.output = value;
    return null;
  },
  "log-dir": (value, o) => {
    if (value === "") return "Invalid value for --log-dir: empty (a directory).";
    o.logDir = value;
    return null;
  },
  "log-max-size": (value, o) => {
    const size = parseSize(value);
    if (!size.ok) return `Invalid value for --log-max-size: ${size.error}.`;
    o.logMaxBytes = size.bytes;
    return null;
  },
  "log-keep": (value, o) => {
    if (!/^\d+$/.test(value) || Number(value) > LOG_KEEP_MAX) return `Invalid value for --log-keep: ${value} (a whole number of old files from 0 to ${LOG_KEEP_MAX}).`;
    o.logKeep = Number(value);
    return null;
  },
  "event-log": file("event-log", (v, o) => { o.eventLog = v; }),
  formation: (value, o) => {
    const f = parseFormation(value);
    if (typeof f === "string") return `Invalid value for --formation: ${f} (NAME=N,NAME=N,…; N from 0 to ${MAX_INSTANCES}; all=N for every other process).`;
    o.formation = f;
    return null;
  },
};

/** foreman's formation, "web=2,worker=1" (all=N: every process not named) → counts by name, or what is wrong. */
export function parseFormation(value: string): Record<string, number> | string {
  const out: Record<string, number> = {};
  if (value === "") return "empty";
  for (const part of value.split(",")) {
    const m = /^([^=\s,]+)=(\d{1,3})$/.exec(part);
    if (m === null) return `${JSON.stringify(part.slice(0, 40))} is not NAME=N`;
    const [, name, n] = m as unknown as [string, string, string];
    if (Object.hasOwn(out, name)) return `${JSON.stringify(name.slice(0, 40))} is given twice`;
    if (Number(n) > MAX_INSTANCES) return `${n} copies of ${JSON.stringify(name.slice(0, 40))} are too many`;
    out[name] = Number(n);
  }
  return out;
}

function file(name: string, set: (value: string, o: MutableOptions) => void): Setter {
  return (value, o) => {
    if (value === "") return `Invalid value for --${name}: empty (a file name).`;
    set(value, o);
    return null;
  };
}

export interface ParseContext {
  /** The config file to use when neither servers in braces nor --config/--procfile are given (lazarus.toml, if it exists). */
  readonly defaultConfig?: string | null;
}

export function parseCommandLine(args: readonly string[], context: ParseContext = {}): Parsed {
  const o: MutableOptions = {
    settings: { ...DEFAULTS }, reexec: false, control: null, logFormat: "text", config: null, procfile: null, envFile: null, output: null,
    http: null, httpTokenFile: null, logDir: null, logMaxBytes: null, logKeep: null, eventLog: null, formation: null,
  };
  const given: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "{" || a === "}") break;
    if (a === "--help" || a === "-h") return { kind: "help" };
    if (a === "--version") return { kind: "version" };
    if (a === "--re-exec") { o.reexec = true; continue; }
    const eq = a.indexOf("=");
    if (!a.startsWith("-")) return error(`Unexpected argument outside braces: ${a}`);
    const name = a.slice(2, eq);
    const setter = a.startsWith("--") && eq > 2 && Object.hasOwn(VALUED, name) ? VALUED[name] : undefined;
    if (setter === undefined) return error(unrecognised(a));
    // Given twice, one of them would be silently lost: refused, as an unknown option is.
    if (given.includes(name)) return error(`Repeated option: ${a} (--${name} was given already).`);
    const problem = setter(a.slice(eq + 1), o);
    if (problem !== null) return error(problem);
    given.push(name);
  }
  if (o.formation !== null && o.procfile === null) return error("--formation is for the processes of a Procfile: give --procfile=FILE too.");
  const rest = args.slice(i);
  let servers: string[][];
  if (rest.length === 0 && (o.config !== null || o.procfile !== null || (context.defaultConfig ?? null) !== null)) {
    // No braces: the servers come from files (read by the caller).
    if (o.config === null && o.procfile === null) o.config = context.defaultConfig ?? null;
    servers = [];
  } else {
    const parsed = parseServers(rest);
    if (typeof parsed === "string") return error(parsed);
    servers = parsed;
  }
  const names = serverNames(servers);
  return {
    kind: "run",
    options: {
      settings: o.settings, reexec: o.reexec, control: o.control, logFormat: o.logFormat,
      config: o.config, procfile: o.procfile, envFile: o.envFile, output: o.output, http: o.http, httpTokenFile: o.httpTokenFile,
      logDir: o.logDir, logMaxBytes: o.logMaxBytes, logKeep: o.logKeep, eventLog: o.eventLog, formation: o.formation, given,
    },
    servers: servers.map((argv, k) => ({ argv, name: names[k] as string })),
  };
}

/** The braces part: a list of argv arrays, or the mds-respawn error text. */
export function parseServers(words: readonly string[]): string[][] | string {
  const servers: string[][] = [];
  let current: string[] | null = null;
  let depth = 0;
  for (const w of words) {
    if (current === null) {
      if (w === "{") { current = []; depth = 1; continue; }
      if (w === "}") return "Terminating non-started command, aborting.";
      return `Unexpected argument outside braces: ${w}`;
    }
    if (w === "{") depth++;
    if (w === "}" && --depth === 0) {
      if (current.length === 0) return "Zero argument command specified, aborting.";
      servers.push(current);
      current = null;
      continue;
    }
    current.push(w);
  }
  if (current !== null) return "Non-terminated command specified, aborting.";
  if (servers.length === 0) return "No programs to spawn, aborting.";
  return servers;
}

/**
 * mds-respawn's text for an unknown option, whose hint fits a word that names
 * an option (`--interval 3`, `--intervall=3`); a word that names none (`--`,
 * `--=x`, `-v`) is told what options look like instead.
 */
function unrecognised(a: string): string {
  if (a.startsWith("--") && a.length > 2 && a[2] !== "=") return `Unrecognised option: ${a}, did you forget '='?`;
  if (a === "--") return "Unrecognised option: -- (options come before the first '{', as --NAME=VALUE; a server's words go between braces).";
  return `Unrecognised option: ${a} (options are written --NAME=VALUE).`;
}

function error(message: string): Parsed {
  return { kind: "error", message };
}
