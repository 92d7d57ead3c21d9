// A server's readiness, health, start order, restart policy and backoff, as a
// config table writes them (issue 14; docs/configuration.md, "Readiness,
// health, order, restart and backoff"):
//
//   ready = { tcp = 5432 }        # or { tcp = "HOST:PORT" }, { http = "http://…" }, { notify = true },
//                                 #    { log = "REGEXP" }, { cmd = ["./check", "arg"] }
//   ready_timeout = 30            # seconds; needs ready
//   depends_on = ["db"]           # servers of the same file; no cycle
//   health = { http = "http://127.0.0.1:8080/health", interval = 5, timeout = 2, retries = 3 }
//   watchdog = 10                 # seconds; needs ready = { notify = true }
//   restart = "on-failure"        # or "always", "never"
//   backoff = { initial = 0.5, max = 30, retries = 5 }
//
// Each reader returns the core's own types (core/types.ts) with every default
// filled in, or throws an Invalid naming the key. Pure.
import type { BackoffSpec, HealthSpec, Ms, ProbeSpec, ReadySpec, RestartPolicy } from "../core/types.ts";
import { printable } from "../text/bytes.ts";
import { splitHostPort } from "../text/host-port.ts";
import { BACKOFF_DEFAULTS, HEALTH_DEFAULTS, PROBE_MAX_S, RESTART_POLICIES, RETRIES_MAX, secondsToMs } from "./settings.ts";
import { command, distance, Invalid, kind, oneOf, table, unknownKeys } from "./values.ts";

/** The keys of a server's table read here. */
export const READINESS_KEYS = ["ready", "ready_timeout", "depends_on", "health", "watchdog", "restart", "backoff"] as const;

/** What those keys say, as the core wants it; `dependsOn` still by name (plan.ts makes indices of them). */
export interface ReadinessKeys {
  readonly ready?: ReadySpec;
  readonly readyTimeoutMs?: Ms;
  readonly dependsOn?: readonly string[];
  readonly health?: HealthSpec;
  readonly watchdogMs?: Ms;
  readonly restart?: RestartPolicy;
  readonly backoff?: BackoffSpec;
}

const READY_KINDS = ["tcp", "http", "notify", "log", "cmd"] as const;
const HEALTH_PROBES = ["tcp", "http", "cmd"] as const;
const HEALTH_KEYS = [...HEALTH_PROBES, "interval", "timeout", "retries"] as const;
const BACKOFF_KEYS = ["initial", "max", "retries"] as const;
/** How many server names an error about an unknown one lists. */
const NAMES_SHOWN = 10;

/**
 * The readiness keys of server table `t` (at `at` = ["servers", NAME]);
 * `names`: every server name of the file, in order (depends_on must name one).
 */
export function readReadiness(t: Record<string, unknown>, at: readonly string[], names: ReadonlySet<string>): ReadinessKeys {
  const out: { -readonly [K in keyof ReadinessKeys]: ReadinessKeys[K] } = {};
  if (t.ready !== undefined) out.ready = readySpec(t.ready, [...at, "ready"]);
  if (t.ready_timeout !== undefined) {
    out.readyTimeoutMs = positiveSeconds(t.ready_timeout, [...at, "ready_timeout"]);
    if (out.ready === undefined) throw new Invalid([...at, "ready_timeout"], "needs ready: without a way to tell that the server is ready, there is nothing to wait for.");
  }
  if (t.depends_on !== undefined) {
    const deps = dependsOn(t.depends_on, [...at, "depends_on"], at[at.length - 1] as string, names);
    if (deps.length > 0) out.dependsOn = deps;
  }
  if (t.health !== undefined) out.health = healthSpec(t.health, [...at, "health"]);
  if (t.watchdog !== undefined) {
    out.watchdogMs = positiveSeconds(t.watchdog, [...at, "watchdog"]);
    if (out.ready?.kind !== "notify") throw new Invalid([...at, "watchdog"], "needs ready = { notify = true }: WATCHDOG=1 comes over the notify socket.");
  }
  if (t.restart !== undefined) out.restart = oneOf(t.restart, [...at, "restart"], RESTART_POLICIES);
  if (t.backoff !== undefined) {
    out.backoff = backoffSpec(t.backoff, [...at, "backoff"]);
    if (out.restart === "never") throw new Invalid([...at, "backoff"], "has no use with restart = \"never\": nothing is ever retried.");
  }
  return out;
}

/**
 * depends_on makes no cycle (`servers`: the file's servers, in order, their
 * depends_on already checked by readReadiness). The cycle reported is the
 * first a walk in file order finds, from the server it returns to.
 */
export function checkOrder(servers: readonly { readonly name: string; readonly dependsOn?: readonly string[] }[]): void {
  const deps = new Map(servers.map((s) => [s.name, s.dependsOn ?? []]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  // Iterative depth-first walk: a long chain of dependencies cannot overflow the stack.
  for (const root of servers) {
    if (state.has(root.name)) continue;
    const frames: { name: string; next: number }[] = [{ name: root.name, next: 0 }];
    state.set(root.name, "open");
    stack.push(root.name);
    while (frames.length > 0) {
      const f = frames[frames.length - 1] as { name: string; next: number };
      const list = deps.get(f.name) ?? [];
      if (f.next >= list.length) {
        frames.pop();
        stack.pop();
        state.set(f.name, "done");
        continue;
      }
      const d = list[f.next++] as string;
      const s = state.get(d);
      if (s === "done") continue;
      if (s === "open") {
        throw new Invalid(["servers", d, "depends_on"], `makes a cycle: ${cycleText(stack.slice(stack.indexOf(d)))}.`, true);
      }
      state.set(d, "open");
      stack.push(d);
      frames.push({ name: d, next: 0 });
    }
  }
}

/** How many servers of a cycle its message names, at most (a long one is shortened in the middle). */
const CYCLE_SHOWN = 10;

/** "web → api → web"; a long cycle "s0 → s1 → … → s99 → s0 (100 servers)". */
function cycleText(cycle: readonly string[]): string {
  const first = cycle[0] as string;
  const names = cycle.length <= CYCLE_SHOWN ? [...cycle, first] : [...cycle.slice(0, CYCLE_SHOWN - 2), "…", cycle[cycle.length - 1] as string, first];
  const text = names.map((n) => (n === "…" ? n : printable(n))).join(" → ");
  return cycle.length <= CYCLE_SHOWN ? text : `${text} (${cycle.length} servers)`;
}

// --- ready, health

function readySpec(v: unknown, at: readonly string[]): ReadySpec {
  const t = table(v, at, `a table with one of ${list(READY_KINDS, "or")}, like { tcp = 5432 }`);
  unknownKeys(t, at, READY_KINDS);
  const which = oneKind(t, at, READY_KINDS, "like { tcp = 5432 }");
  switch (which) {
    case "tcp":
    case "http":
    case "cmd":
      return probe(which, t[which], [...at, which]);
    case "notify":
      if (t.notify !== true) {
        const why = t.notify === false ? "notify = false is no readiness at all: leave ready out, or give another kind." : `expected true, got ${kind(t.notify)}.`;
        throw new Invalid([...at, "notify"], why);
      }
      return { kind: "notify" };
    case "log":
      return { kind: "log", pattern: pattern(t.log, [...at, "log"]) };
  }
}

function healthSpec(v: unknown, at: readonly string[]): HealthSpec {
  const t = table(v, at, `a table with one of ${list(HEALTH_PROBES, "or")} (and interval, timeout, retries)`);
  if (t.notify !== undefined) throw new Invalid([...at, "notify"], "a health check cannot be by notify: give watchdog = SECONDS with ready = { notify = true } instead.");
  if (t.log !== undefined) throw new Invalid([...at, "log"], `a health check cannot be by output lines: give ${list(HEALTH_PROBES, "or")}.`);
  unknownKeys(t, at, HEALTH_KEYS);
  const which = oneKind(t, at, HEALTH_PROBES, "like { http = \"http://127.0.0.1:8080/health\" }");
  const intervalMs = t.interval === undefined ? HEALTH_DEFAULTS.intervalMs : positiveSeconds(t.interval, [...at, "interval"]);
  // The default timeout never exceeds an interval given shorter than it.
  const timeoutMs = t.timeout === undefined ? Math.min(HEALTH_DEFAULTS.timeoutMs, intervalMs) : positiveSeconds(t.timeout, [...at, "timeout"]);
  if (timeoutMs > intervalMs) {
    throw new Invalid([...at, "timeout"], `${secs(timeoutMs)} is longer than the interval (${secs(intervalMs)}${t.interval === undefined ? ", the default" : ""}): a probe must end before the next one is due.`);
  }
  const retries = t.retries === undefined ? HEALTH_DEFAULTS.retries : count(t.retries, [...at, "retries"]);
  return { probe: probe(which, t[which], [...at, which]), intervalMs, timeoutMs, retries };
}

/** The one key of `kinds` that table `t` has (zero or two are an error). */
function oneKind<K extends string>(t: Record<string, unknown>, at: readonly string[], kinds: readonly K[], example: string): K {
  const given = kinds.filter((k) => t[k] !== undefined);
  if (given.length === 0) throw new Invalid(at, `expected one of ${list(kinds, "or")}, ${example}.`);
  if (given.length > 1) throw new Invalid(at, `give one of ${list(kinds, "or")}, not both ${given[0]} and ${given[1]}.`);
  return given[0] as K;
}

function probe(which: "tcp" | "http" | "cmd", v: unknown, at: readonly string[]): ProbeSpec {
  switch (which) {
    case "tcp":
      return tcp(v, at);
    case "http":
      return { kind: "http", url: httpUrl(v, at) };
    case "cmd": {
      const argv = command(v, at);
      const empty = argv.findIndex((w) => w === "");
      if (empty >= 0) throw new Invalid(at, `word ${empty} is an empty string.`);
      return { kind: "cmd", argv };
    }
  }
}

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*)$/;

/** `5432` (on 127.0.0.1), `"HOST:PORT"` or `"[IPv6]:PORT"`. */
function tcp(v: unknown, at: readonly string[]): ProbeSpec {
  const expected = "expected a port (1 to 65535) or \"HOST:PORT\"";
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Invalid(at, `${expected}, got ${kind(v)}.`);
    if (v < 1 || v > 65535) throw new Invalid(at, `${v} is not a port (1 to 65535).`);
    return { kind: "tcp", host: "127.0.0.1", port: v };
  }
  if (typeof v !== "string") throw new Invalid(at, `${expected}, got ${kind(v)}.`);
  const text = JSON.stringify(v);
  if (/^\d+$/.test(v)) throw new Invalid(at, `${text} has no host: write tcp = ${v} (on 127.0.0.1) or tcp = "HOST:${v}".`);
  const split = splitHostPort(v);
  if (!split.ok) {
    switch (split.why) {
      case "bad-ipv6": throw new Invalid(at, `${JSON.stringify(split.host)} is not an IPv6 address.`);
      case "no-colon": throw new Invalid(at, `${expected}, got ${text}.`);
      case "unbracketed": throw new Invalid(at, `${text}: an IPv6 address goes in brackets, like "[::1]:${split.port}".`);
    }
  }
  const { host, port } = split;
  if (!v.startsWith("[") && !HOST_NAME.test(host)) throw new Invalid(at, `${text}: ${JSON.stringify(host)} is not a host name or an address.`);
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new Invalid(at, `${text}: ${JSON.stringify(port)} is not a port (1 to 65535).`);
  return { kind: "tcp", host, port: Number(port) };
}

function httpUrl(v: unknown, at: readonly string[]): string {
  const expected = "expected an http:// or https:// URL, like \"http://127.0.0.1:8080/health\"";
  if (typeof v !== "string") throw new Invalid(at, `${expected}, got ${kind(v)}.`);
  if (!/^https?:\/\//i.test(v)) throw new Invalid(at, `${expected}, got ${kind(v)}.`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new Invalid(at, `${JSON.stringify(v)} is not a valid URL.`);
  }
  if (url.hostname === "") throw new Invalid(at, `${JSON.stringify(v)} has no host.`);
  return v;
}

/** A JavaScript regular expression (no flags), checked by compiling it. */
function pattern(v: unknown, at: readonly string[]): string {
  if (typeof v !== "string") throw new Invalid(at, `expected a regular expression (a string), got ${kind(v)}.`);
  if (v === "") throw new Invalid(at, "expected a regular expression, got an empty string (it would match any line).");
  try {
    new RegExp(v);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/^Invalid regular expression: /, "");
    throw new Invalid(at, `invalid regular expression ${JSON.stringify(v)}: ${why}.`);
  }
  return v;
}

// --- backoff, depends_on

function backoffSpec(v: unknown, at: readonly string[]): BackoffSpec {
  const t = table(v, at, "a table like { initial = 0.5, max = 30, retries = 5 }");
  unknownKeys(t, at, BACKOFF_KEYS);
  const given = { initial: t.initial !== undefined, max: t.max !== undefined };
  let initialMs = given.initial ? positiveSeconds(t.initial, [...at, "initial"]) : BACKOFF_DEFAULTS.initialMs;
  let maxMs = given.max ? positiveSeconds(t.max, [...at, "max"]) : BACKOFF_DEFAULTS.maxMs;
  // A default never contradicts a value given: it gives way to it.
  if (!given.initial) initialMs = Math.min(initialMs, maxMs);
  if (!given.max) maxMs = Math.max(maxMs, initialMs);
  if (initialMs > maxMs) throw new Invalid([...at, "initial"], `${secs(initialMs)} is more than max (${secs(maxMs)}).`);
  const retries = t.retries === undefined ? BACKOFF_DEFAULTS.retries : count(t.retries, [...at, "retries"]);
  return { initialMs, maxMs, retries };
}

function dependsOn(v: unknown, at: readonly string[], self: string, names: ReadonlySet<string>): string[] {
  if (!Array.isArray(v)) throw new Invalid(at, `expected an array of server names, like ["db"], got ${kind(v)}.`);
  const out: string[] = [];
  const seen = new Set<string>();
  v.forEach((x: unknown, i) => {
    if (typeof x !== "string") throw new Invalid(at, `expected an array of server names, but element ${i} is ${kind(x)}.`);
    if (x === self) throw new Invalid(at, `${shown(x)} is this server itself: a server cannot depend on itself.`);
    if (!names.has(x)) {
      const others = [...names].filter((n) => n !== self);
      const close = others.find((n) => distance(n, x) <= 2);
      const hint = close === undefined ? "" : ` (did you mean ${shown(close)}?)`;
      const listed = others.length === 0 ? "it has no other server" : `its other servers: ${others.slice(0, NAMES_SHOWN).map(shown).join(", ")}${others.length > NAMES_SHOWN ? ", …" : ""}`;
      throw new Invalid(at, `no server ${shown(x)} in this file${hint}; ${listed}.`);
    }
    if (seen.has(x)) throw new Invalid(at, `${shown(x)} is listed twice.`);
    seen.add(x);
    out.push(x);
  });
  return out;
}

// --- numbers

/** Seconds, more than 0 and at most PROBE_MAX_S, to the millisecond. */
function positiveSeconds(v: unknown, at: readonly string[]): Ms {
  const range = `seconds, more than 0 and at most ${PROBE_MAX_S}`;
  if (typeof v !== "number") throw new Invalid(at, `expected a number of ${range}, got ${kind(v)}.`);
  const ms = secondsToMs(v, PROBE_MAX_S);
  if (ms === null || ms === 0) throw new Invalid(at, `${Object.is(v, -0) ? "-0" : v} is out of range (${range}).`);
  return ms;
}

/** A whole number of tries, 1 to RETRIES_MAX. */
function count(v: unknown, at: readonly string[]): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Invalid(at, `expected a whole number from 1 to ${RETRIES_MAX}, got ${kind(v)}.`);
  if (v < 1 || v > RETRIES_MAX) throw new Invalid(at, `${v} is out of range (1 to ${RETRIES_MAX}).`);
  return v;
}

// --- words

function secs(ms: Ms): string {
  return `${ms / 1000} s`;
}

function list(words: readonly string[], last: "or" | "and"): string {
  return words.length <= 2 ? words.join(` ${last} `) : `${words.slice(0, -1).join(", ")} ${last} ${words.at(-1)}`;
}

/** A server name in a message: quoted, anything invisible escaped. */
function shown(name: string): string {
  return `"${printable(name).replaceAll("\"", "\\\"")}"`;
}
