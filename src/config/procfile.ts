// The Procfile (foreman's format): one `NAME: COMMAND` per line; blank lines
// and `#` comments are skipped. Procfile commands are written for a shell
// (`$PORT`, `&&`, `cd x && ...`), so each runs as `/bin/sh -c 'exec COMMAND'`:
// the one place where lazarus uses a shell. The `exec` makes the server itself
// the supervised process whenever the command is a single program, so its exit
// status and its signals are its own, not the shell's.
//
// `--initial-spawn` (SPEC 3) works as it does in braces: lazarus replaces that
// argv word by `--respawn` on every later start, but a Procfile command is one
// shell string, so each unquoted `--initial-spawn` word in it is written "$1"
// and the word itself is passed as the shell's $1:
//   /bin/sh -c 'exec ./srv "$1" -v' NAME --initial-spawn
// Pure.
import { INITIAL_SPAWN } from "../core/step.ts";
import { nameProblem } from "./names.ts";

export interface ProcfileServer {
  readonly name: string;
  /** The command as written (after the colon). */
  readonly command: string;
  readonly argv: readonly string[];
  readonly line: number;
}

export type ProcfileResult =
  | { readonly ok: true; readonly servers: readonly ProcfileServer[] }
  | { readonly ok: false; readonly error: string };

export const SHELL = "/bin/sh";

/** argv of a Procfile command (`name` is the shell's $0, used only with --initial-spawn). */
export function shellArgv(command: string, name: string): string[] {
  const spots = plainWords(command).filter((w) => w.text === INITIAL_SPAWN);
  if (spots.length === 0) return [SHELL, "-c", `exec ${command}`];
  let script = command;
  for (const w of spots.reverse()) script = `${script.slice(0, w.start)}"$1"${script.slice(w.end)}`;
  return [SHELL, "-c", `exec ${script}`, name, INITIAL_SPAWN];
}

/**
 * The words of a shell command that a shell would pass on exactly as written:
 * no quote, backslash, `$` or backquote in them, delimited by blanks or
 * operators; scanning stops at a comment. Anything unusual makes a word not
 * plain, which only means it is left alone.
 */
export function plainWords(command: string): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  let start = -1;
  let plain = true;
  let quote: "'" | '"' | null = null;
  const close = (end: number) => {
    if (start >= 0 && plain) out.push({ text: command.slice(start, end), start, end });
    start = -1;
    plain = true;
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote !== null) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (/\s/.test(c) || ";&|()<>".includes(c)) { close(i); continue; }
    if (c === "#" && start < 0) break;
    if (start < 0) start = i;
    if (c === "'" || c === '"') { quote = c; plain = false; continue; }
    if (c === "\\") { i++; plain = false; continue; }
    if (c === "$" || c === "`") plain = false;
  }
  if (quote === null) close(command.length);
  return out;
}

export function parseProcfile(text: string, file: string): ProcfileResult {
  const servers: ProcfileServer[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = (lines[i] as string).replace(/\r$/, "");
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const m = /^\s*([^:\s]+)\s*:(.*)$/.exec(raw);
    if (!m) return fail(file, line, `expected 'NAME: COMMAND', got ${JSON.stringify(shorten(trimmed))}.`);
    const name = m[1] as string;
    const command = (m[2] as string).trim();
    const problem = nameProblem(name);
    if (problem !== null) return fail(file, line, `${problem}.`);
    if (command === "") return fail(file, line, `${name}: empty command.`);
    if (command.includes("\0")) return fail(file, line, `${name}: the command contains a NUL character.`);
    const twin = servers.find((s) => s.name === name);
    if (twin !== undefined) return fail(file, line, `duplicate server name ${JSON.stringify(name)} (also on line ${twin.line}).`);
    servers.push({ name, command, argv: shellArgv(command, name), line });
  }
  return { ok: true, servers };
}

function fail(file: string, line: number, message: string): ProcfileResult {
  return { ok: false, error: `${file}:${line}: ${message}` };
}

function shorten(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}
