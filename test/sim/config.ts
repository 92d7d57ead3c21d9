// What the simulated supervisor's files say, as the world writes and edits
// them (issue 15): which of the scenario's config-file and Procfile servers are
// in them, each one's edited settings and `instances`, and the `ctl scale`
// counts in force. From it come the files' texts (what the supervisor reads)
// and, independently of the loader and the core, the servers the reference
// model runs (names, order, dependencies, a fingerprint of each launch).
import { signalName, SIGHUP, SIGINT, SIGQUIT, SIGTERM } from "../../src/core/signals.ts";
import type { ProbeSpec, ReadySpec, ServerSpec } from "../../src/core/types.ts";
import type { SimEdit, SimScenario } from "./scenario.ts";

/** One server's settings as the files say them now (braces servers never change). */
export interface SimEntry {
  readonly present: boolean;
  /** An extra word of its command (`v1`, `v2`, …; 0: none). */
  readonly version: number;
  readonly env: Readonly<Record<string, string>>;
  readonly stopSignal: number | null;
  readonly stopTimeoutMs: number | null;
  readonly autostart: boolean;
  /** `instances` in its table (config servers only; null: no key). */
  readonly instances: number | null;
  /** `rolling` in its table (config servers only; null: no key, start-first). */
  readonly rolling: "start-first" | "stop-first" | null;
}

/** A `ctl scale` count, and the file's count (null: none) when it was given: it holds while the file says that. */
export interface SimScale { readonly count: number; readonly base: number | null }

export interface SimConfig {
  readonly entries: readonly SimEntry[];
  /** By table or Procfile process name. */
  readonly scales: ReadonlyMap<string, SimScale>;
}

/** A table that parses but does not validate (an unknown key), and a Procfile line that is no Procfile line. */
export const BROKEN_TABLE = `[servers.zz]\ncmd = ["srv0"]\nintervall = 3\n`;
export const BROKEN_PROCFILE_LINE = "not a procfile line\n";

const SIGNALS = [null, SIGTERM, SIGINT, SIGQUIT, SIGHUP] as const;
const TIMEOUTS = [null, 0, 50, 1000] as const;
const COUNTS = [null, 1, 2, 3] as const;
const ROLLINGS = [null, "stop-first", "start-first", "stop-first"] as const;

/** The table or Procfile process name of scenario server i (braces: its name, argv[0]). */
export function tableName(sc: SimScenario, i: number): string {
  const s = sc.servers[i]!;
  return s.source === "config" ? `s${i}` : s.source === "procfile" ? `p${i}` : `srv${i}`;
}

/** Whether server i may be given copies (`instances`, `ctl scale`): a config table or a Procfile process (with a readiness check or not). */
export function scalable(sc: SimScenario, i: number): boolean {
  const s = sc.servers[i]!;
  return s.source === "procfile" || s.source === "config";
}

/** The files as the supervisor is started with them: a file's latent servers are not in it (but never all of them). */
export function initialConfig(sc: SimScenario): SimConfig {
  const firstOf = new Map<string, number>();
  sc.servers.forEach((s, i) => { if (!firstOf.has(s.source)) firstOf.set(s.source, i); });
  const entries = sc.servers.map((s, i): SimEntry => ({
    present: s.source === "braces" || s.latent !== true || firstOf.get(s.source) === i,
    version: 0,
    env: s.own.env,
    stopSignal: s.own.stopSignal,
    stopTimeoutMs: s.own.stopTimeoutMs,
    autostart: s.own.autostart,
    instances: s.source === "config" && scalable(sc, i) ? s.instances ?? null : null,
    rolling: s.source === "config" ? s.rolling ?? null : null,
  }));
  return { entries, scales: new Map() };
}

/** The copies a server runs now: its `ctl scale` count while the file's count is the one it was given against, else the file's. */
export function countOf(c: SimConfig, sc: SimScenario, i: number): number | null {
  const e = c.entries[i]!;
  const s = c.scales.get(tableName(sc, i));
  return s !== undefined && s.base === e.instances ? s.count : e.instances;
}

/** The tables a `ctl scale NAME 0` holds at 0 copies (its count still applies: the table is in the files, its count unchanged). */
export function zeroOf(c: SimConfig, sc: SimScenario): string[] {
  return c.entries.flatMap((e, i) => (e.present && scalable(sc, i) && countOf(c, sc, i) === 0 && c.scales.has(tableName(sc, i)) ? [tableName(sc, i)] : []));
}

/** The files edited (edits that do not apply to a server are skipped). */
export function edited(c: SimConfig, sc: SimScenario, edits: readonly SimEdit[]): SimConfig {
  const entries = [...c.entries];
  const n = sc.servers.length;
  for (const ed of edits) {
    const i = ed.k % n;
    const s = sc.servers[i]!;
    const e = entries[i]!;
    if (s.source === "braces") continue;
    const config = s.source === "config";
    switch (ed.what) {
      case "argv":
        entries[i] = { ...e, version: e.version + 1 };
        break;
      case "env":
        if (config) entries[i] = { ...e, env: { ...e.env, V: String(ed.n) } };
        break;
      case "stop-signal":
        if (config) entries[i] = { ...e, stopSignal: SIGNALS[ed.n % SIGNALS.length]! };
        break;
      case "stop-timeout":
        if (config) entries[i] = { ...e, stopTimeoutMs: TIMEOUTS[ed.n % TIMEOUTS.length]! };
        break;
      case "autostart":
        if (config) entries[i] = { ...e, autostart: !e.autostart };
        break;
      case "instances":
        if (config && scalable(sc, i)) entries[i] = { ...e, instances: COUNTS[ed.n % COUNTS.length]! };
        break;
      case "rolling":
        if (config) entries[i] = { ...e, rolling: ROLLINGS[ed.n % ROLLINGS.length]! };
        break;
      case "toggle": {
        // (a file keeps at least one server)
        const others = entries.some((x, j) => j !== i && x.present && sc.servers[j]!.source === s.source);
        if (!e.present || others) entries[i] = { ...e, present: !e.present };
        break;
      }
    }
  }
  return { entries, scales: keptScales(c.scales, entries, sc) };
}

/** `ctl scale NAME N` as the world expects it: null when it is refused (no such table or process, or one the simulator does not scale). */
export function scaled(c: SimConfig, sc: SimScenario, i: number, count: number): SimConfig | null {
  const s = sc.servers[i]!;
  if (s.source === "braces" || !c.entries[i]!.present || !scalable(sc, i)) return null;
  const scales = new Map(c.scales);
  scales.set(tableName(sc, i), { count, base: c.entries[i]!.instances });
  return { entries: c.entries, scales };
}

/** The counts a reload keeps: those of servers still in the files whose count there is still the one they were given against. */
function keptScales(scales: ReadonlyMap<string, SimScale>, entries: readonly SimEntry[], sc: SimScenario): Map<string, SimScale> {
  const out = new Map<string, SimScale>();
  entries.forEach((e, i) => {
    const s = scales.get(tableName(sc, i));
    if (s !== undefined && e.present && s.base === e.instances) out.set(tableName(sc, i), s);
  });
  return out;
}

/** The names of server i's copies now ([] when it is not in the files). */
export function copyNames(c: SimConfig, sc: SimScenario, i: number): string[] {
  if (!c.entries[i]!.present) return [];
  const name = tableName(sc, i);
  const n = countOf(c, sc, i);
  return n === null ? [name] : Array.from({ length: n }, (_, k) => `${name}.${k + 1}`);
}

/** Server i's command as written (its scenario program `srvI`, then its options, then its version word). */
export function argvOf(c: SimConfig, sc: SimScenario, i: number): string[] {
  const e = c.entries[i]!;
  return [`srv${i}`, ...(sc.servers[i]!.initialSpawn ? ["--initial-spawn"] : []), ...(e.version > 0 ? [`v${e.version}`] : [])];
}

/** Servers are ordered: config file, Procfile, braces (docs/spec.md, "Command line"); a table's copies in a row. */
export function supervisorOrder(sc: SimScenario): number[] {
  return (["config", "procfile", "braces"] as const).flatMap((src) => sc.servers.flatMap((s, i) => (s.source === src ? [i] : [])));
}

/** What server i depends on: scenario servers of the config file before it that are in the file (acyclic). */
export function depsOf(c: SimConfig, sc: SimScenario, i: number): number[] {
  const p = sc.servers[i]!.policy;
  if (p === null || sc.servers[i]!.source !== "config") return [];
  const n = sc.servers.length;
  return [...new Set(p.dependsOn.map((d) => d % n))].filter((d) => d < i && sc.servers[d]!.source === "config" && c.entries[d]!.present).sort((a, b) => a - b);
}

/** A TOML basic string. */
const q = (s: string) => JSON.stringify(s).replace(/\u007f/g, "\\u007F");

/** The texts of the config file (null: none) and the Procfile (null: none); `broken` adds what makes one of them not validate. */
export function filesOf(c: SimConfig, sc: SimScenario, broken = false): { config: string | null; procfile: string | null } {
  const config: string[] = [];
  if (sc.settingsIn === "config") config.push(`interval = ${sc.intervalMs / 1000}`, `stop_timeout = ${sc.stopTimeoutMs / 1000}`, `alarm = ${sc.alarmMs / 1000}`);
  const procfile: string[] = [];
  let hasConfig = false;
  let hasProcfile = false;
  sc.servers.forEach((s, i) => {
    if (s.source === "config") hasConfig = true;
    if (s.source === "procfile") hasProcfile = true;
    const e = c.entries[i]!;
    if (!e.present) return;
    if (s.source === "procfile") {
      procfile.push(`p${i}: ${argvOf(c, sc, i).join(" ")}`);
      return;
    }
    if (s.source !== "config") return;
    config.push(`[servers.s${i}]`, `cmd = [${argvOf(c, sc, i).map(q).join(", ")}]`);
    if (s.own.intervalMs !== null) config.push(`interval = ${s.own.intervalMs / 1000}`);
    if (e.stopSignal !== null) config.push(`stop_signal = ${q(signalName(e.stopSignal))}`);
    if (e.stopTimeoutMs !== null) config.push(`stop_timeout = ${e.stopTimeoutMs / 1000}`);
    if (!e.autostart) config.push("autostart = false");
    if (e.instances !== null) config.push(`instances = ${e.instances}`);
    if (e.rolling !== null) config.push(`rolling = ${q(e.rolling)}`);
    const env = Object.entries(e.env);
    if (env.length > 0) config.push(`env = { ${env.map(([k, v]) => `${k} = ${q(v)}`).join(", ")} }`);
    config.push(...policyKeys(policyOf(c, sc, i, (d) => [`s${d}`])));
  });
  let configText = hasConfig || sc.settingsIn === "config" ? `${config.join("\n")}\n` : null;
  let procfileText = hasProcfile ? `${procfile.join("\n")}\n` : null;
  if (broken) {
    if (configText !== null) configText += `\n${BROKEN_TABLE}`;
    else if (procfileText !== null) procfileText += BROKEN_PROCFILE_LINE;
  }
  return { config: configText, procfile: procfileText };
}

/**
 * Issue 14's settings of config server i, as a config file may give them:
 * depends_on (named by `dep`), ready_timeout only with ready, a watchdog only
 * with ready = notify, a health timeout no longer than its interval, a
 * backoff's initial delay no longer than its max, no backoff with restart = "never".
 */
export function policyOf<D>(c: SimConfig, sc: SimScenario, i: number, dep: (d: number) => D[]): Partial<Omit<ServerSpec, "dependsOn">> & { dependsOn?: D[] } {
  const p = sc.servers[i]!.policy;
  if (p === null || sc.servers[i]!.source !== "config") return {};
  const deps = depsOf(c, sc, i).flatMap(dep);
  const health = p.health === null ? null : { ...p.health, timeoutMs: Math.min(p.health.timeoutMs, p.health.intervalMs) };
  const backoff = p.backoff === null || p.restart === "never" ? null : { ...p.backoff, maxMs: Math.max(p.backoff.maxMs, p.backoff.initialMs) };
  return {
    ...(p.ready === null ? {} : { ready: p.ready }),
    ...(p.ready === null || p.readyTimeoutMs === null ? {} : { readyTimeoutMs: p.readyTimeoutMs }),
    ...(deps.length === 0 ? {} : { dependsOn: deps }),
    ...(health === null ? {} : { health }),
    ...(p.ready?.kind !== "notify" || p.watchdogMs === null ? {} : { watchdogMs: p.watchdogMs }),
    ...(p.restart === null ? {} : { restart: p.restart }),
    ...(backoff === null ? {} : { backoff }),
  };
}

/** Issue 14's settings as the lines of a table. */
function policyKeys(p: Partial<Omit<ServerSpec, "dependsOn">> & { dependsOn?: string[] }): string[] {
  const s = (ms: number) => String(ms / 1000);
  const probe = (x: ProbeSpec | ReadySpec): string => {
    switch (x.kind) {
      case "tcp": return `{ tcp = ${q(`${x.host}:${x.port}`)} }`;
      case "http": return `{ http = ${q(x.url)} }`;
      case "cmd": return `{ cmd = [${x.argv.map(q).join(", ")}] }`;
      case "notify": return "{ notify = true }";
      case "log": return `{ log = ${q(x.pattern)} }`;
      default: return x satisfies never;
    }
  };
  const out: string[] = [];
  if (p.ready !== undefined) out.push(`ready = ${probe(p.ready)}`);
  if (p.readyTimeoutMs !== undefined) out.push(`ready_timeout = ${s(p.readyTimeoutMs)}`);
  if (p.dependsOn !== undefined) out.push(`depends_on = [${p.dependsOn.map(q).join(", ")}]`);
  if (p.health !== undefined) {
    const h = p.health;
    out.push(`health = ${probe(h.probe).slice(0, -2)}, interval = ${s(h.intervalMs)}, timeout = ${s(h.timeoutMs)}, retries = ${h.retries} }`);
  }
  if (p.watchdogMs !== undefined) out.push(`watchdog = ${s(p.watchdogMs)}`);
  if (p.restart !== undefined) out.push(`restart = ${q(p.restart)}`);
  if (p.backoff !== undefined) out.push(`backoff = { initial = ${s(p.backoff.initialMs)}, max = ${s(p.backoff.maxMs)}, retries = ${p.backoff.retries} }`);
  return out;
}

/** One server the supervisor runs, as the world knows it: which scenario server, which copy (null: none), its environment of its own. */
export interface SimSlot { readonly sim: number; readonly instance: number | null; readonly name: string; readonly env: Readonly<Record<string, string>> }

/** The servers the files say, in the supervisor's order, each copy on its own. */
export function slotsOf(c: SimConfig, sc: SimScenario): SimSlot[] {
  return supervisorOrder(sc).flatMap((i) => {
    const n = countOf(c, sc, i);
    const own = sc.servers[i]!.source === "config" ? c.entries[i]!.env : {};
    return copyNames(c, sc, i).map((name, k) => ({ sim: i, instance: n === null ? null : k + 1, name, env: n === null ? own : { ...own, LAZARUS_INSTANCE: String(k + 1) } }));
  });
}

/**
 * The servers as the reference model runs them, from the world's own view
 * (not the loader's): names, commands, settings, dependencies (indices into
 * this list, a table's copies each), and a launch fingerprint of the world's
 * own that changes exactly when its environment does.
 */
export function specsOf(c: SimConfig, sc: SimScenario): ServerSpec[] {
  const slots = slotsOf(c, sc);
  return slots.map((slot): ServerSpec => {
    const i = slot.sim;
    const e = c.entries[i]!;
    const config = sc.servers[i]!.source === "config";
    const o = sc.servers[i]!.own;
    return {
      argv: argvOf(c, sc, i),
      name: slot.name,
      ...(config && o.intervalMs !== null ? { intervalMs: o.intervalMs } : {}),
      ...(config && e.stopSignal !== null ? { stopSignal: e.stopSignal } : {}),
      ...(config && e.stopTimeoutMs !== null ? { stopTimeoutMs: e.stopTimeoutMs } : {}),
      ...(config && !e.autostart ? { autostart: false } : {}),
      ...policyOf(c, sc, i, (d) => slots.flatMap((x, j) => (x.sim === d ? [j] : []))),
      // The copies of a table (or a Procfile process) with a count are one group; a table's `rolling` is its copies'.
      ...(slot.instance === null ? {} : { group: tableName(sc, i) }),
      ...(config && e.rolling !== null ? { rolling: e.rolling } : {}),
      launch: JSON.stringify(Object.entries(slot.env).sort()),
    };
  });
}
