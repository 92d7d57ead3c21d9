// The config file (lazarus.toml): text → validated data, or one error line
// naming the file, the line when it can be told, and the key. Pure: the file is
// read by the caller (load.ts), and nothing here touches the OS.
//
//   interval = 1                 # top-level keys mirror the command-line options
//   stop_timeout = 10
//   alarm = 0
//   log_format = "text"          # or "json"
//   control = "/run/lazarus.sock"   # or "none"
//   output = "prefix"            # or "inherit", "none": the default of every server below
//   log_dir = "logs"             # each server's output also to logs/NAME.log (relative to this file)
//   log_max_size = "10MiB"       # rotate then (0: never); log_keep = 5 old files; log_timestamps = false
//   event_log = "lazarus.jsonl"  # lazarus's own JSON event log to a file too
//
//   [servers.web]                # one table per server; the key is its name
//   cmd = ["bun", "run", "server.ts"]   # an argv array, or a string split into words
//   cwd = "apps/web"             # relative to the config file's directory
//   env = { PORT = "8080" }      # merged over the inherited environment
//   interval = 1                 # this server's own settings
//   stop_signal = "SIGINT"
//   stop_timeout = 30
//   autostart = false
//   instances = 3                # runs web.1, web.2, web.3, each with LAZARUS_INSTANCE=1, 2, 3
//   rolling = "stop-first"       # a rolling restart stops a copy before its new process starts (default: start-first)
//   output = "inherit"
//   log_dir = "/var/log/web"     # this server's own log settings (log_max_size, log_keep, log_timestamps too)
//   user = "www"                 # run as this user (a name or a uid; lazarus must be root), in its primary group
//   group = "www"                # or this one
//   limits = { nofile = 1024, core = 0 }   # resource limits (setrlimit): soft = hard, or [soft, hard]
//   ready = { tcp = 8080 }       # readiness, ready_timeout, depends_on, health, watchdog,
//   depends_on = ["db"]          # restart and backoff: readiness.ts
import { parseSignal } from "../core/signals.ts";
import { parseSize } from "../logs/size.ts";
import { LOG_KEEP_MAX } from "../logs/target.ts";
import type { Ms, Signal } from "../core/types.ts";
import { type HttpAddress, parseHttpAddress } from "../http/address.ts";
import { LIMIT_RESOURCES, type Limit, type LimitName } from "./accounts.ts";
import { nameProblem } from "./names.ts";
import { checkOrder, READINESS_KEYS, type ReadinessKeys, readReadiness } from "./readiness.ts";
import { type LogFormat, LOG_FORMATS, type OutputMode, OUTPUT_MODES, TIMED } from "./settings.ts";
import { parseToml } from "./toml.ts";
import { keyLine } from "./toml-lines.ts";
import { boolean, command, Invalid, kind, oneOf, path, seconds, table, unknownKeys } from "./values.ts";


/**
 * A server as its config table describes it (paths not yet resolved; the
 * readiness keys as the core wants them, depends_on by name: readiness.ts).
 */
export interface FileServer extends ReadinessKeys {
  readonly name: string;
  readonly argv: readonly string[];
  readonly intervalMs?: Ms;
  readonly stopSignal?: Signal;
  readonly stopTimeoutMs?: Ms;
  readonly autostart?: boolean;
  /** `instances = N`: N copies, named NAME.1 … NAME.N (absent: one, named NAME). */
  readonly instances?: number;
  /** How a rolling restart replaces a copy: its new process first (absent), or its old one stopped first. */
  readonly rolling?: "start-first" | "stop-first";
  /** As written: relative to the config file's directory, or absolute. */
  readonly cwd?: string;
  /** Variables set over the inherited environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly output?: OutputMode;
  /** This server's own log settings (log_dir, log_max_size, log_keep, log_timestamps). */
  readonly logs?: LogKeys;
  /** `user` and `group` as written (a name, or an id): resolved when the plan is made (plan.ts, accounts.ts). */
  readonly user?: string | number;
  readonly group?: string | number;
  /** `limits`: its resource limits, in the order written. */
  readonly limits?: readonly Limit[];
}

/** The log keys of a table (top level or a server's), as written: the directory relative to the config file. */
export interface LogKeys {
  readonly dir?: string;
  readonly maxBytes?: number;
  readonly keep?: number;
  readonly timestamps?: boolean;
}

/** The top-level settings a config file gave (absent: the command line's or the default). */
export interface FileSettings {
  readonly intervalMs?: Ms;
  readonly stopTimeoutMs?: Ms;
  readonly alarmMs?: Ms;
  readonly logFormat?: LogFormat;
  readonly control?: string;
  readonly output?: OutputMode;
  readonly http?: HttpAddress;
  /** As written: relative to the config file's directory, or absolute. */
  readonly httpTokenFile?: string;
  /** log_dir, log_max_size, log_keep, log_timestamps: every server's, unless its own say otherwise. */
  readonly logs?: LogKeys;
  /** event_log: lazarus's own JSON event log to this file too (as written). */
  readonly eventLog?: string;
}

export interface ConfigFile {
  readonly settings: FileSettings;
  readonly servers: readonly FileServer[];
}

export type ConfigResult =
  | { readonly ok: true; readonly config: ConfigFile }
  | { readonly ok: false; readonly error: string };

const LOG_KEYS = ["log_dir", "log_max_size", "log_keep", "log_timestamps"] as const;
const TOP_KEYS = ["interval", "stop_timeout", "alarm", "log_format", "control", "output", "http", "http_token_file", ...LOG_KEYS, "event_log", "servers"] as const;
const SERVER_KEYS = ["cmd", "cwd", "env", "interval", "stop_signal", "stop_timeout", "autostart", "instances", "rolling", "output", ...LOG_KEYS, "user", "group", "limits", ...READINESS_KEYS] as const;

/** How a rolling restart replaces a copy (`rolling`). */
const ROLLING = ["start-first", "stop-first"] as const;

/** The most copies `instances` may ask for. */
export const MAX_INSTANCES = 100;


export function parseConfig(text: string, file: string): ConfigResult {
  const parsed = parseToml(text);
  if (!parsed.ok) {
    const at = parsed.line === null ? file : `${file}:${parsed.line}${parsed.column === null ? "" : `:${parsed.column}`}`;
    return { ok: false, error: `${at}: invalid TOML: ${parsed.message}.` };
  }
  try {
    return { ok: true, config: readConfig(parsed.data) };
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    const line = e.path.length === 0 ? null : keyLine(text, e.path);
    const key = e.path.length === 0 ? "" : `${keyPath(e.path)}${e.verb ? " " : ": "}`;
    return { ok: false, error: `${where(file, line)}: ${key}${e.message}` };
  }
}

function where(file: string, line: number | null): string {
  return line === null ? file : `${file}:${line}`;
}

/** A key path as TOML writes it: servers.web.cmd, servers."my app".env. */
export function keyPath(path: readonly string[]): string {
  return path.map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k))).join(".");
}

function readConfig(data: unknown): ConfigFile {
  const top = table(data, []);
  unknownKeys(top, [], TOP_KEYS);
  const settings: { -readonly [K in keyof FileSettings]: FileSettings[K] } = {};
  if (top.interval !== undefined) settings.intervalMs = seconds(top.interval, ["interval"], TIMED.interval.max);
  if (top.stop_timeout !== undefined) settings.stopTimeoutMs = seconds(top.stop_timeout, ["stop_timeout"], TIMED.stopTimeout.max);
  if (top.alarm !== undefined) settings.alarmMs = seconds(top.alarm, ["alarm"], TIMED.alarm.max);
  if (top.log_format !== undefined) settings.logFormat = oneOf(top.log_format, ["log_format"], LOG_FORMATS);
  if (top.control !== undefined) settings.control = path(top.control, ["control"], "a socket path, or \"none\"");
  if (top.output !== undefined) settings.output = oneOf(top.output, ["output"], OUTPUT_MODES);
  if (top.http !== undefined) settings.http = httpAddress(top.http, ["http"]);
  if (top.http_token_file !== undefined) settings.httpTokenFile = path(top.http_token_file, ["http_token_file"], "a file name");
  const logs = logKeys(top, []);
  if (logs !== null) settings.logs = logs;
  if (top.event_log !== undefined) settings.eventLog = path(top.event_log, ["event_log"], "a file name");
  const servers: FileServer[] = [];
  if (top.servers !== undefined) {
    const all = table(top.servers, ["servers"], "a table of servers, one [servers.NAME] each");
    const names = new Set(Object.keys(all));
    for (const [name, value] of Object.entries(all)) servers.push(readServer(name, value, names));
    checkOrder(servers);
  }
  return { settings, servers };
}

function readServer(name: string, value: unknown, names: ReadonlySet<string>): FileServer {
  const at = ["servers", name];
  const problem = nameProblem(name);
  if (problem !== null) throw new Invalid(at, `${problem}.`);
  const t = table(value, at);
  unknownKeys(t, at, SERVER_KEYS);
  if (t.cmd === undefined) throw new Invalid(at, "no cmd: every server needs a command.");
  const server: {
    name: string; argv: readonly string[]; intervalMs?: Ms; stopSignal?: Signal; stopTimeoutMs?: Ms; autostart?: boolean; instances?: number;
    rolling?: "start-first" | "stop-first"; cwd?: string; env: Record<string, string>; output?: OutputMode; logs?: LogKeys;
    user?: string | number; group?: string | number; limits?: readonly Limit[];
  } & ReadinessKeys = { name, argv: command(t.cmd, [...at, "cmd"]), env: {} };
  if (t.cwd !== undefined) server.cwd = path(t.cwd, [...at, "cwd"], "a directory");
  if (t.env !== undefined) server.env = environment(t.env, [...at, "env"]);
  if (t.interval !== undefined) server.intervalMs = seconds(t.interval, [...at, "interval"], TIMED.interval.max);
  if (t.stop_signal !== undefined) server.stopSignal = signal(t.stop_signal, [...at, "stop_signal"]);
  if (t.stop_timeout !== undefined) server.stopTimeoutMs = seconds(t.stop_timeout, [...at, "stop_timeout"], TIMED.stopTimeout.max);
  if (t.autostart !== undefined) server.autostart = boolean(t.autostart, [...at, "autostart"]);
  if (t.instances !== undefined) {
    const n = t.instances;
    if (typeof n !== "number" || !Number.isInteger(n)) throw new Invalid([...at, "instances"], `expected a whole number of copies from 1 to ${MAX_INSTANCES}, got ${kind(n)}.`);
    if (n < 1 || n > MAX_INSTANCES) throw new Invalid([...at, "instances"], `${n} is out of range (1 to ${MAX_INSTANCES} copies).`);
    server.instances = n;
  }
  if (t.rolling !== undefined) server.rolling = oneOf(t.rolling, [...at, "rolling"], ROLLING);
  if (t.output !== undefined) server.output = oneOf(t.output, [...at, "output"], OUTPUT_MODES);
  const logs = logKeys(t, at);
  if (logs !== null) server.logs = logs;
  if (t.user !== undefined) server.user = account(t.user, [...at, "user"], "user");
  if (t.group !== undefined) {
    if (t.user === undefined) throw new Invalid([...at, "group"], "needs user: a server runs in another group only as another user (user = …).");
    server.group = account(t.group, [...at, "group"], "group");
  }
  if (t.limits !== undefined) server.limits = limits(t.limits, [...at, "limits"]);
  return { ...server, ...readReadiness(t, at, names) };
}

/** The log keys of table `t` (at `at`), or null when it has none. */
function logKeys(t: Record<string, unknown>, at: readonly string[]): LogKeys | null {
  if (LOG_KEYS.every((k) => t[k] === undefined)) return null;
  const logs: { -readonly [K in keyof LogKeys]: LogKeys[K] } = {};
  if (t.log_dir !== undefined) logs.dir = path(t.log_dir, [...at, "log_dir"], "a directory");
  if (t.log_max_size !== undefined) {
    const size = parseSize(t.log_max_size);
    if (!size.ok) throw new Invalid([...at, "log_max_size"], `${size.error}.`);
    logs.maxBytes = size.bytes;
  }
  if (t.log_keep !== undefined) {
    const k = t.log_keep;
    if (typeof k !== "number" || !Number.isInteger(k)) throw new Invalid([...at, "log_keep"], `expected a whole number of files from 0 to ${LOG_KEEP_MAX}, got ${kind(k)}.`);
    if (k < 0 || k > LOG_KEEP_MAX) throw new Invalid([...at, "log_keep"], `${k} is out of range (0 to ${LOG_KEEP_MAX} old files).`);
    logs.keep = k;
  }
  if (t.log_timestamps !== undefined) logs.timestamps = boolean(t.log_timestamps, [...at, "log_timestamps"]);
  return logs;
}

// --- values

function environment(v: unknown, at: readonly string[]): Record<string, string> {
  const t = table(v, at, "a table of variables, like { PORT = \"8080\" }");
  const env: Record<string, string> = {};
  for (const [k, x] of Object.entries(t)) {
    if (k === "" || k.includes("=") || k.includes("\0")) throw new Invalid([...at, k], "invalid variable name (empty, or with '=' or NUL in it).");
    if (typeof x === "string") env[k] = x;
    else if (typeof x === "number" && Number.isFinite(x)) env[k] = String(x);
    else if (typeof x === "boolean") env[k] = String(x);
    else throw new Invalid([...at, k], `expected a string, got ${kind(x)}.`);
    if ((env[k] as string).includes("\0")) throw new Invalid([...at, k], "contains a NUL character.");
  }
  return env;
}


/** The largest id Linux takes (uid_t and gid_t are 32 bits; (uid_t) -1 means "unchanged"). */
const MAX_ID = 0xfffffffe;

/** `user` or `group`: a name (looked up when the plan is made), or an id. */
function account(v: unknown, at: readonly string[], what: "user" | "group"): string | number {
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0 || v > MAX_ID) throw new Invalid(at, `expected a ${what} name or id (0 to ${MAX_ID}), got ${kind(v)}.`);
    return v;
  }
  if (typeof v !== "string") throw new Invalid(at, `expected a ${what} name or id, got ${kind(v)}.`);
  if (v === "") throw new Invalid(at, `expected a ${what} name or id, got an empty string.`);
  if (v.includes("\0")) throw new Invalid(at, "contains a NUL character.");
  return v;
}

/** The largest limit value taken (beyond it a number is not exact; "infinity" says unlimited). */
const MAX_LIMIT = Number.MAX_SAFE_INTEGER;

/** `limits = { nofile = 1024, core = 0, nproc = [100, 200] }`: each a value (soft = hard), or [soft, hard]; "infinity" for none. */
function limits(v: unknown, at: readonly string[]): Limit[] {
  const names = Object.keys(LIMIT_RESOURCES);
  const t = table(v, at, "a table of resource limits, like { nofile = 1024 }");
  unknownKeys(t, at, names);
  return Object.entries(t).map(([name, x]) => {
    const here = [...at, name];
    const pair = Array.isArray(x) ? x : [x, x];
    if (pair.length !== 2) throw new Invalid(here, `expected a value or [soft, hard], got an array of ${pair.length}.`);
    const soft = limitValue(pair[0], here);
    const hard = limitValue(pair[1], here);
    // (null is unlimited: above every number)
    if (hard !== null && (soft === null || soft > hard)) throw new Invalid(here, `the soft limit ${soft ?? "infinity"} is above the hard limit ${hard}.`);
    return { name: name as LimitName, soft, hard };
  });
}

function limitValue(v: unknown, at: readonly string[]): number | null {
  if (v === "infinity") return null;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Invalid(at, `expected a whole number or "infinity", got ${kind(v)}.`);
  if (v < 0 || v > MAX_LIMIT) throw new Invalid(at, `${v} is out of range (0 to ${MAX_LIMIT}, or "infinity").`);
  return v;
}

function httpAddress(v: unknown, at: readonly string[]): HttpAddress {
  if (typeof v !== "string" && typeof v !== "number") throw new Invalid(at, `expected "ADDR:PORT" or a port, got ${kind(v)}.`);
  const a = parseHttpAddress(String(v));
  if (typeof a === "string") throw new Invalid(at, `${a.replace(/^--http=/, "")}.`);
  return a;
}

function signal(v: unknown, at: readonly string[]): Signal {
  const text = typeof v === "number" && Number.isInteger(v) ? String(v) : typeof v === "string" ? v : null;
  if (text === null) throw new Invalid(at, `expected a signal name like "SIGINT" or a number, got ${kind(v)}.`);
  const n = parseSignal(text);
  if (n === null) throw new Invalid(at, `unknown signal ${JSON.stringify(text)}.`);
  return n;
}








