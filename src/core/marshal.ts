// The re-exec handover format (SPEC 7, invariant 10): small, versioned,
// validated data. `unmarshal` never throws and never yields a child that the
// input does not name: a record it cannot vouch for becomes `invalid` (the core
// cremates that server with a log line), and input it cannot read at all is an
// error value.
//
// Version 1 is a sealed JSON payload:
//   lazarus-handover/1 CHECKSUM {"v":1,"revive":false,"alarm":null|ms,"servers":[record, ...]}
// The checksum (cyrb53 of the payload) turns any corruption of the text, a
// changed digit of a pid included, into an error instead of a wrong child.
// with one record per server, in command-line order, each an array:
//   ["unborn",   spawns, fp]
//   ["alive",    spawns, fp, pid, since, stop]   stop: null or [deadline, killed 0|1, "cremate"|"start"]
//   ["buried",   spawns, fp, since, why]
//   ["cremated", spawns, fp, since, why]
// `fp` is a fingerprint of the server's argv, so a record is never applied to a
// different command; `since` is boot-relative monotonic milliseconds.
import type { BuriedWhy, CrematedWhy, Handover, HandoverServer, ServerSpec, StopOrder } from "./types.ts";

export const HANDOVER_VERSION = 1;
/** Largest pid Linux hands out (pid_max's ceiling, 2^22). */
export const PID_MAX = 4_194_304;

const BURIED_WHY: readonly BuriedWhy[] = ["crash-loop", "spawn-failed"];
const CREMATED_WHY: readonly CrematedWhy[] = ["clean-exit", "stopped", "invalid-state"];

export type Unmarshalled =
  | { readonly ok: true; readonly handover: Handover }
  | { readonly ok: false; readonly error: string };

export function marshal(handover: Handover, specs: readonly ServerSpec[]): string {
  const servers = handover.servers.map((s, i) => {
    const fp = fingerprint(specs[i]?.argv ?? []);
    switch (s.kind) {
      case "unborn": return ["unborn", s.spawns, fp];
      case "alive": return ["alive", s.spawns, fp, s.pid, s.since, s.stop === null ? null : [s.stop.deadline, s.stop.killed ? 1 : 0, s.stop.then]];
      case "buried": return ["buried", s.spawns, fp, s.since, s.why];
      case "cremated": return ["cremated", s.spawns, fp, s.since, s.why];
      case "invalid": return ["invalid", s.spawns, fp, s.reason];
    }
  });
  return seal(JSON.stringify({ v: HANDOVER_VERSION, revive: handover.pendingRevive, alarm: handover.alarmAt, servers }));
}

const MAGIC = "lazarus-handover/";

/** Wrap a payload with the format's name, its version and a checksum. */
export function seal(payload: string): string {
  return `${MAGIC}${HANDOVER_VERSION} ${checksum(payload)} ${payload}`;
}

export function unmarshal(text: string, specs: readonly ServerSpec[]): Unmarshalled {
  try {
    const m = /^lazarus-handover\/(\d+) ([0-9a-f]{14}) /.exec(text);
    if (m === null) return fail("unreadable re-exec state: not a lazarus handover (truncated or corrupt)");
    if (Number(m[1]) !== HANDOVER_VERSION) return fail(`unsupported re-exec state version ${m[1]} (this lazarus reads ${HANDOVER_VERSION})`);
    const payload = text.slice(m[0].length);
    if (checksum(payload) !== m[2]) return fail("unreadable re-exec state: checksum mismatch (truncated or corrupt)");
    return readPayload(payload, specs);
  } catch (e) {
    // read() is written not to throw; this is the last line of defence of "never an exception".
    return { ok: false, error: `unreadable re-exec state (${e instanceof Error ? e.message : String(e)})` };
  }
}

/** Validate a payload whose seal was already checked (exported for tests of the validation itself). */
export function readPayload(text: string, specs: readonly ServerSpec[]): Unmarshalled {
  try {
    return read(text, specs);
  } catch (e) {
    return { ok: false, error: `unreadable re-exec state (${e instanceof Error ? e.message : String(e)})` };
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
  if (data.v !== HANDOVER_VERSION) return fail(`unsupported re-exec state version ${show(data.v)} (this lazarus reads ${HANDOVER_VERSION})`);
  if (typeof data.revive !== "boolean") return fail("unreadable re-exec state: 'revive' is not true or false");
  const alarm = data.alarm;
  if (alarm !== null && !isTime(alarm)) return fail("unreadable re-exec state: 'alarm' is not a time");
  const raw = data.servers;
  if (!Array.isArray(raw)) return fail("unreadable re-exec state: 'servers' is not a list");
  if (raw.length !== specs.length) {
    return fail(`re-exec state describes ${raw.length} server${raw.length === 1 ? "" : "s"}, the command line ${specs.length}`);
  }
  const pids = new Set<number>();
  const servers = raw.map((r, i) => readServer(r, specs[i] as ServerSpec, pids));
  return { ok: true, handover: { pendingRevive: data.revive, alarmAt: alarm as number | null, servers } };
}

function readServer(r: unknown, spec: ServerSpec, pids: Set<number>): HandoverServer {
  const invalid = (reason: string, spawns = 0): HandoverServer => ({ kind: "invalid", spawns, reason });
  if (!Array.isArray(r)) return invalid("record is not a list");
  const [kind, spawns, fp] = r as unknown[];
  if (!isCount(spawns)) return invalid("bad spawn count");
  if (fp !== fingerprint(spec.argv)) return invalid("recorded for a different command", spawns);
  switch (kind) {
    case "unborn":
      if (r.length !== 3) return invalid("wrong record length", spawns);
      return { kind: "unborn", spawns };
    case "alive": {
      const [, , , pid, since, stop] = r as unknown[];
      if (r.length !== 6) return invalid("wrong record length", spawns);
      if (!isPid(pid)) return invalid(`bad pid ${show(pid)}`, spawns);
      if (!isTime(since)) return invalid("bad start time", spawns);
      if (spawns < 1) return invalid("alive but never spawned", spawns);
      const order = readStop(stop);
      if (order === undefined) return invalid("bad stop order", spawns);
      if (pids.has(pid)) return invalid(`pid ${pid} recorded twice`, spawns);
      pids.add(pid);
      return { kind: "alive", spawns, pid, since, stop: order };
    }
    case "buried": {
      const [, , , since, why] = r as unknown[];
      if (r.length !== 5) return invalid("wrong record length", spawns);
      if (!isTime(since)) return invalid("bad time", spawns);
      if (!BURIED_WHY.includes(why as BuriedWhy)) return invalid(`bad reason ${show(why)}`, spawns);
      return { kind: "buried", spawns, since, why: why as BuriedWhy };
    }
    case "cremated": {
      const [, , , since, why] = r as unknown[];
      if (r.length !== 5) return invalid("wrong record length", spawns);
      if (!isTime(since)) return invalid("bad time", spawns);
      if (!CREMATED_WHY.includes(why as CrematedWhy)) return invalid(`bad reason ${show(why)}`, spawns);
      return { kind: "cremated", spawns, since, why: why as CrematedWhy };
    }
    case "invalid": {
      const reason = (r as unknown[])[3];
      return invalid(typeof reason === "string" ? reason.slice(0, 200) : "invalid before the re-exec", spawns);
    }
    default:
      return invalid(`bad state word ${show(kind)}`, spawns);
  }
}

/** A recorded stop order: null, or [deadline, killed 0|1, then]; undefined when malformed. */
function readStop(x: unknown): StopOrder | null | undefined {
  if (x === null) return null;
  if (!Array.isArray(x) || x.length !== 3) return undefined;
  const [deadline, killed, then] = x as unknown[];
  if (!isTime(deadline) || (killed !== 0 && killed !== 1) || (then !== "cremate" && then !== "start")) return undefined;
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
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
}

function fail(error: string): Unmarshalled {
  return { ok: false, error };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
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
