// The re-exec handover format (docs/spec.md, "Live re-exec", invariant 10): small, versioned,
// validated data. `unmarshal` never throws and never yields a child that the
// input does not name: a record it cannot vouch for becomes `invalid` (the core
// cremates that server with a log line), and input it cannot read at all is an
// error value.
//
// Version 4 is a sealed JSON payload:
//   lazarus-handover/4 CHECKSUM {"v":4,"revive":false,"alarm":null|ms,"exec":null|ms,"sd":false,"servers":[[name, ...record], ...]}
// The checksum (cyrb53 of the payload) turns any corruption of the text, a
// changed digit of a pid included, into an error instead of a wrong child.
// with one record per server, each an array: the server's name (version 4: the
// new image finds each server's record by its name, so that a reload, which
// appends servers and retires removed ones in place, needs no common order;
// versions 1 to 3 have no name and one record per server in command-line
// order), then its base
//   ["unborn",   spawns, fp]
//   ["waiting",  spawns, fp]
//   ["alive",    spawns, fp, pid, since, stop]   stop: null or [deadline, killed 0|1, "cremate"|"start"|"fail"]
//   ["backoff",  spawns, fp, since, until]
//   ["buried",   spawns, fp, since, why]
//   ["cremated", spawns, fp, since, why]
// followed by `last, retries` (and, for "alive", `ready` 0|1); retries and ready
// are left out from the end while they hold their defaults (0; 1).
// `fp` is a fingerprint of the server's argv, so a record is never applied to a
// different command; `since`, `until` and `exec` are boot-relative monotonic
// milliseconds; `last` is the server's last exit: null, ["code", n],
// ["signal", n] or ["unknown"]; `retries` its fast crashes retried by its
// backoff; `sd`: READY=1 was sent to systemd. An optional `"runs"` after
// the servers names the servers that keep their old process with the
// configuration's spec pending (a rolling reload's copies not replaced) and the
// spec that process runs, as its difference from the configuration's spec (so
// that a thousand such copies stay well within an environment variable):
//   "runs": [[DIFF, [MEMBER, ...]], ...]
// DIFF: the fields other than name and launch whose values differ (null: absent
// in the old spec), and dependsOn by name whenever either has it, shared by its MEMBERs; a MEMBER is the
// server's name, or [name, launch] when the old launch fingerprint differs
// (null: none). An image that does not know `runs` reads the rest as before (and
// runs them under the configuration's spec), and an entry that does not
// validate is left out the same way. Older images re-exec'ing into
// this one are read too: version 1 (the base records alone, no `exec`),
// version 2 (the base records and `last`) and version 3 (version 4 without names).
import type { BackoffSpec, BuriedWhy, CrematedWhy, ExitStatus, Handover, HandoverServer, HealthSpec, ProbeSpec, ReadySpec, ServerSpec, StopOrder } from "./types.ts";
import { isObject, messageOf } from "./values.ts";

export const HANDOVER_VERSION = 4;
/** The versions this image reads. */
const READS = [1, 2, 3, 4];
/** "1, 2, 3 and 4". */
function readsText(): string {
  return `${READS.slice(0, -1).join(", ")} and ${READS[READS.length - 1]}`;
}
/** Largest pid Linux hands out (pid_max's ceiling, 2^22). */
export const PID_MAX = 4_194_304;

const BURIED_WHY: readonly BuriedWhy[] = ["crash-loop", "spawn-failed", "crashed"];
const CREMATED_WHY: readonly CrematedWhy[] = ["clean-exit", "stopped", "invalid-state"];

export type Unmarshalled =
  | { readonly ok: true; readonly handover: Handover }
  | { readonly ok: false; readonly error: string };

/** `specs`: the servers the handover's records are about, in its order (their names and commands go with the records). */
export function marshal(handover: Handover, specs: readonly ServerSpec[]): string {
  const servers = handover.servers.map((s, i) => [specs[i]?.name ?? "", ...record(s, fingerprint(specs[i]?.argv ?? []))]);
  const runs = runsRecord(handover, specs);
  return seal(JSON.stringify({
    v: HANDOVER_VERSION, revive: handover.pendingRevive, alarm: handover.alarmAt, exec: handover.execAt, sd: handover.systemdReady ?? false, servers,
    ...(runs.length > 0 ? { runs } : {}),
  }));
}

/** `runs`: each old process's spec as its difference from the configuration's (`specs[i]`), grouped by that difference. */
function runsRecord(handover: Handover, specs: readonly ServerSpec[]): unknown[] {
  const groups = new Map<string, { readonly diff: Record<string, unknown>; readonly members: unknown[] }>();
  const names = (deps: readonly number[] | undefined) => deps?.map((d) => specs[d]?.name ?? "");
  handover.servers.forEach((s, i) => {
    const now = specs[i];
    if (s.kind !== "alive" || s.runs === undefined || now === undefined) return;
    const old: Record<string, unknown> = s.runs as unknown as Record<string, unknown>;
    const cur: Record<string, unknown> = now as unknown as Record<string, unknown>;
    const diff: Record<string, unknown> = {};
    for (const k of new Set([...Object.keys(old), ...Object.keys(cur)])) {
      if (k === "name" || k === "launch" || k === "dependsOn") continue;
      if (JSON.stringify(old[k]) !== JSON.stringify(cur[k])) diff[k] = old[k] ?? null;
    }
    // Its dependencies always, by name (the configuration's spec has them by its slots, not by the handover's order).
    const deps = names(s.runs.dependsOn);
    if (deps !== undefined || now.dependsOn !== undefined) diff.dependsOn = deps ?? null;
    const key = JSON.stringify(diff);
    const group = groups.get(key) ?? { diff, members: [] };
    groups.set(key, group);
    group.members.push(s.runs.launch === now.launch ? now.name : [now.name, s.runs.launch ?? null]);
  });
  return [...groups.values()].map((g) => [g.diff, g.members]);
}

/** One server's record of version 3 (version 4 puts its name in front). */
function record(s: HandoverServer, fp: string): unknown[] {
  // Version 3's fields after the last exit are left out from the end while they hold their defaults (small for many servers).
  const tail = [s.retries ?? 0, ...(s.kind === "alive" ? [s.ready === false ? 0 : 1] : [])];
  while (tail.length > 0 && tail[tail.length - 1] === (tail.length === 2 ? 1 : 0)) tail.pop();
  const extra = [lastExitRecord(s.lastExit), ...tail];
  switch (s.kind) {
    case "unborn": return ["unborn", s.spawns, fp, ...extra];
    case "waiting": return ["waiting", s.spawns, fp, ...extra];
    case "alive":
      return ["alive", s.spawns, fp, s.pid, s.since, s.stop === null ? null : [s.stop.deadline, s.stop.killed ? 1 : 0, s.stop.then], ...extra];
    case "backoff": return ["backoff", s.spawns, fp, s.since, s.until, ...extra];
    case "buried": return ["buried", s.spawns, fp, s.since, s.why, ...extra];
    case "cremated": return ["cremated", s.spawns, fp, s.since, s.why, ...extra];
    case "invalid": return ["invalid", s.spawns, fp, s.reason, ...extra];
  }
}

function lastExitRecord(x: ExitStatus | null): unknown {
  if (x === null) return null;
  switch (x.kind) {
    case "code": return ["code", x.code];
    case "signal": return ["signal", x.signal];
    case "unknown": return ["unknown"];
  }
}

/** A recorded last exit; undefined when malformed. */
function readLastExit(x: unknown): ExitStatus | null | undefined {
  if (x === null) return null;
  if (!Array.isArray(x)) return undefined;
  const [kind, n] = x as unknown[];
  if (kind === "unknown" && x.length === 1) return { kind: "unknown" };
  if (x.length !== 2 || typeof n !== "number" || !Number.isInteger(n)) return undefined;
  if (kind === "code" && n >= 0 && n <= 255) return { kind: "code", code: n };
  if (kind === "signal" && n >= 1 && n <= 64) return { kind: "signal", signal: n };
  return undefined;
}

const MAGIC = "lazarus-handover/";

/** Wrap a payload with the format's name, its version and a checksum. */
export function seal(payload: string, version = HANDOVER_VERSION): string {
  return `${MAGIC}${version} ${checksum(payload)} ${payload}`;
}

export function unmarshal(text: string, specs: readonly ServerSpec[]): Unmarshalled {
  try {
    const m = /^lazarus-handover\/(\d+) ([0-9a-f]{14}) /.exec(text);
    if (m === null) return fail("unreadable re-exec state: not a lazarus handover (truncated or corrupt)");
    if (!READS.includes(Number(m[1]))) return fail(`unsupported re-exec state version ${m[1]} (this lazarus reads ${readsText()})`);
    const payload = text.slice(m[0].length);
    if (checksum(payload) !== m[2]) return fail("unreadable re-exec state: checksum mismatch (truncated or corrupt)");
    return readPayload(payload, specs);
  } catch (e) {
    // read() is written not to throw; this is the last line of defence of "never an exception".
    return { ok: false, error: `unreadable re-exec state (${messageOf(e)})` };
  }
}

/** Validate a payload whose seal was already checked (exported for tests of the validation itself). */
export function readPayload(text: string, specs: readonly ServerSpec[]): Unmarshalled {
  try {
    return read(text, specs);
  } catch (e) {
    return { ok: false, error: `unreadable re-exec state (${messageOf(e)})` };
  }
}

function read(text: string, specs: readonly ServerSpec[]): Unmarshalled {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail("unreadable re-exec state: not valid JSON (truncated or corrupt)");
  }
  if (!isObject(data)) return fail("unreadable re-exec state: not an object");
  if (!READS.includes(data.v as number)) return fail(`unsupported re-exec state version ${show(data.v)} (this lazarus reads ${readsText()})`);
  const v = data.v as number;
  if (typeof data.revive !== "boolean") return fail("unreadable re-exec state: 'revive' is not true or false");
  const alarm = data.alarm;
  if (alarm !== null && !isTime(alarm)) return fail("unreadable re-exec state: 'alarm' is not a time");
  const exec = v >= 2 ? data.exec : null;
  if (exec !== null && !isTime(exec)) return fail("unreadable re-exec state: 'exec' is not a time");
  const sd = v >= 3 ? data.sd : false;
  if (typeof sd !== "boolean") return fail("unreadable re-exec state: 'sd' is not true or false");
  const listed = data.servers;
  if (!Array.isArray(listed)) return fail("unreadable re-exec state: 'servers' is not a list");
  const raw = v >= 4 ? byName(listed, specs) : listed;
  if (typeof raw === "string") return fail(raw);
  if (raw.length !== specs.length) {
    return fail(`re-exec state describes ${raw.length} server${raw.length === 1 ? "" : "s"}, the command line ${specs.length}`);
  }
  const pids = new Set<number>();
  const read = raw.map((r, i) => (r === NO_RECORD ? NO_RECORD_SERVER : readServer(r, specs[i] as ServerSpec, pids, Math.min(v, 3))));
  const servers = v >= 4 ? withRuns(read, data.runs, specs) : read;
  return {
    ok: true,
    handover: { pendingRevive: data.revive, alarmAt: alarm as number | null, execAt: exec as number | null, ...(sd ? { systemdReady: true } : {}), servers },
  };
}

/**
 * Version 4's optional `runs`: the spec each listed server's old process runs, on its record (an alive one with no stop
 * order), from the configuration's spec and the difference. What does not validate is left out: that server runs on
 * under the configuration's spec, as it would from an image that does not write `runs`.
 */
function withRuns(servers: readonly HandoverServer[], runs: unknown, specs: readonly ServerSpec[]): HandoverServer[] {
  const out = [...servers];
  if (!Array.isArray(runs)) return out;
  const index = new Map(specs.map((s, i) => [s.name, i]));
  for (const group of runs) {
    if (!Array.isArray(group) || group.length !== 2 || !isObject(group[0]) || !Array.isArray(group[1])) continue;
    const [diff, members] = group as [Record<string, unknown>, unknown[]];
    for (const m of members) {
      const [name, launch] = typeof m === "string" ? [m, undefined] : Array.isArray(m) && m.length === 2 && typeof m[0] === "string" ? m : [null, undefined];
      if (typeof name !== "string" || (launch !== undefined && launch !== null && typeof launch !== "string")) continue;
      const i = index.get(name);
      const s = i === undefined ? undefined : out[i];
      const now = i === undefined ? undefined : specs[i];
      if (i === undefined || now === undefined || s?.kind !== "alive" || s.stop !== null || s.runs !== undefined) continue;
      const spec = readSpec(diff, now, launch, index);
      if (spec !== null) out[i] = { ...s, runs: spec };
    }
  }
  return out;
}

/**
 * The configuration's spec `now` with the difference applied (its dependencies by name: `index` finds them; `launch`:
 * the old launch fingerprint, undefined when it is now's), or null when it does not validate.
 */
function readSpec(diff: Record<string, unknown>, now: ServerSpec, launch: string | null | undefined, index: ReadonlyMap<string, number>): ServerSpec | null {
  const spec: Record<string, unknown> = { ...now };
  for (const [key, value] of Object.entries(diff)) {
    if (key === "name" || key === "launch") return null;
    if (value === null) {
      if (key === "argv") return null;
      delete spec[key];
      continue;
    }
    const field = key === "argv" ? (isWords(value) && value.length > 0 ? value : null) : readField(key, value, index);
    if (field === null) return null;
    spec[key] = field;
  }
  if (launch === null) delete spec.launch;
  else if (launch !== undefined) spec.launch = launch;
  return spec as unknown as ServerSpec;
}

/** One optional field of a ServerSpec (readSpec), or null when it is not one or does not validate. */
function readField(key: string, v: unknown, index: ReadonlyMap<string, number>): unknown {
  switch (key) {
    case "label":
    case "launch":
    case "group":
      return typeof v === "string" ? v : null;
    case "intervalMs":
    case "stopTimeoutMs":
    case "readyTimeoutMs":
    case "watchdogMs":
      return isTime(v) ? v : null;
    case "stopSignal":
      return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 64 ? v : null;
    case "autostart":
      return typeof v === "boolean" ? v : null;
    case "restart":
      return v === "on-failure" || v === "always" || v === "never" ? v : null;
    case "rolling":
      return v === "start-first" || v === "stop-first" ? v : null;
    case "ready":
      return readReady(v);
    case "health": {
      if (!isObject(v) || !isTime(v.intervalMs) || !isTime(v.timeoutMs) || !isCount(v.retries)) return null;
      const probe = readProbe(v.probe);
      return probe === null ? null : { probe, intervalMs: v.intervalMs, timeoutMs: v.timeoutMs, retries: v.retries } satisfies HealthSpec;
    }
    case "backoff":
      return isObject(v) && isTime(v.initialMs) && isTime(v.maxMs) && isCount(v.retries) ? { initialMs: v.initialMs, maxMs: v.maxMs, retries: v.retries } satisfies BackoffSpec : null;
    case "dependsOn": {
      if (!isWords(v)) return null;
      const deps = v.flatMap((n) => { const d = index.get(n); return d === undefined ? [] : [d]; });
      return deps;
    }
    default:
      return null;
  }
}

function readReady(v: unknown): ReadySpec | null {
  if (!isObject(v)) return null;
  if (v.kind === "notify") return { kind: "notify" };
  if (v.kind === "log") return typeof v.pattern === "string" ? { kind: "log", pattern: v.pattern } : null;
  return readProbe(v);
}

function readProbe(v: unknown): ProbeSpec | null {
  if (!isObject(v)) return null;
  switch (v.kind) {
    case "tcp": return typeof v.host === "string" && typeof v.port === "number" && Number.isInteger(v.port) && v.port >= 1 && v.port <= 65535 ? { kind: "tcp", host: v.host, port: v.port } : null;
    case "http": return typeof v.url === "string" ? { kind: "http", url: v.url } : null;
    case "cmd": return isWords(v.argv) && v.argv.length > 0 ? { kind: "cmd", argv: v.argv } : null;
    default: return null;
  }
}

function isWords(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((w) => typeof w === "string");
}

/** A server the handover has no record of (version 4: a name it does not list). */
const NO_RECORD = Symbol("no record");
const NO_RECORD_SERVER: HandoverServer = { kind: "invalid", spawns: 0, lastExit: null, reason: "no record of it" };

/**
 * Version 4: the records in the order of `specs`, found by name (without the
 * name). A name listed twice, or a record that is not a list headed by a name,
 * makes the whole state unreadable; a record of a server the configuration
 * does not have is an error when it runs (a child nobody would supervise),
 * and is dropped otherwise.
 */
function byName(listed: readonly unknown[], specs: readonly ServerSpec[]): (unknown | typeof NO_RECORD)[] | string {
  const records = new Map<string, unknown[]>();
  for (const r of listed) {
    if (!Array.isArray(r) || typeof r[0] !== "string") return "unreadable re-exec state: a server's record has no name";
    if (records.has(r[0])) return `unreadable re-exec state: server ${show(r[0])} recorded twice`;
    records.set(r[0], r.slice(1));
  }
  const wanted = new Set(specs.map((s) => s.name));
  for (const [name, r] of records) {
    if (!wanted.has(name) && r[0] === "alive") {
      return `re-exec state has server ${show(name)} running (pid ${show(r[3])}), which the configuration does not have`;
    }
  }
  return specs.map((s) => records.get(s.name) ?? NO_RECORD);
}

/** A record's base length, by its kind (the kinds of version 3 only in version 3). */
const BASE_LENGTH: Readonly<Record<string, number>> = { unborn: 3, alive: 6, buried: 5, cremated: 5, invalid: 4, waiting: 3, backoff: 5 };

/** How many fields follow the base in a version (v2: the last exit; v3: the last exit, retries, and ready for "alive"). */
function extras(v: number, kind: string): number {
  if (v <= 1) return 0;
  if (v === 2) return 1;
  return kind === "alive" ? 3 : 2;
}

function readServer(raw: unknown, spec: ServerSpec, pids: Set<number>, v: number): HandoverServer {
  const invalid = (reason: string, spawns = 0, lastExit: ExitStatus | null = null): HandoverServer => ({ kind: "invalid", spawns, lastExit, reason });
  if (!Array.isArray(raw)) return invalid("record is not a list");
  const [kind, spawns, fp] = raw as unknown[];
  if (!isCount(spawns)) return invalid("bad spawn count");
  if (fp !== fingerprint(spec.argv)) return invalid("recorded for a different command", spawns);
  const length = typeof kind === "string" && Object.hasOwn(BASE_LENGTH, kind) && (v >= 3 || (kind !== "waiting" && kind !== "backoff"))
    ? BASE_LENGTH[kind] as number : -1;
  if (length < 0) return invalid(`bad state word ${show(kind)}`, spawns);
  const most = length + extras(v, kind as string);
  if (raw.length > most || raw.length < (v >= 3 ? length + 1 : most)) return invalid("wrong record length", spawns);
  const lastExit = v >= 2 ? readLastExit(raw[length]) : null;
  if (lastExit === undefined) return invalid("bad last exit", spawns);
  const retries = v >= 3 && raw.length > length + 1 ? raw[length + 1] : 0;
  if (!isCount(retries)) return invalid("bad retry count", spawns, lastExit);
  const ready = v >= 3 && kind === "alive" && raw.length > length + 2 ? raw[length + 2] : 1;
  if (ready !== 0 && ready !== 1) return invalid("bad ready flag", spawns, lastExit);
  const r = raw.slice(0, length);
  const common = retries === 0 ? { spawns, lastExit } : { spawns, lastExit, retries };
  switch (kind) {
    case "unborn":
      return { kind: "unborn", ...common };
    case "waiting":
      return { kind: "waiting", ...common };
    case "backoff": {
      const [, , , since, until] = r as unknown[];
      if (!isTime(since) || !isTime(until)) return invalid("bad time", spawns, lastExit);
      return { kind: "backoff", ...common, since, until };
    }
    case "alive": {
      const [, , , pid, since, stop] = r as unknown[];
      if (!isPid(pid)) return invalid(`bad pid ${show(pid)}`, spawns);
      if (!isTime(since)) return invalid("bad start time", spawns);
      if (spawns < 1) return invalid("alive but never spawned", spawns);
      const order = readStop(stop);
      if (order === undefined) return invalid("bad stop order", spawns);
      if (pids.has(pid)) return invalid(`pid ${pid} recorded twice`, spawns);
      pids.add(pid);
      return { kind: "alive", ...common, pid, since, stop: order, ...(ready === 1 ? {} : { ready: false }) };
    }
    case "buried": {
      const [, , , since, why] = r as unknown[];
      if (!isTime(since)) return invalid("bad time", spawns);
      if (!BURIED_WHY.includes(why as BuriedWhy)) return invalid(`bad reason ${show(why)}`, spawns);
      return { kind: "buried", ...common, since, why: why as BuriedWhy };
    }
    case "cremated": {
      const [, , , since, why] = r as unknown[];
      if (!isTime(since)) return invalid("bad time", spawns);
      if (!CREMATED_WHY.includes(why as CrematedWhy)) return invalid(`bad reason ${show(why)}`, spawns);
      return { kind: "cremated", ...common, since, why: why as CrematedWhy };
    }
    default: {
      const reason = (r as unknown[])[3];
      return invalid(typeof reason === "string" ? reason.slice(0, 200) : "invalid before the re-exec", spawns, lastExit);
    }
  }
}

/** A recorded stop order: null, or [deadline, killed 0|1, then]; undefined when malformed. */
function readStop(x: unknown): StopOrder | null | undefined {
  if (x === null) return null;
  if (!Array.isArray(x) || x.length !== 3) return undefined;
  const [deadline, killed, then] = x as unknown[];
  if (!isTime(deadline) || (killed !== 0 && killed !== 1) || (then !== "cremate" && then !== "start" && then !== "fail")) return undefined;
  return { deadline, killed: killed === 1, then };
}

/** FNV-1a over the argv words (NUL-separated), as 8 hex digits. */
export function fingerprint(argv: readonly string[]): string {
  let h = 0x811c9dc5;
  const text = argv.join("\0");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** cyrb53: a fast 53-bit string hash, as 14 hex digits. Integrity, not security. */
export function checksum(text: string): string {
  return checksumOf([text]);
}

/** The checksum of the parts' concatenation, without making it (launch-key.ts: one per server, at boot). */
export function checksumOf(parts: readonly string[]): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const text of parts) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
}

function fail(error: string): Unmarshalled {
  return { ok: false, error };
}


function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

function isPid(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x > 1 && x <= PID_MAX;
}

function isTime(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x) && x >= 0;
}

function show(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
