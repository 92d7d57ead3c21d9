// `lazarus ctl [--control=PATH] [--json] COMMAND ...`: talk to a running lazarus.
import { request } from "../control/client.ts";
import { controlPlace } from "../control/path.ts";
import { seconds } from "../core/describe.ts";
import type { ServerStatus } from "../core/status.ts";

export const CTL_USAGE = `usage: lazarus ctl [--control=PATH] [--json] COMMAND
commands:
  status                  every server: index, name, state, pid, uptime, restarts, last exit, command
  revive [SERVER]         start the buried servers again (all, or one)
  stop SERVER             stop it (its stop signal, SIGKILL after the stop timeout); it stays down
  start SERVER            start a stopped or buried server
  restart SERVER          stop it, then start it again
  signal SERVER SIGNAL    send a signal to it (e.g. HUP)
  shutdown                stop every server and exit, as SIGTERM does
SERVER is an index (0, 1, ...) or a name.
`;

export interface CtlOutput {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Parse the ctl words into a request body, or a usage problem. */
export function ctlRequest(words: readonly string[]): Record<string, unknown> | string {
  const [cmd, ...rest] = words;
  const need = (n: number) => (rest.length === n ? null : `${cmd} takes ${n === 0 ? "no arguments" : n === 1 ? "one argument (SERVER)" : "two arguments (SERVER SIGNAL)"}`);
  switch (cmd) {
    case undefined: return "no command given";
    case "status":
    case "shutdown":
      return need(0) ?? { cmd };
    case "revive":
      if (rest.length > 1) return "revive takes at most one argument (SERVER)";
      return rest.length === 0 ? { cmd } : { cmd, server: rest[0] };
    case "stop":
    case "start":
    case "restart":
      return need(1) ?? { cmd, server: rest[0] };
    case "signal":
      return need(2) ?? { cmd, server: rest[0], signal: rest[1] };
    default:
      return `unknown command: ${cmd}`;
  }
}

export async function ctl(args: readonly string[]): Promise<CtlOutput> {
  let control: string | null = null;
  let json = false;
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith("--control=")) control = a.slice("--control=".length);
    else if (a === "--json") json = true;
    else if (a === "--help" || a === "-h") return { status: 0, stdout: CTL_USAGE, stderr: "" };
    else if (a.startsWith("--")) return { status: 2, stdout: "", stderr: `lazarus: ctl: unrecognised option: ${a}\n` };
    else words.push(a);
  }
  const body = ctlRequest(words);
  if (typeof body === "string") return { status: 2, stdout: "", stderr: `lazarus: ctl: ${body} (see lazarus ctl --help)\n` };
  const place = controlPlace(control);
  if (place === null) return { status: 2, stdout: "", stderr: "lazarus: ctl: --control=none leaves nothing to talk to\n" };
  const r = await request(place.path, body);
  if (!r.ok) return { status: 1, stdout: "", stderr: `lazarus: ctl: ${r.error}\n` };
  const reply = r.reply;
  if (json) return { status: reply.ok === true ? 0 : 1, stdout: `${JSON.stringify(reply)}\n`, stderr: "" };
  if (reply.ok !== true) return { status: 1, stdout: "", stderr: `lazarus: ctl: refused: ${String(reply.error)}\n` };
  if (body.cmd === "status") return { status: 0, stdout: statusTable(reply.status as StatusReply), stderr: "" };
  return { status: 0, stdout: `${String(reply.message)}\n`, stderr: "" };
}

interface StatusReply {
  readonly pid: number | null;
  readonly version: string;
  readonly phase: string;
  readonly servers: readonly ServerStatus[];
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
  const head = ["#", "NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "COMMAND"];
  const rows = st.servers.map((s) => [
    String(s.index), s.name, s.state + (s.stopping ? " (stopping)" : ""), s.pid === null ? "-" : String(s.pid),
    uptime(s.uptime), String(s.restarts), s.lastExit ?? "-", s.command.join(" "),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ").trimEnd();
  const title = `lazarus ${st.version} (pid ${st.pid ?? "?"}), ${st.phase}`;
  return `${title}\n${[fmt(head), ...rows.map(fmt)].join("\n")}\n`;
}

export { seconds };
