// Starting a supervisor image: the part of the entry point that is the same in
// production (src/main.ts, on a BunPort) and in the simulator (on a simulated
// OS): parse the command line, read the files it names, make the plan, take
// over a re-exec's handover, open the control socket, start. Everything
// process-specific comes in through `BootEnv` (the arguments, an environment
// snapshot, the user id, the working directory, a file reader) and the port.
import { resolve } from "node:path";
import { parseCommandLine } from "../cli/parse.ts";
import { carryScales, carrySources, type FileReader, loadPlan, readScales, readText, SCALE_ENV, SOURCES_ENV } from "../config/load.ts";
import type { Accounts } from "../config/accounts.ts";
import { DEFAULT_CONFIG } from "../config/settings.ts";
import { parseTokenFile } from "../http/auth.ts";
import type { Plan, Scales, Sources } from "../config/plan.ts";
import { controlPlace, notifySocket } from "../control/path.ts";
import { marshal, unmarshal } from "../core/marshal.ts";
import type { Handover, ServerSpec, Settings } from "../core/types.ts";
import { CARRY_ENV, DROPPED_ENV, LOGS_ENV, NOHUP_ENV, NOTIFY_ENV, NOTIFY_MARKS_ENV, type OsPort, OUTPUT_ENV, PREFLIGHT_ENV } from "../os/port.ts";
import { handoverSpecs } from "../core/step.ts";
import { chunkedEnv, isChunkOf, joinedEnv } from "../text/env-chunks.ts";
import { type Launcher, launcher } from "./launch.ts";
import { withLaunchKeys } from "./launch-key.ts";
import { type Reloaded, type ShellConfig, Supervisor } from "./supervisor.ts";
import { quoted } from "../text/bytes.ts";

/** The environment variable that carries the handover across a re-exec (see reexecCommand). */
export const HANDOVER_ENV = "LAZARUS_HANDOVER";

/** How many live re-execs this process has been through (for the metrics): carried across each exec. */
export const REEXECS_ENV = "LAZARUS_REEXECS";


export interface BootEnv {
  /** The command-line words after the program (options and braces). */
  readonly args: readonly string[];
  /** A snapshot of the process environment (never the live environment object of the process: nothing here changes it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How to run this program again: [runtime, script] or [binary]. */
  readonly self: readonly string[];
  readonly pid: number;
  /** The user id and the system's temporary directory: where the default control socket goes (control/path.ts). */
  readonly uid: number;
  readonly tmpdir: string;
  /** Monotonic ms of this process's start (the same across re-execs); now when absent. */
  readonly startedAt?: number;
  /** The working directory, against which the files of --config/--procfile/--env-file (and lazarus.toml) are read. */
  readonly cwd: string;
  /** How the files are read (before the port exists: a usage error must not touch the OS). */
  readonly files: FileReader;
  /**
   * The user database and lazarus's own uid and gid, for servers with `user` (looked up when a
   * plan is made: at the start and at each reload). Absent: no server may have a `user`.
   */
  readonly accounts?: Accounts;
  /** Which Supervisor to build (the simulator plants faulty shells through this). */
  readonly makeSupervisor?: (port: OsPort, config: ShellConfig) => Supervisor;
}

export type Booted =
  | { readonly kind: "running"; readonly supervisor: Supervisor }
  | { readonly kind: "checked" }
  | { readonly kind: "help" | "version" }
  | { readonly kind: "error"; readonly message: string; readonly status: number };

/** What start-up decided before anything touches the OS: the plan, and the handover of a re-exec. */
export interface Prepared {
  readonly plan: Plan;
  readonly sources: Sources;
  readonly handover: Handover | null;
  /** What the servers inherit: lazarus's environment without its private variables. */
  readonly inherited: Readonly<Record<string, string>>;
  /** The HTTP endpoint's bearer token (read from its file); null: read-only or no endpoint. */
  readonly httpToken: string | null;
  /** A reload: the files the plan came from read again (not the texts a re-exec carried), the plan made from them (with these `ctl scale` counts), or why not. */
  readonly reread: (scales: Scales) => ReturnType<typeof loadPlan>;
  /** `ctl scale`: the plan made again from these texts (not the files) with these counts, or why not. */
  readonly replan: (sources: Sources, scales: Scales) => ReturnType<typeof loadPlan>;
}

/**
 * Start-up as a function of its inputs: the arguments, the environment
 * snapshot and the files (through the reader) → the plan and the handover, or
 * why not. Nothing here touches the OS.
 */
export function prepare(b: BootEnv): Prepared | Exclude<Booted, { kind: "running" }> {
  const parsed = parseCommandLine(b.args, { defaultConfig: DEFAULT_CONFIG });
  if (parsed.kind === "help" || parsed.kind === "version") return { kind: parsed.kind };
  if (parsed.kind === "error") return { kind: "error", message: parsed.message, status: 2 };
  const inherited = childEnvironment(b.env);
  // Servers and settings from files too (--config, --procfile, --env-file, lazarus.toml);
  // after a re-exec, from the texts the previous image used (see load.ts).
  const reexec = parsed.options.reexec;
  const braces = parsed.servers.map((s) => s.argv);
  const load = (carried: string | undefined, scales: Scales) => {
    const r = loadPlan(parsed.options, braces, b.cwd, inherited, b.files, carried, scales, b.accounts);
    return r.ok ? { ...r, plan: withLaunchKeys(r.plan) } : r;
  };
  // After a re-exec, the counts `ctl scale` gave too (those the carried texts still allow).
  const loaded = load(reexec ? joinedEnv(b.env, SOURCES_ENV) : undefined, reexec ? readScales(b.env[SCALE_ENV]) : {});
  if (!loaded.ok) return { kind: "error", message: loaded.error, status: 2 };
  let handover: Handover | null = null;
  if (reexec) {
    const carried = joinedEnv(b.env, HANDOVER_ENV);
    if (carried === undefined) return { kind: "error", message: `--re-exec is for lazarus's own use: no re-exec state found (${HANDOVER_ENV} is not set).`, status: 2 };
    const r = unmarshal(carried, loaded.plan.servers);
    // Unreadable as a whole: supervise nothing we cannot vouch for. The children
    // keep running; say so plainly and stop.
    if (!r.ok) return { kind: "error", message: `${r.error}; the children of the previous image are left running, unsupervised.`, status: 1 };
    handover = r.handover;
  }
  let httpToken: string | null = null;
  const tokenFile = loaded.plan.http?.tokenFile ?? null;
  if (tokenFile !== null) {
    const read = readText(b.files, tokenFile, tokenFile);
    const t = read.ok ? parseTokenFile(read.text, tokenFile) : { ok: false as const, error: `--http-token-file=${read.error}` };
    if (!t.ok) return { kind: "error", message: t.error, status: 2 };
    httpToken = t.token;
  }
  if (b.env[PREFLIGHT_ENV] === "1") return { kind: "checked" };
  const systemd = systemdSettings(b.env, b.pid);
  const plan = systemd === undefined ? loaded.plan : { ...loaded.plan, settings: { ...loaded.plan.settings, systemd } };
  return { plan, sources: loaded.sources, handover, inherited, httpToken, reread: (scales) => load(undefined, scales),
    replan: (sources, scales) => load(carrySources(sources) ?? undefined, scales) };
}

/** Start a supervisor image: prepare, then (only if that went well) make the port, open the control socket and start. */
export async function boot(makePort: () => OsPort, b: BootEnv): Promise<Booted> {
  const p = prepare(b);
  if ("kind" in p) return p;
  const started = await start(makePort(), b, p);
  return typeof started === "string" ? { kind: "error", message: started, status: 2 } : { kind: "running", supervisor: started };
}

/**
 * The thin part that touches the OS: the supervisor on this port, its control
 * socket, and the start. A control socket that cannot be opened at a fresh
 * start is an error (the text) and nothing is started.
 */
async function start(port: OsPort, b: BootEnv, p: Prepared): Promise<Supervisor | string> {
  const { plan, handover } = p;
  // One private sd_notify socket for the servers that speak it (none when none does).
  const notifyPath = plan.servers.some((s) => s.ready?.kind === "notify") ? notifySocket({ env: b.env, uid: b.uid, tmpdir: b.tmpdir }, b.pid) : null;
  // What a re-exec carries: the texts of the files, as the last successful reload read them.
  let sources = p.sources;
  // `ctl scale`'s counts in force, and what can be scaled (from the last plan applied).
  let scales = plan.scales;
  let scalable = plan.scalable;
  let sup: Supervisor | null = null;
  const applied = (r: ReturnType<typeof loadPlan>, saysUnapplied = false): Reloaded => {
    if (!r.ok) return r;
    const systemd = plan.settings.systemd;
    const next = systemd === undefined ? r.plan : { ...r.plan, settings: { ...r.plan.settings, systemd } };
    if (notifyPath === null && next.servers.some((s) => s.ready?.kind === "notify")) {
      return { ok: false, error: "ready = { notify = true } needs lazarus's notification socket, which it opens only when started with such a server: restart lazarus." };
    }
    // What a reload does not move (docs/spec.md, Reload): compared with what this image opened.
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    const unapplied = !saysUnapplied ? [] : [
      ...(same(next.control, plan.control) ? [] : ["control"]),
      ...(same(next.http, plan.http) ? [] : ["http"]),
      ...(same(next.eventLog, plan.eventLog) ? [] : ["event_log"]),
    ];
    return {
      unapplied,
      ok: true, settings: next.settings, servers: next.servers, logFormat: next.logFormat, spawnExtras: withNotifySocket(launcher(next), next.servers, notifyPath),
      commit: () => {
        sources = r.sources;
        scales = r.plan.scales;
        scalable = r.plan.scalable;
      },
    };
  };
  const reload = (): Reloaded => applied(p.reread(scales), true);
  const scale = (name: string, count: number): Reloaded => {
    const base = scalable.get(name);
    if (base === undefined) {
      const known = [...scalable.keys()];
      return { ok: false, error: `no server table or Procfile process named ${quoted(name.slice(0, 64))}${known.length === 0 ? " (servers in braces cannot be scaled)" : ` (one of: ${known.slice(0, 10).join(", ")})`}` };
    }
    const r = p.replan(sources, { ...scales, [name]: { count, base } });
    // (the texts in force are valid: what the count makes is not, a copy's name another server has, say)
    return r.ok ? applied(r) : { ok: false, error: `cannot scale ${quoted(name.slice(0, 64))} to ${count}: ${r.error}` };
  };
  const config: ShellConfig = {
    settings: plan.settings,
    servers: plan.servers,
    logFormat: plan.logFormat,
    pid: b.pid,
    identity: {
      cwd: b.cwd,
      config: p.sources.config === undefined ? null : resolve(b.cwd, p.sources.config.file),
      procfile: p.sources.procfile === undefined ? null : resolve(b.cwd, p.sources.procfile.file),
      startedAt: b.startedAt ?? Number.NaN,
      reexecs: reexecsSoFar(b.env),
    },
    // cwd, environment and output of each server, computed once.
    spawnExtras: withNotifySocket(launcher(plan), plan.servers, notifyPath),
    eventLog: plan.eventLog,
    // The servers the handover is about: as given, or those the supervisor runs now (after a reload, not the plan's).
    reexecCommand: (h, specs) =>
      reexecCommand(h, specs ?? (sup === null ? plan.servers : handoverSpecs(sup.current)), b.args, b.self, p.inherited, sources, scales, reexecsSoFar(b.env), b.env),
    reload,
    scale,
  };
  sup = b.makeSupervisor?.(port, config) ?? new Supervisor(port, config);
  const place = controlPlace(plan.control, { env: b.env, uid: b.uid, tmpdir: b.tmpdir }, b.pid);
  const notes: string[] = [];
  if (place !== null) {
    const problem = await sup.listen(place.path, place.strict);
    if (problem !== null) {
      // At a fresh start nothing has been started yet: a usage-like error (with the way out, unless
      // it says one: a read-only /tmp in a container, say). After a re-exec there are children to
      // look after: go on without the socket, and say so.
      if (handover === null) return problem.includes("--control") ? problem : `${problem} (choose another place with --control=PATH, or none with --control=none)`;
      notes.push(`${problem}; supervising without a control socket.`);
    }
  }
  if (plan.http !== null) {
    const problem = sup.serveHttp(plan.http.address, p.httpToken);
    if (problem !== null) {
      if (handover === null) return problem;
      notes.push(`${problem}; supervising without the HTTP endpoint.`);
    } else {
      notes.push(`HTTP endpoint at ${sup.httpUrl}${p.httpToken === null ? " (read-only)" : ""}.`);
    }
  }
  if (notifyPath !== null) {
    const problem = sup.openNotify(notifyPath);
    if (problem !== null) {
      if (handover === null) return problem;
      notes.push(`${problem}; servers' READY=1 cannot be heard.`);
    }
  }
  sup.start(handover, notes);
  return sup;
}

/** Servers whose readiness is told by sd_notify get the supervisor's socket as NOTIFY_SOCKET (computed once). */
function withNotifySocket(base: Launcher, servers: readonly ServerSpec[], path: string | null): Launcher {
  if (path === null) return base;
  const extras = servers.map((s, i) => {
    const e = base(i);
    return s.ready?.kind === "notify" ? { ...e, env: { ...e.env, NOTIFY_SOCKET: path } } : e;
  });
  return (i) => extras[i] ?? base(i);
}

/**
 * The re-exec: the same runtime, the same script, the same options and servers,
 * plus --re-exec; the handover travels in an environment variable. Why there:
 * it needs no fd kept open across the exec (Bun marks every fd close-on-exec),
 * leaves no file behind to clean up or to be read by another user, and is gone
 * from our environment as soon as the new image reads it (so children never
 * see it). Linux takes at most 128 KiB in one variable (about 2,000 servers at
 * some 60 bytes each, or a config file of that size): a larger handover or text
 * goes in pieces (env-chunks.ts), bounded together by the kernel's limit for an
 * exec's arguments and environment; past that the start-up check fails with
 * E2BIG, said with what is too big, and the old image goes on.
 */
function reexecCommand(
  h: Handover, servers: readonly ServerSpec[], args: readonly string[], self: readonly string[], inherited: Readonly<Record<string, string>>, sources: Sources,
  scales: Scales, reexecs: number, own: Readonly<Record<string, string | undefined>>,
): { argv: readonly string[]; env: Record<string, string> } {
  const env: Record<string, string> = { ...inherited, ...chunkedEnv(HANDOVER_ENV, marshal(h, servers)), [REEXECS_ENV]: String(reexecs + 1) };
  for (const k of SYSTEMD_ENV) {
    const v = own[k];
    if (v !== undefined) env[k] = v;
  }
  const carried = carrySources(sources);
  if (carried !== null) Object.assign(env, chunkedEnv(SOURCES_ENV, carried));
  const scaled = carryScales(scales);
  if (scaled !== null) env[SCALE_ENV] = scaled;
  // Drop an earlier --re-exec among the options only: words inside braces belong to the servers.
  const firstBrace = args.includes("{") ? args.indexOf("{") : args.length;
  const options = args.slice(0, firstBrace).filter((a) => a !== "--re-exec");
  return { argv: [...self, "--re-exec", ...options, ...args.slice(firstBrace)], env };
}

/**
 * systemd's variables for lazarus itself (Type=notify, WatchdogSec=): read
 * into the settings, never seen by a server (a server that speaks sd_notify
 * gets lazarus's own NOTIFY_SOCKET instead), passed to the new image of a re-exec.
 */
export const SYSTEMD_ENV: readonly string[] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/**
 * Under systemd (NOTIFY_SOCKET set): lazarus tells it when it is ready, its
 * status and that it stops; with WATCHDOG_USEC (for this pid, when
 * WATCHDOG_PID says), that it is alive, every half period.
 */
export function systemdSettings(env: Readonly<Record<string, string | undefined>>, pid: number): Settings["systemd"] {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === "") return undefined;
  const usec = Number(env.WATCHDOG_USEC ?? "");
  const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === "" || Number(env.WATCHDOG_PID) === pid;
  return { watchdogMs: Number.isSafeInteger(usec) && usec > 0 && forUs ? Math.max(1, Math.floor(usec / 1000)) : null };
}

/** Private variables that may come in pieces (NAME_2, NAME_3, …: env-chunks.ts). */
const CHUNKED_ENV: readonly string[] = [HANDOVER_ENV, SOURCES_ENV, OUTPUT_ENV, LOGS_ENV, NOTIFY_MARKS_ENV];

/** Variables lazarus passes to itself across a re-exec: never seen by a server. */
export const PRIVATE_ENV: readonly string[] = [HANDOVER_ENV, SOURCES_ENV, SCALE_ENV, PREFLIGHT_ENV, OUTPUT_ENV, DROPPED_ENV, REEXECS_ENV, LOGS_ENV, CARRY_ENV, NOTIFY_ENV, NOTIFY_MARKS_ENV, NOHUP_ENV];

/** The live re-execs before this image (0 for a fresh start). */
function reexecsSoFar(env: Readonly<Record<string, string | undefined>>): number {
  const n = Number(env[REEXECS_ENV] ?? "0");
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** The environment servers inherit: `env` without lazarus's private variables and systemd's for lazarus. */
export function childEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !PRIVATE_ENV.includes(k) && !SYSTEMD_ENV.includes(k) && !isChunkOf(k, CHUNKED_ENV)) out[k] = v;
  return out;
}
