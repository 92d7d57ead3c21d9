// `lazarus ctl [--control=PATH | --pid=PID] [--json] COMMAND ...`: talk to a
// running lazarus. Which supervisor, what to ask and how to print the answer
// are decided here; the I/O (the socket, the directory listing) comes in
// through `CtlIo`, so this module touches nothing itself.
//
// Which supervisor, when none is named:
//   1. the one started in the current directory (its working directory);
//   2. else the one whose config file or Procfile is in the current directory;
//   3. else, if exactly one lazarus of this user runs, that one;
//   otherwise ctl says which ones it could mean and exits with status 2.
import { basename, dirname, join, resolve } from "node:path";
import { DEFAULT_CONFIG } from "../config/settings.ts";
import { parseToml } from "../config/toml.ts";
import { controlDir, defaultSocket, type PlaceInputs, socketPid } from "../control/path.ts";
import { type About, MAX_SCALE } from "../control/protocol.ts";
import type { ServerStatus } from "../core/status.ts";
import { logFileName } from "../logs/lines.ts";
import { isObject } from "../core/values.ts";
import { printable } from "../text/bytes.ts";
import { type Progress, type ReloadSummary, reloadProgress, type WaitStatus } from "./reload-wait.ts";

export const CTL_USAGE = `usage: lazarus ctl [--control=PATH | --pid=PID] [--json] COMMAND
commands:
  ls                      every running lazarus of this user: pid, servers, uptime, directory, file, socket
  status                  every server: index, name, state, pid, uptime, restarts, last exit, command
  revive [SERVER]         start the buried servers again (all, or one)
  stop SERVER             stop it (its stop signal, SIGKILL after the stop timeout); it stays down
  start SERVER [--wait[=S]]
                          start a stopped or buried server (--wait: as restart's)
  restart SERVER [--wait[=S]]
                          stop it, then start it again; --wait: then wait until it is up and
                          ready (as reload --wait; exit 1 if it is buried)
  restart NAME --rolling  restart NAME's copies (NAME.1, NAME.2, ...) one at a time, each only once
                          the one before is ready again; the first that fails stops the roll
  signal SERVER SIGNAL    send a signal to it (e.g. HUP)
  shutdown                stop every server and exit, as SIGTERM does
  reload [--wait[=S]]     read the config file, Procfile and .env file again and apply the
                          difference: unchanged servers are not touched, changed ones restart
                          (a change of policy alone, such as a stop timeout or a health check,
                          applies in place: updated), new ones start, removed ones stop; an
                          invalid file changes nothing.
                          --wait: then wait (at most S seconds, default 600) until every change
                          has taken effect: new and changed servers up and ready, removed ones
                          ended, no rolling restart under way; exit 1 if one is buried
  scale NAME N [--wait[=S]]
                          run N copies (0 to 100) of a config table or Procfile process,
                          NAME.1 ... NAME.N: the highest-numbered stop first, the others
                          are untouched (kept by a later reload unless the file's count changes);
                          0 stops them all until a later scale (lazarus keeps running)
  rotate [SERVER]         rotate the log files now (all of them, or one server's)
  reopen [SERVER]         open the log files again (after an external rotator moved them)
  logs [SERVER] [-n N] [-f]
                          the last N lines (default 10) of a server's log file, or of every
                          log merged by time with prefixes ('lazarus' is lazarus's event log);
                          -f: then follow them, across rotations, until interrupted
  --log-dir=DIR logs ...  read the log files in DIR, with no supervisor running (without it and
                          without a supervisor: the log_dir of ./lazarus.toml)
SERVER is an index (0, 1, ...) or a name (logs: a name).
Which lazarus: --control=PATH (its socket), --pid=PID, or by default the one started
in this directory (or from a config file or Procfile here), or the only one running.
`;

export type ClientResult =
  | { readonly ok: true; readonly reply: Record<string, unknown> }
  | { readonly ok: false; readonly error: string; readonly refused?: boolean };

/** What `lazarus ctl` needs from the world. */
export interface CtlIo {
  readonly cwd: string;
  /** Monotonic milliseconds (reload --wait's bound). */
  now(): number;
  /** Resolves after `ms` milliseconds (reload --wait asks again that often). */
  sleep(ms: number): Promise<void>;
  readonly place: PlaceInputs;
  /** The names in a directory; null when it cannot be read. */
  listDir(dir: string): readonly string[] | null;
  /** Whether a process with this pid exists. */
  pidAlive(pid: number): boolean;
  unlink(path: string): void;
  request(path: string, body: Record<string, unknown>, timeoutMs: number): Promise<ClientResult>;
  /**
   * `ctl logs`: print the last `lines` lines of these logs (merged by time,
   * with name prefixes when there are several), then with `follow` the new
   * ones as they come, across rotations, until interrupted (SIGINT). Prints
   * to stdout itself; resolves with a problem text, or null.
   */
  showLogs(opts: { readonly sources: readonly LogSource[]; readonly lines: number; readonly follow: boolean }): Promise<string | null>;
  /** The text of a small regular file (lazarus.toml), or null when there is none to read. */
  readText(path: string): string | null;
}

/** A log to read: the name in front of its lines, and the path of its live file. */
export interface LogSource {
  readonly name: string;
  readonly path: string;
}

export interface CtlOutput {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

const TIMEOUT_MS = 5000;
/** How long `restart --rolling` waits for its answer. */
const ROLL_TIMEOUT_MS = 3_600_000;
/** How long a supervisor found in the directory may take to say who it is. */
const ABOUT_TIMEOUT_MS = 2000;
/** reload --wait: how long by default, and how often the status is asked for meanwhile. */
const WAIT_DEFAULT_S = 600;
const WAIT_POLL_MS = 100;
/** reload --wait: status requests that fail in a row before it gives up. */
const WAIT_FAILURES = 10;

/** Parse the ctl words into a request body, or a usage problem. */
export function ctlRequest(words: readonly string[]): Record<string, unknown> | string {
  const [cmd, ...rest] = words;
  const need = (n: number) => (rest.length === n ? null : `${cmd} takes ${n === 0 ? "no arguments" : n === 1 ? "one argument (SERVER)" : "two arguments (SERVER SIGNAL)"}`);
  switch (cmd) {
    case undefined: return "no command given";
    case "status":
    case "shutdown":
    case "reload":
    case "ls":
      return need(0) ?? { cmd };
    case "revive":
    case "rotate":
    case "reopen":
      if (rest.length > 1) return `${cmd} takes at most one argument (SERVER)`;
      return rest.length === 0 ? { cmd } : { cmd, server: rest[0] };
    case "restart":
      if (rest.includes("--rolling")) {
        const names = rest.filter((w) => w !== "--rolling");
        return names.length === 1 && rest.length === 2 ? { cmd, server: names[0], rolling: true } : "restart --rolling takes one argument (NAME)";
      }
      return need(1) ?? { cmd, server: rest[0] };
    case "stop":
    case "start":
      return need(1) ?? { cmd, server: rest[0] };
    case "signal":
      return need(2) ?? { cmd, server: rest[0], signal: rest[1] };
    case "scale": {
      if (rest.length !== 2) return "scale takes two arguments (NAME N)";
      const n = rest[1] as string;
      if (!/^\d{1,3}$/.test(n) || Number(n) > MAX_SCALE) return `scale: ${JSON.stringify(n.slice(0, 40))} is not a number of copies from 0 to ${MAX_SCALE}`;
      return { cmd, server: rest[0], count: Number(n) };
    }
    default:
      return `unknown command: ${cmd}`;
  }
}

interface CtlOptions {
  readonly control: string | null;
  readonly pid: number | null;
  readonly json: boolean;
  /** --log-dir=DIR: `logs` reads the files there, without asking a supervisor. */
  readonly logDir: string | null;
  readonly words: readonly string[];
}

function parseOptions(args: readonly string[]): CtlOptions | { help: true } | string {
  let control: string | null = null;
  let pid: number | null = null;
  let json = false;
  let logDir: string | null = null;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (words.length > 0) {
      words.push(a); // after the command: its arguments, whatever they look like
      continue;
    }
    const valued = /^--(control|pid)(?:=(.*))?$/s.exec(a);
    if (valued !== null) {
      const name = valued[1] as "control" | "pid";
      let value = valued[2];
      if (value === undefined) {
        value = args[++i];
        if (value === undefined) return `--${name} needs a value`;
      }
      if (name === "control") {
        if (control !== null || pid !== null) return "give one of --control and --pid, once";
        if (value === "") return "--control needs a socket path";
        if (value === "none") return "--control=none leaves nothing to talk to";
        control = value;
      } else {
        if (control !== null || pid !== null) return "give one of --control and --pid, once";
        if (!/^[1-9]\d{0,9}$/.test(value)) return `invalid --pid: ${JSON.stringify(value.slice(0, 40))} (a process id)`;
        pid = Number(value);
      }
    } else if (a === "--json") {
      json = true;
    } else if (a.startsWith("--log-dir=")) {
      logDir = a.slice("--log-dir=".length);
      if (logDir === "") return "--log-dir needs a directory";
    } else if (a === "--help" || a === "-h") {
      return { help: true };
    } else if (a.startsWith("-")) {
      return `unrecognised option: ${JSON.stringify(a.slice(0, 40)).slice(1, -1)}`;
    } else {
      words.push(a);
    }
  }
  return { control, pid, json, logDir, words };
}

export async function ctl(args: readonly string[], io: CtlIo): Promise<CtlOutput> {
  const o = parseOptions(args);
  if (typeof o === "string") return usageError(o);
  if ("help" in o) return { status: 0, stdout: CTL_USAGE, stderr: "" };
  if (o.words[0] === "logs") return logs(io, o);
  if (o.logDir !== null) return usageError("--log-dir is for logs");
  const waitWords = takeWait(o.words);
  if (typeof waitWords === "string") return usageError(waitWords);
  const body = ctlRequest(waitWords.words);
  if (typeof body === "string") return usageError(body);
  if (body.cmd === "ls") {
    if (o.control !== null || o.pid !== null) return usageError("ls lists every supervisor: it takes no --control or --pid");
    return list(io, o.json);
  }
  const target = await choose(io, o);
  if (typeof target !== "string") return target;
  // A rolling restart answers once every copy is ready again (or one failed): it may take long.
  const r = await io.request(target, body, body.rolling === true ? ROLL_TIMEOUT_MS : TIMEOUT_MS);
  if (!r.ok) return fail(1, r.error);
  const reply = r.reply;
  if (waitWords.waitS !== null && reply.ok === true) return waitForChange(io, target, body, reply, waitWords.waitS, o.json);
  if (o.json) return { status: reply.ok === true ? 0 : 1, stdout: `${JSON.stringify(reply)}\n`, stderr: "" };
  if (reply.ok !== true) return fail(1, `refused: ${String(reply.error)}`);
  if (body.cmd === "status") return { status: 0, stdout: statusTable(reply.status as StatusReply), stderr: "" };
  if (body.cmd === "reload" || body.cmd === "scale") return { status: 0, stdout: reloadText(String(reply.message), reply.reload), stderr: "" };
  return { status: 0, stdout: `${String(reply.message)}\n`, stderr: "" };
}

/** `--wait` or `--wait=S` after `reload` or `scale NAME N`: taken out of the words, with its bound in seconds (null: none given). */
function takeWait(words: readonly string[]): { readonly words: readonly string[]; readonly waitS: number | null } | string {
  const cmd = words[0];
  const flags = words.filter((w) => w === "--wait" || w.startsWith("--wait="));
  if (flags.length === 0) return { words, waitS: null };
  if (cmd !== "reload" && cmd !== "scale" && cmd !== "start" && cmd !== "restart") {
    return `--wait is for reload, scale, start and restart, not ${cmd === undefined ? "no command" : printable(cmd)}`;
  }
  if (cmd === "restart" && words.includes("--rolling")) return "restart --rolling waits for its end already: no --wait";
  if (flags.length > 1) return "give --wait once";
  const flag = flags[0] as string;
  const value = flag === "--wait" ? String(WAIT_DEFAULT_S) : flag.slice("--wait=".length);
  if (!/^\d{1,7}(\.\d{1,3})?$/.test(value) || Number(value) <= 0) return `--wait=${JSON.stringify(value.slice(0, 40)).slice(1, -1)}: not a number of seconds above 0`;
  return { words: words.filter((w) => w !== flag), waitS: Number(value) };
}

/**
 * After a reload (or scale, start, restart) was applied: ask for the status until
 * every change has taken effect (reload-wait.ts), one has failed, or `waitS`
 * seconds have passed. A start or a restart changes the one server it names.
 */
async function waitForChange(io: CtlIo, target: string, body: Record<string, unknown>, reply: Record<string, unknown>, waitS: number, json: boolean): Promise<CtlOutput> {
  const one = body.cmd === "start" || body.cmd === "restart" ? String(body.server) : null;
  let summary: ReloadSummary | null = one === null ? summaryOf(reply.reload) : null;
  const deadline = io.now() + waitS * 1000;
  let progress: Progress = { kind: "waiting", for: ["the first status"] };
  let problem: string | null = null;
  // A status request may fail now and then (the supervisor re-execs, say): only so many in a row end the wait.
  let failures = 0;
  for (;;) {
    const r = await io.request(target, { cmd: "status" }, TIMEOUT_MS);
    if (!r.ok) problem = r.error;
    else if (r.reply.ok !== true) problem = String(r.reply.error);
    else {
      problem = null;
      failures = 0;
      const st = r.reply.status as WaitStatus;
      if (summary === null) {
        // The server a start or restart named, by its name in the first status: digits are an index (as the
        // supervisor reads them: names are never all digits), anything else a name.
        const rows = (r.reply.status as { readonly servers: readonly { readonly index: number; readonly name: string }[] }).servers;
        const row = /^\d+$/.test(one as string) ? rows.find((x) => x.index === Number(one)) : rows.find((x) => x.name === one);
        if (row === undefined) {
          problem = `no server ${JSON.stringify(one)} in its status`;
          break;
        }
        summary = { added: [], changed: [row.name], removed: [] };
      }
      progress = reloadProgress(summary, st, one !== null);
    }
    if ((problem !== null && ++failures >= WAIT_FAILURES) || (problem === null && progress.kind !== "waiting") || io.now() >= deadline) break;
    await io.sleep(Math.min(WAIT_POLL_MS, Math.max(1, deadline - io.now())));
  }
  const what = one === null ? "the reload" : `the ${String(body.cmd)}`;
  const outcome = problem !== null ? { ok: false, message: `while waiting for ${what} to take effect: ${problem}` }
    : progress.kind === "done" ? {
      ok: true,
      // (none added or changed: a scale to 0, a reload that only removes)
      message: one === null && progress.servers === 0 ? "in effect: nothing removed still runs"
        : one === null ? `in effect: the ${progress.servers} added or changed server(s) are up and ready (or at rest), nothing removed still runs`
        : `in effect: '${printable(summary?.changed[0] ?? one)}' is up and ready (or at rest)`,
    }
    : progress.kind === "failed" ? { ok: false, message: `did not take effect: ${progress.why}` }
    : { ok: false, message: `not in effect after ${waitS} s: waiting for ${progress.for.join(", ")}` };
  if (json) return { status: outcome.ok ? 0 : 1, stdout: `${JSON.stringify({ ...reply, wait: outcome })}\n`, stderr: "" };
  const text = one === null ? reloadText(String(reply.message), reply.reload) : `${String(reply.message)}\n`;
  if (!outcome.ok) return { status: 1, stdout: text, stderr: `lazarus: ctl: ${printable(outcome.message)}\n` };
  return { status: 0, stdout: `${text}${outcome.message}\n`, stderr: "" };
}

function summaryOf(reload: unknown): ReloadSummary {
  const r = reload as Partial<Record<"added" | "changed" | "removed", unknown>> | null | undefined;
  const names = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return { added: names(r?.added), changed: names(r?.changed), removed: names(r?.removed) };
}

/**
 * A reload's reply: its summary line, then the names it added, changed, removed and left alone, a line each, and of
 * those left alone the ones whose policy it changed in place (`updated`: absent from an older supervisor).
 */
export function reloadText(message: string, reload: unknown): string {
  const r = reload as Partial<Record<"added" | "changed" | "removed" | "unchanged" | "updated", unknown>> | null | undefined;
  const lines = [message];
  for (const k of ["added", "changed", "removed", "unchanged", "updated"] as const) {
    const names = r?.[k];
    if (Array.isArray(names) && names.length > 0) lines.push(`${k}: ${names.map((n) => printable(String(n))).join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

function usageError(message: string): CtlOutput {
  return fail(2, `${message} (see lazarus ctl --help)`);
}

function fail(status: number, message: string): CtlOutput {
  return { status, stdout: "", stderr: `lazarus: ctl: ${printable(message)}\n` };
}

/** A supervisor found in the control directory: who it is, or why it does not say. */
type Found =
  | { readonly ok: true; readonly about: About }
  | { readonly ok: false; readonly pid: number; readonly socket: string; readonly error: string };

/**
 * Every supervisor of this user with a default socket. A socket whose pid is
 * gone and that nobody listens on is stale: it is removed (never one that
 * answers, nor one whose process still exists).
 */
export async function discover(io: CtlIo): Promise<Found[]> {
  const dir = controlDir(io.place);
  const names = io.listDir(dir) ?? [];
  const found = await Promise.all(names.map(async (name): Promise<Found | null> => {
    const pid = socketPid(name);
    if (pid === null) return null;
    const socket = `${dir}/${name}`;
    const r = await io.request(socket, { cmd: "about" }, ABOUT_TIMEOUT_MS);
    if (r.ok && r.reply.ok === true && isAbout(r.reply.about)) return { ok: true, about: r.reply.about };
    if (!r.ok && r.refused === true && !io.pidAlive(pid)) {
      io.unlink(socket);
      return null;
    }
    return { ok: false, pid, socket, error: r.ok ? "an answer that is not about a supervisor" : r.error };
  }));
  return found.filter((f): f is Found => f !== null).sort((a, b) => pidOf(a) - pidOf(b));
}

function pidOf(f: Found): number {
  return f.ok ? f.about.pid : f.pid;
}

function isAbout(x: unknown): x is About {
  const a = x as Partial<About> | null;
  return typeof a === "object" && a !== null && typeof a.pid === "number" && typeof a.cwd === "string" && typeof a.socket === "string" &&
    typeof a.servers === "number" && typeof a.uptimeMs === "number";
}

/** The socket to talk to, or the output that says why there is none. */
async function choose(io: CtlIo, o: CtlOptions): Promise<string | CtlOutput> {
  if (o.control !== null) return o.control;
  if (o.pid !== null) {
    const own = defaultSocket(io.place, o.pid);
    const r = await io.request(own, { cmd: "about" }, ABOUT_TIMEOUT_MS);
    if (r.ok && r.reply.ok === true && isAbout(r.reply.about) && r.reply.about.pid === o.pid) return own;
    const hit = (await discover(io)).find((f) => f.ok && f.about.pid === o.pid);
    if (hit !== undefined && hit.ok) return hit.about.socket;
    return fail(1, `no lazarus with pid ${o.pid} is running for this user (${r.ok ? own : r.error})`);
  }
  const all = await discover(io);
  const running = all.flatMap((f) => (f.ok ? [f.about] : []));
  if (running.length === 0) {
    const silent = all.length === 0 ? "" : `; ${all.length} socket${all.length === 1 ? "" : "s"} there did not answer`;
    return fail(1, `no lazarus is running for this user (none in ${controlDir(io.place)}${silent})`);
  }
  const here = running.filter((a) => a.cwd === io.cwd);
  const fromFile = running.filter((a) => [a.config, a.procfile].some((f) => f !== null && dirname(f) === io.cwd));
  for (const group of [here, fromFile]) {
    if (group.length === 1) return (group[0] as About).socket;
    if (group.length > 1) return fail(2, `${group.length} supervisors were started here; choose one with --pid=PID: ${group.map(describe).join(", ")}`);
  }
  if (running.length === 1) return (running[0] as About).socket;
  return fail(2, `${running.length} supervisors are running and none was started here; choose one with --pid=PID: ${running.map(describe).join(", ")}`);
}

/** "1234 (in /srv/app, lazarus.toml)" */
function describe(a: About): string {
  const file = a.config ?? a.procfile;
  return `${a.pid} (in ${a.cwd}${file === null ? "" : `, ${basename(file)}`})`;
}

async function list(io: CtlIo, json: boolean): Promise<CtlOutput> {
  const all = await discover(io);
  if (json) {
    const supervisors = all.map((f) => (f.ok ? f.about : { pid: f.pid, socket: f.socket, error: f.error }));
    return { status: 0, stdout: `${JSON.stringify({ ok: true, supervisors })}\n`, stderr: "" };
  }
  if (all.length === 0) return { status: 0, stdout: `no lazarus is running for this user (none in ${controlDir(io.place)})\n`, stderr: "" };
  const head = ["PID", "SERVERS", "UPTIME", "DIRECTORY", "FILE", "SOCKET"];
  const rows = all.map((f) => f.ok
    ? [String(f.about.pid), String(f.about.servers), uptime(f.about.uptimeMs), f.about.cwd, f.about.config ?? f.about.procfile ?? "-", f.about.socket]
    : [String(f.pid), "-", "-", `(not answering: ${f.error})`, "-", f.socket]);
  return { status: 0, stdout: table(head, rows), stderr: "" };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ").trimEnd();
  return `${[fmt(head), ...rows.map(fmt)].join("\n")}\n`;
}

/** A log file as `status` shows it: its path, the lines it dropped, and why it drops lines now (or null). */
interface LogStatus {
  readonly path: string;
  readonly dropped: number;
  readonly failing: string | null;
}

interface StatusReply {
  readonly pid: number | null;
  readonly version: string;
  readonly phase: string;
  /** The rolling restart under way (absent from an older supervisor's reply). */
  readonly rolling?: string | null;
  /** `user`: whom it runs as, when another user than lazarus (absent otherwise, and from an older supervisor). */
  readonly servers: readonly (ServerStatus & { readonly log?: LogStatus | null; readonly user?: string })[];
  readonly eventLog?: LogStatus | null;
  /** The tables `ctl scale` holds at 0 copies (absent: none, or an older supervisor). */
  readonly scaledToZero?: readonly string[];
}

export function uptime(ms: number | null): string {
  if (ms === null) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor(s / 3600) % 24).padStart(2, "0")}h`;
}

export function statusTable(st: StatusReply): string {
  // The lines each server's log file dropped, when any server has one.
  const logged = st.servers.some((s) => s.log !== undefined && s.log !== null);
  // Whom each server runs as, when one runs as another user than lazarus.
  const users = st.servers.some((s) => s.user !== undefined);
  const head = ["#", "NAME", "STATE", "PID", ...(users ? ["USER"] : []), "UPTIME", "RESTARTS", "LAST EXIT", ...(logged ? ["LOG DROPS"] : []), "COMMAND"];
  const rows = st.servers.map((s) => [
    String(s.index), printable(s.name), stateCell(s), s.pid === null ? "-" : String(s.pid), ...(users ? [s.user === undefined ? "-" : printable(s.user)] : []),
    uptime(s.uptime), String(s.restarts), s.lastExit ?? "-", ...(logged ? [logDrops(s.log ?? null)] : []), printable(s.command.join(" ")),
  ]);
  const title = `lazarus ${st.version} (pid ${st.pid ?? "?"}), ${st.phase}${st.rolling == null ? "" : `, rolling restart of ${printable(st.rolling)} under way`}`;
  const ev = st.eventLog ?? null;
  const tail = ev === null || (ev.dropped === 0 && ev.failing === null) ? ""
    : `event log ${printable(ev.path)}: ${ev.dropped} lines dropped${ev.failing === null ? "" : ` (failing: ${printable(ev.failing)})`}\n`;
  const failing = st.servers.flatMap((s) => (s.log?.failing ? [`log of ${printable(s.name)}: ${printable(s.log.failing)}\n`] : [])).join("");
  const zero = st.scaledToZero ?? [];
  const held = zero.length === 0 ? "" : `scaled to 0: ${zero.map(printable).join(", ")} (ctl scale NAME N runs copies again)\n`;
  return `${title}\n${table(head, rows)}${held}${failing}${tail}`;
}

/** "alive", "alive (stopping)", "starting (not ready)", "waiting (db, cache)", "backoff (retry 2)". */
function stateCell(s: ServerStatus): string {
  // A reload's new spec waits for this process to end (absent from an older supervisor's reply).
  if (s.state === "alive" && s.pendingSpec === true) return s.stopping ? "alive (stopping, changed)" : "alive (changed: old spec)";
  if (s.state === "alive" && s.stopping) return "alive (stopping)";
  if (s.state === "alive" && s.ready === false) return "starting (not ready)";
  if (s.state === "waiting" && s.behind !== undefined && s.behind !== null) return `waiting (old process${s.behind.pid === null ? "" : ` ${s.behind.pid}`} to end)`;
  if (s.state === "waiting" && s.waitingFor.length > 0) return `waiting (${s.waitingFor.map(printable).join(", ")})`;
  if (s.state === "backoff") return `backoff (retry ${s.retries})`;
  return s.state;
}

function logDrops(log: LogStatus | null): string {
  if (log === null) return "-";
  return log.failing === null ? String(log.dropped) : `${log.dropped} (failing)`;
}

// --- ctl logs

const LOGS_USAGE = "logs takes [SERVER] [-n N] [-f]";

/** `ctl logs [SERVER] [-n N] [-f]`: the files' paths from the supervisor (its about reply), or from --log-dir. */
async function logs(io: CtlIo, o: CtlOptions): Promise<CtlOutput> {
  let server: string | null = null;
  let lines = 10;
  let follow = false;
  const rest = o.words.slice(1);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const n = /^(?:-n|--lines=?)(\d*)$/.exec(a);
    if (n !== null) {
      const value = n[1] !== "" ? n[1] : rest[++i];
      if (value === undefined || !/^\d{1,9}$/.test(value)) return usageError(`-n needs a number of lines (${LOGS_USAGE})`);
      lines = Number(value);
    } else if (a === "-f" || a === "--follow") {
      follow = true;
    } else if (a.startsWith("-") || server !== null) {
      return usageError(`unexpected ${JSON.stringify(a.slice(0, 40))} (${LOGS_USAGE})`);
    } else {
      server = a;
    }
  }
  let all: LogSource[];
  if (o.logDir !== null) {
    all = logsIn(io, o.logDir);
    if (all.length === 0) return fail(1, `no log files (NAME.log) in ${o.logDir}`);
    if (server !== null && !all.some((s) => s.name === server)) all.push({ name: server, path: join(o.logDir, logFileName(server)) });
  } else {
    const target = await choose(io, o);
    if (typeof target !== "string") {
      // No supervisor to ask: the log_dir of the lazarus.toml here, if it names one.
      const dir = configLogDir(io);
      if (dir === null) return target;
      all = logsIn(io, dir);
      if (all.length === 0) return fail(1, `no supervisor to ask, and no log files (NAME.log) in ${dir} (log_dir of ${DEFAULT_CONFIG})`);
      if (server !== null && !all.some((s) => s.name === server)) all.push({ name: server, path: join(dir, logFileName(server)) });
      return showSome(io, all, server, lines, follow);
    }
    const r = await io.request(target, { cmd: "about" }, TIMEOUT_MS);
    if (!r.ok) return fail(1, r.error);
    if (r.reply.ok !== true || !isAbout(r.reply.about)) return fail(1, `refused: ${String(r.reply.error ?? "no answer about the supervisor")}`);
    const about = r.reply.about;
    all = [...(about.logs ?? [])];
    if (about.eventLog !== undefined && about.eventLog !== null && !all.some((s) => s.name === "lazarus")) all.push({ name: "lazarus", path: about.eventLog });
    if (all.length === 0) return fail(1, `the supervisor (pid ${about.pid}) keeps no log files (log_dir, --log-dir, event_log)`);
  }
  return showSome(io, all, server, lines, follow);
}

/** The top-level log_dir of the lazarus.toml in the working directory (relative to it), or null. */
function configLogDir(io: CtlIo): string | null {
  const text = io.readText(join(io.cwd, DEFAULT_CONFIG));
  if (text === null) return null;
  const r = parseToml(text);
  if (!r.ok || !isObject(r.data)) return null;
  const dir = r.data.log_dir;
  return typeof dir === "string" && dir !== "" ? resolve(io.cwd, dir) : null;
}

async function showSome(io: CtlIo, all: LogSource[], server: string | null, lines: number, follow: boolean): Promise<CtlOutput> {
  let sources = all;
  if (server !== null) {
    const one = all.find((s) => s.name === server);
    if (one === undefined) return fail(1, `no log file for ${JSON.stringify(server.slice(0, 64))}; there are: ${all.map((s) => s.name).join(", ")}`);
    sources = [one];
  }
  const problem = await io.showLogs({ sources, lines, follow });
  return problem === null ? { status: 0, stdout: "", stderr: "" } : fail(1, problem);
}

/** The logs in a directory: every NAME.log (NAME with its %XX escapes undone). */
function logsIn(io: CtlIo, dir: string): LogSource[] {
  return (io.listDir(dir) ?? []).filter((f) => f.endsWith(".log") && f.length > 4).sort().map((f) => {
    const escaped = f.slice(0, -4);
    let name = escaped;
    try {
      name = decodeURIComponent(escaped);
    } catch { /* not an escape of ours: the name as it is */ }
    return { name, path: join(dir, f) };
  });
}
