// Everything lazarus will run, from all its sources: the command line (options
// and servers in braces), a config file, a Procfile and a .env file. The result
// is what the policy needs (ServerSpecs and Settings) plus, per server, how the
// shell launches it (cwd, its complete environment, output). Pure: the files'
// texts, the working directory and lazarus's own environment are passed in
// (load.ts reads the files through the caller's reader).
//
// Precedence: an option given on the command line wins over the config file's
// top-level key, which wins over the default. A server's own key wins over both.
// Servers are ordered: config file, then Procfile, then braces.
import { dirname, join, resolve } from "node:path";
import type { ServerSpec, Settings } from "../core/types.ts";
import type { HttpAddress } from "../http/address.ts";
import { logFileName } from "../logs/lines.ts";
import { LOG_DEFAULTS, type LogTarget } from "../logs/target.ts";
import { type Accounts, type Limit, resolveUser, type RunAs } from "./accounts.ts";
import { keyPath, type LogKeys, parseConfig } from "./config.ts";
import { parseEnvFile } from "./dotenv.ts";
import { serverNames } from "./names.ts";
import { parseProcfile } from "./procfile.ts";
import type { LogFormat, Options, OutputMode } from "./settings.ts";
import { keyLine } from "./toml-lines.ts";

export type Source = "braces" | "config" | "procfile";

/** How the shell launches one server, beyond its argv. */
export interface Launch {
  readonly source: Source;
  /** Absolute working directory; null: lazarus's own. */
  readonly cwd: string | null;
  /**
   * The server's complete environment, computed once: lazarus's own (its
   * private variables already taken out), the env file's over it, then the
   * server's own. Servers with nothing of their own share one object. A server
   * with `user` gets that user's HOME, USER, LOGNAME and SHELL over lazarus's own
   * (under the env file's and its own: accounts.ts).
   */
  readonly env: Readonly<Record<string, string>>;
  /** Whom it runs as (`user`, `group`); null: as lazarus (also when that is the user it names). */
  readonly runAs: RunAs | null;
  /** Its resource limits (`limits`), set in its child before its exec; none: lazarus's own. */
  readonly limits: readonly Limit[];
  readonly output: OutputMode;
  /** Its log file (DIR/NAME.log), or null when it has no log directory. */
  readonly log: LogTarget | null;
  /**
   * The pattern of its `ready = { log = "…" }`, or null: its output must then
   * pass through lazarus (piped, even when it is inherited or goes nowhere),
   * which tests each line against it until one matches (OsPort.onOutputMatch).
   */
  readonly ready: string | null;
}

export interface Plan {
  readonly settings: Settings;
  readonly logFormat: LogFormat;
  readonly control: string | null;
  /** The HTTP endpoint: where, and the token file that allows actions (absolute); null: off. */
  readonly http: { readonly address: HttpAddress; readonly tokenFile: string | null } | null;
  readonly reexec: boolean;
  readonly servers: readonly ServerSpec[];
  readonly launches: readonly Launch[];
  /** lazarus's own JSON event log as a file (event_log, --event-log), or null. */
  readonly eventLog: LogTarget | null;
  /**
   * What `ctl scale` can scale: each config table's and Procfile process's
   * name, with the count its file (or --formation) gives it (null: none, one
   * server named NAME).
   */
  readonly scalable: ReadonlyMap<string, number | null>;
  /** The `ctl scale` counts this plan applied (those whose base still matched), by name. */
  readonly scales: Scales;
}

/**
 * A count `ctl scale` gave a table or Procfile process, valid while its file
 * (or --formation) still says `base` (null: it gave none): a reload that
 * changes the file's count drops it, one that leaves it keeps it.
 */
export interface Scale {
  readonly count: number;
  readonly base: number | null;
}

export type Scales = Readonly<Record<string, Scale>>;

export interface SourceText {
  /** The file name as the user gave it (used in messages). */
  readonly file: string;
  readonly text: string;
}

export interface Sources {
  readonly config?: SourceText;
  readonly procfile?: SourceText;
  readonly envFile?: SourceText;
}

export type PlanResult = { readonly ok: true; readonly plan: Plan } | { readonly ok: false; readonly error: string };

/** Where servers of each source write when nothing says otherwise (foreman prefixes; braces keep mds-respawn's inherited output). */
export const DEFAULT_OUTPUT: Readonly<Record<Source, OutputMode>> = { braces: "inherit", config: "prefix", procfile: "prefix" };

export function assemble(
  options: Options, braces: readonly (readonly string[])[], sources: Sources, cwd: string, inherited: Readonly<Record<string, string>> = {},
  scales: Scales = {}, accounts?: Accounts,
): PlanResult {
  const given = (name: string) => options.given.includes(name);
  let settings: Settings = options.settings;
  let logFormat: LogFormat = options.logFormat;
  let control = options.control;
  let http = options.http;
  let httpTokenFile = options.httpTokenFile === null ? null : resolve(cwd, options.httpTokenFile);
  let output = options.output;
  // The log settings of every server (a server's own keys win): a directory already resolved.
  let logs: LogSettings = {
    ...LOG_DEFAULTS,
    dir: options.logDir === null ? null : resolve(cwd, options.logDir),
    maxBytes: options.logMaxBytes ?? LOG_DEFAULTS.maxBytes,
    keep: options.logKeep ?? LOG_DEFAULTS.keep,
  };
  let eventLog = options.eventLog === null ? null : resolve(cwd, options.eventLog);
  const servers: ServerSpec[] = [];
  const launches: Omit<Launch, "env">[] = [];
  const envs: Record<string, string>[] = [];
  /** The variables of each server's `user` (HOME, USER, …), by launch; none for most. */
  const userEnvs: (Readonly<Record<string, string>> | undefined)[] = [];
  const origin = new Map<string, string>();
  // The count of each scalable name: its `ctl scale` count while its base still holds, else its file's.
  const scalable = new Map<string, number | null>();
  const applied: Record<string, Scale> = {};
  const countOf = (name: string, base: number | null): number | null => {
    scalable.set(name, base);
    const s = Object.hasOwn(scales, name) ? scales[name] : undefined;
    if (s === undefined || s.base !== base) return base;
    applied[name] = s;
    return s.count;
  };

  let fileEnv: Readonly<Record<string, string>> = {};
  if (sources.envFile !== undefined) {
    const r = parseEnvFile(sources.envFile.text, sources.envFile.file);
    if (!r.ok) return r;
    fileEnv = r.env;
  }

  if (sources.config !== undefined) {
    const { file, text } = sources.config;
    const r = parseConfig(text, file);
    if (!r.ok) return r;
    const dir = dirname(resolve(cwd, file));
    const s = r.config.settings;
    settings = {
      intervalMs: !given("interval") && s.intervalMs !== undefined ? s.intervalMs : settings.intervalMs,
      stopTimeoutMs: !given("stop-timeout") && s.stopTimeoutMs !== undefined ? s.stopTimeoutMs : settings.stopTimeoutMs,
      alarmMs: !given("alarm") && s.alarmMs !== undefined ? s.alarmMs : settings.alarmMs,
    };
    if (!given("log-format") && s.logFormat !== undefined) logFormat = s.logFormat;
    if (!given("control") && s.control !== undefined) control = s.control === "none" ? "none" : resolve(dir, s.control);
    if (!given("http") && s.http !== undefined) http = s.http;
    if (!given("http-token-file") && s.httpTokenFile !== undefined) httpTokenFile = resolve(dir, s.httpTokenFile);
    if (!given("output") && s.output !== undefined) output = s.output;
    if (s.logs !== undefined) logs = withKeys(logs, s.logs, dir, { dir: given("log-dir"), maxBytes: given("log-max-size"), keep: given("log-keep") });
    if (!given("event-log") && s.eventLog !== undefined) eventLog = resolve(dir, s.eventLog);
    // The file's servers come first, each table's instances in a row (NAME.1 … NAME.N); a
    // dependency on a table with instances is one on each of them.
    const counts = r.config.servers.map((x) => countOf(x.name, x.instances ?? null));
    const copies = r.config.servers.map((x, k) => instanceNames(x.name, counts[k] ?? undefined));
    const taken = new Set(r.config.servers.map((x) => x.name));
    for (const [k, x] of r.config.servers.entries()) {
      const clash = counts[k] === null ? undefined : (copies[k] as string[]).find((n) => taken.has(n));
      if (clash !== undefined) return { ok: false, error: `${file}: servers.${x.name}.instances: its copy ${JSON.stringify(clash)} has the name of another server.` };
    }
    // `user` and `group` looked up once per table (every copy runs as the same user).
    const users: { runAs: RunAs | null; env: Readonly<Record<string, string>> | undefined }[] = [];
    for (const x of r.config.servers) {
      if (x.user === undefined) {
        users.push({ runAs: null, env: undefined });
        continue;
      }
      const u = resolveUser(x.user, x.group, accounts);
      if (!u.ok) {
        const at = ["servers", x.name, u.key];
        const line = keyLine(text, at);
        return { ok: false, error: `${line === null ? file : `${file}:${line}`}: ${keyPath(at)}: ${u.message}` };
      }
      // sd_notify: lazarus's socket is private to its own user (0600, in a 0700 directory: control/path.ts).
      if (x.ready?.kind === "notify" && u.runAs !== null && u.runAs.uid !== accounts?.uid) {
        const at = ["servers", x.name, "ready"];
        const line = keyLine(text, at);
        return {
          ok: false,
          error: `${line === null ? file : `${file}:${line}`}: ${keyPath(at)}: { notify = true } cannot be told by a server run as another user: lazarus's notification socket is private to its own user. Give it another readiness check (tcp, http, cmd or log).`,
        };
      }
      users.push({ runAs: u.runAs, env: Object.keys(u.env).length === 0 ? undefined : u.env });
    }
    const index = new Map<string, number[]>();
    let next = servers.length;
    r.config.servers.forEach((x, k) => index.set(x.name, (copies[k] as string[]).map(() => next++)));
    for (const [k, x] of r.config.servers.entries()) for (const [n, name] of (copies[k] as string[]).entries()) {
      origin.set(name, file);
      const spec: { -readonly [K in keyof ServerSpec]: ServerSpec[K] } = { argv: x.argv, name, label: name };
      if (x.intervalMs !== undefined) spec.intervalMs = x.intervalMs;
      if (x.stopSignal !== undefined) spec.stopSignal = x.stopSignal;
      if (x.stopTimeoutMs !== undefined) spec.stopTimeoutMs = x.stopTimeoutMs;
      if (x.autostart !== undefined) spec.autostart = x.autostart;
      if (x.ready !== undefined) spec.ready = x.ready;
      if (x.readyTimeoutMs !== undefined) spec.readyTimeoutMs = x.readyTimeoutMs;
      if (x.dependsOn !== undefined) spec.dependsOn = x.dependsOn.flatMap((d) => index.get(d) as number[]);
      if (x.health !== undefined) spec.health = x.health;
      if (x.watchdogMs !== undefined) spec.watchdogMs = x.watchdogMs;
      if (x.restart !== undefined) spec.restart = x.restart;
      if (x.backoff !== undefined) spec.backoff = x.backoff;
      if (counts[k] !== null) spec.group = x.name;
      if (x.rolling !== undefined) spec.rolling = x.rolling;
      servers.push(spec);
      const own = x.logs === undefined ? logs : withKeys(logs, x.logs, dir, NOTHING_GIVEN);
      launches.push({
        source: "config", cwd: x.cwd === undefined ? dir : resolve(dir, x.cwd), output: x.output ?? output ?? DEFAULT_OUTPUT.config, log: logOf(own, name),
        ready: x.ready?.kind === "log" ? x.ready.pattern : null, runAs: users[k]?.runAs ?? null, limits: x.limits ?? [],
      });
      userEnvs[launches.length - 1] = users[k]?.env;
      envs.push(counts[k] === null ? { ...x.env } : { ...x.env, [INSTANCE_ENV]: String(n + 1) });
    }
  }

  /** Processes the Procfile has (a formation of 0 for each runs none of them: said so, not "no line"). */
  let procfileProcesses = 0;
  if (sources.procfile !== undefined) {
    const { file, text } = sources.procfile;
    const r = parseProcfile(text, file);
    if (!r.ok) return r;
    procfileProcesses = r.servers.length;
    // foreman runs a Procfile's commands in the Procfile's directory.
    const dir = dirname(resolve(cwd, file));
    const formation = options.formation;
    const own = new Set(r.servers.map((x) => x.name));
    for (const name of Object.keys(formation ?? {})) {
      if (name !== "all" && !own.has(name)) return { ok: false, error: `--formation: ${file} has no process named ${JSON.stringify(name)}.` };
    }
    for (const x of r.servers) {
      const twin = origin.get(x.name);
      if (twin !== undefined) return { ok: false, error: `${file}:${x.line}: duplicate server name ${JSON.stringify(x.name)} (also in ${twin}).` };
      // foreman's formation: NAME=N, else all=N; with a count, N copies NAME.1 … NAME.N (none for 0).
      const given = formation === null ? undefined : Object.hasOwn(formation, x.name) ? formation[x.name] : formation.all;
      const count = countOf(x.name, given ?? null);
      const copies = instanceNames(x.name, count ?? undefined);
      for (const name of copies) {
        const other = origin.get(name) ?? (count !== null && own.has(name) ? file : undefined);
        if (other !== undefined) return { ok: false, error: `${file}:${x.line}: ${x.name}'s copy ${JSON.stringify(name)} has the name of another server (in ${other}).` };
        origin.set(name, file);
        servers.push({ argv: x.argv, name, label: name, ...(count === null ? {} : { group: x.name }) });
        launches.push({ source: "procfile", cwd: dir, output: output ?? DEFAULT_OUTPUT.procfile, log: logOf(logs, name), ready: null, runAs: null, limits: [] });
        envs.push(count === null ? {} : { [INSTANCE_ENV]: String(copies.indexOf(name) + 1) });
      }
    }
  }

  const names = serverNames(braces, origin.keys());
  braces.forEach((argv, i) => {
    servers.push({ argv, name: names[i] as string });
    launches.push({ source: "braces", cwd: null, output: output ?? DEFAULT_OUTPUT.braces, log: logOf(logs, names[i] as string), ready: null, runAs: null, limits: [] });
    envs.push({});
  });

  // The names `ctl scale` holds at 0 copies: the core waits for a scale rather than exit with nothing to run (a
  // dependency on one is none: its dependents were given no copies of it to wait for, above).
  const scaledToZero = Object.keys(applied).filter((name) => applied[name]?.count === 0);
  if (scaledToZero.length > 0) settings = { ...settings, scaledToZero };
  if (servers.length === 0 && scaledToZero.length === 0) {
    const from = sources.config?.file ?? sources.procfile?.file;
    if (sources.config === undefined && sources.procfile !== undefined && procfileProcesses > 0) {
      return { ok: false, error: `--formation runs none of the ${procfileProcesses} process${procfileProcesses === 1 ? "" : "es"} of ${sources.procfile.file} (each is given 0), nothing to run.` };
    }
    const what = sources.config !== undefined ? "no [servers.NAME] table" : "no 'NAME: COMMAND' line";
    return { ok: false, error: from === undefined ? "No programs to spawn, aborting." : `${from}: ${what}, nothing to run.` };
  }

  const eventTarget: LogTarget | null = eventLog === null ? null : { path: eventLog, maxBytes: logs.maxBytes, keep: logs.keep, timestamps: false };
  const twin = eventLog === null ? -1 : launches.findIndex((l) => l.log?.path === eventLog);
  if (twin >= 0) {
    return { ok: false, error: `event_log (or --event-log) ${eventLog} is also the log file of server ${JSON.stringify(servers[twin]?.name)}: give it another name.` };
  }
  if (httpTokenFile !== null && http === null) return { ok: false, error: "--http-token-file (or http_token_file) needs --http (or http): there is no endpoint to allow actions on." };
  const shared = Object.keys(fileEnv).length === 0 ? inherited : { ...inherited, ...fileEnv };
  return {
    ok: true,
    plan: {
      settings, logFormat, control, reexec: options.reexec, servers, eventLog: eventTarget, scalable, scales: applied,
      http: http === null ? null : { address: http, tokenFile: httpTokenFile },
      launches: launches.map((l, i) => {
        const own = envs[i] ?? {};
        // A user's variables go under the env file's and the server's own (as systemd's User= under Environment=).
        const user = userEnvs[i];
        if (user !== undefined) return { ...l, env: { ...inherited, ...user, ...fileEnv, ...own } };
        return { ...l, env: Object.keys(own).length === 0 ? shared : { ...shared, ...own } };
      }),
    },
  };
}

/** The variable that tells each copy of a server with `instances` which one it is (1 … N). */
export const INSTANCE_ENV = "LAZARUS_INSTANCE";

/** The names of a table's servers: NAME alone, or NAME.1 … NAME.N with `instances = N`. */
export function instanceNames(name: string, instances: number | undefined): string[] {
  return instances === undefined ? [name] : Array.from({ length: instances }, (_, k) => `${name}.${k + 1}`);
}

/** Log settings on their way to a server: the directory (absolute) or null for none, and the file's options. */
interface LogSettings {
  readonly dir: string | null;
  readonly maxBytes: number;
  readonly keep: number;
  readonly timestamps: boolean;
}

/** `base` with a table's log keys over it (its log_dir relative to `dir`, unless --log-dir was given for the top level). */
/** Which of the log settings the command line gave (they win over a config file's top-level keys, not over a server's own). */
interface LogGiven {
  readonly dir: boolean;
  readonly maxBytes: boolean;
  readonly keep: boolean;
}
const NOTHING_GIVEN: LogGiven = { dir: false, maxBytes: false, keep: false };

function withKeys(base: LogSettings, keys: LogKeys, dir: string, given: LogGiven): LogSettings {
  return {
    dir: keys.dir !== undefined && !given.dir ? resolve(dir, keys.dir) : base.dir,
    maxBytes: given.maxBytes ? base.maxBytes : keys.maxBytes ?? base.maxBytes,
    keep: given.keep ? base.keep : keys.keep ?? base.keep,
    timestamps: keys.timestamps ?? base.timestamps,
  };
}

/** The log file of server `name` (DIR/NAME.log), or null without a log directory. */
function logOf(s: LogSettings, name: string): LogTarget | null {
  return s.dir === null ? null : { path: join(s.dir, logFileName(name)), maxBytes: s.maxBytes, keep: s.keep, timestamps: s.timestamps };
}
