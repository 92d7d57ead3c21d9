// The control protocol: one JSON object per line each way. Pure parsing and
// formatting; the transport is src/os/control-socket.ts, the decisions the core's.
//
// Requests:
//   {"cmd":"about"}                        who this supervisor is (for `ctl ls` and finding one)
//   {"cmd":"status"}
//   {"cmd":"revive"}                       every buried server
//   {"cmd":"revive","server":S}            one (S: an index or a name)
//   {"cmd":"stop"|"start"|"restart","server":S}
//   {"cmd":"restart","server":NAME,"rolling":true}  NAME's copies (NAME.1 …) one at a time, each once the one before is ready again
//   {"cmd":"signal","server":S,"signal":"HUP"}
//   {"cmd":"shutdown"}
//   {"cmd":"reload"}                          read the files again and apply the difference (reply: "reload": added, changed, removed, unchanged)
//   {"cmd":"scale","server":NAME,"count":N}   N copies (0 to 100) of a config table or Procfile process (reply: like reload's)
//   {"cmd":"rotate"|"reopen"}                 every log file (answered by the shell: no policy)
//   {"cmd":"rotate"|"reopen","server":S}      one server's
// with an optional "id" (a string or number), echoed in the reply.
// Replies: {"ok":true,"message":"…"} / {"ok":true,"status":{…}} / {"ok":true,"about":{…}} / {"ok":false,"error":"…"}
import { parseSignal } from "../core/signals.ts";
import { quoted } from "../text/bytes.ts";
import type { ControlCommand, ServerSpec } from "../core/types.ts";

export type RequestId = string | number | null;

export type Request =
  | { readonly kind: "status"; readonly id: RequestId }
  | { readonly kind: "about"; readonly id: RequestId }
  | { readonly kind: "command"; readonly id: RequestId; readonly command: ControlCommand }
  /** Rotate (or open again) log files: every one (server null), or one server's. */
  | { readonly kind: "logs"; readonly id: RequestId; readonly op: "rotate" | "reopen"; readonly server: number | null }
  /** Read the configuration files again and apply the difference. */
  | { readonly kind: "reload"; readonly id: RequestId }
  /** Run `count` copies of the table or Procfile process `name` (NAME.1 … NAME.N). */
  | { readonly kind: "scale"; readonly id: RequestId; readonly name: string; readonly count: number }
  | { readonly kind: "error"; readonly id: RequestId; readonly error: string };

const COMMANDS = ["about", "status", "revive", "stop", "start", "restart", "signal", "shutdown", "rotate", "reopen", "reload", "scale"] as const;

/** The most copies `ctl scale` may ask for (as `instances` in a config file). */
export const MAX_SCALE = 100;

/** Who a supervisor is: the answer to {"cmd":"about"}, and a row of `ctl ls`. */
export interface About {
  readonly pid: number;
  readonly version: string;
  /** Its working directory. */
  readonly cwd: string;
  /** The config file and Procfile it runs (absolute), or null. */
  readonly config: string | null;
  readonly procfile: string | null;
  readonly servers: number;
  /** Milliseconds since it was started (the process, so across re-execs). */
  readonly uptimeMs: number;
  /** Its control socket. */
  readonly socket: string;
  /** The log files of its servers (those with one), for `ctl logs`; absent from an older lazarus. */
  readonly logs?: readonly { readonly name: string; readonly path: string }[];
  /** Its own JSON event log file, or null. */
  readonly eventLog?: string | null;
}

export function parseRequest(line: string, servers: readonly ServerSpec[]): Request {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { kind: "error", id: null, error: "malformed JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { kind: "error", id: null, error: "a request is a JSON object" };
  const o = data as Record<string, unknown>;
  const id: RequestId = (typeof o.id === "string" && o.id.length <= 64) || (typeof o.id === "number" && Number.isFinite(o.id)) ? o.id : null;
  const err = (error: string): Request => ({ kind: "error", id, error });
  const cmd = o.cmd;
  if (typeof cmd !== "string") return err("missing \"cmd\"");
  if (!(COMMANDS as readonly string[]).includes(cmd)) return err(`unknown command ${JSON.stringify(cmd.slice(0, 40))} (one of ${COMMANDS.join(", ")})`);
  switch (cmd as (typeof COMMANDS)[number]) {
    case "status":
      return { kind: "status", id };
    case "about":
      return { kind: "about", id };
    case "shutdown":
      return { kind: "command", id, command: { op: "shutdown" } };
    case "reload":
      return { kind: "reload", id };
    case "scale": {
      if (typeof o.server !== "string" || o.server === "") return err("missing \"server\" (the name of a config table or Procfile process)");
      const n = o.count;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_SCALE) return err(`bad "count" ${JSON.stringify(n ?? null)} (a whole number of copies from 0 to ${MAX_SCALE})`);
      return { kind: "scale", id, name: o.server, count: n };
    }
    case "revive": {
      if (o.server === undefined || o.server === null) return { kind: "command", id, command: { op: "revive", server: null } };
      const s = resolveServer(o.server, servers);
      return typeof s === "string" ? err(s) : { kind: "command", id, command: { op: "revive", server: s } };
    }
    case "stop":
    case "start":
    case "restart": {
      if (cmd === "restart" && o.rolling === true) return rollRequest(id, o.server, servers);
      const s = resolveServer(o.server, servers);
      return typeof s === "string" ? err(s) : { kind: "command", id, command: { op: cmd as "stop" | "start" | "restart", server: s } };
    }
    case "rotate":
    case "reopen": {
      const op = cmd as "rotate" | "reopen";
      if (o.server === undefined || o.server === null) return { kind: "logs", id, op, server: null };
      const s = resolveServer(o.server, servers);
      return typeof s === "string" ? err(s) : { kind: "logs", id, op, server: s };
    }
    case "signal": {
      const s = resolveServer(o.server, servers);
      if (typeof s === "string") return err(s);
      const sig = typeof o.signal === "string" ? parseSignal(o.signal) : typeof o.signal === "number" ? parseSignal(String(o.signal)) : null;
      if (sig === null) return err(`bad signal ${JSON.stringify(o.signal ?? null)}`);
      return { kind: "command", id, command: { op: "signal", server: s, signal: sig } };
    }
  }
}

/**
 * `restart --rolling`: NAME's copies (NAME.1 … NAME.N, in the order of their
 * numbers), or the one server named NAME.
 */
function rollRequest(id: RequestId, x: unknown, servers: readonly ServerSpec[]): Request {
  if (typeof x !== "string" || x === "") return { kind: "error", id, error: "missing \"server\" (a name: a rolling restart takes NAME's copies NAME.1, NAME.2, …)" };
  const copies = servers.flatMap((s, i) => {
    const n = s.name.startsWith(`${x}.`) ? s.name.slice(x.length + 1) : "";
    return /^[1-9]\d*$/.test(n) ? [{ i, n: Number(n) }] : [];
  }).sort((a, b) => a.n - b.n).map((c) => c.i);
  const one = servers.findIndex((s) => s.name === x);
  const slots = copies.length > 0 ? copies : one >= 0 ? [one] : [];
  if (slots.length === 0) return { kind: "error", id, error: `no server named ${quoted(x.slice(0, 64))} (nor copies of it, ${quoted(`${x.slice(0, 64)}.1`)} …)` };
  return { kind: "command", id, command: { op: "roll", name: x, servers: slots } };
}

/**
 * A server named by its index (a whole number, passed on: the core says when
 * there is no such server) or its name (looked up here).
 */
export function resolveServer(x: unknown, servers: readonly ServerSpec[]): number | string {
  if (typeof x === "number") return Number.isSafeInteger(x) ? x : `bad server index ${x}`;
  if (typeof x === "string") {
    // (an index beyond any a supervisor can have is no server, said as typed: Number() would echo 99999999999999999999 as 100000000000000000000)
    if (/^\d+$/.test(x)) {
      const n = Number(x);
      const typed = `no such server: ${x.length > 40 ? `${x.slice(0, 40)}…` : x}`;
      if (!Number.isSafeInteger(n)) return typed;
      // (007 is server 7; when there is none, the answer says 007, as typed, not the core's 7)
      return String(n) !== x && (servers[n] === undefined || servers[n].name === "") ? typed : n;
    }
    // (never "": the name a removed server's slot is given in the list, so that it finds no server)
    const i = x === "" ? -1 : servers.findIndex((s) => s.name === x);
    return i >= 0 ? i : `no server named ${quoted(x.slice(0, 64))}`;
  }
  return "missing \"server\" (an index or a name)";
}

export function replyOk(id: RequestId, fields: Record<string, unknown>): string {
  return JSON.stringify({ ok: true, ...(id === null ? {} : { id }), ...fields });
}

export function replyError(id: RequestId, error: string): string {
  return JSON.stringify({ ok: false, ...(id === null ? {} : { id }), error });
}
