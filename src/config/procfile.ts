// The Procfile (foreman's format): one `NAME: COMMAND` per line; blank lines
// and `#` comments are skipped. Procfile commands are written for a shell
// (`$PORT`, `&&`, `cd x && ...`, `PORT=5000 ./srv`), so each runs through
// `/bin/sh -c`: the one place where lazarus uses a shell.
//
// When the command is one simple command (one program and its arguments: no
// operator, no leading `NAME=value`, no shell builtin or keyword first), it
// runs as `/bin/sh -c 'exec COMMAND'`: the server itself is then the
// supervised process, so its exit status and its signals are its own. Any
// other command runs as `/bin/sh -c 'COMMAND'`, unchanged, and the shell is the
// supervised process (its status is the last command's; a shutdown reaches the
// server anyway, through the process group). `exec` before anything else would
// break the command (`exec cd`, `exec PORT=5000`) or drop all but its first
// part (`exec a && b`). When in doubt, the command is left unchanged: that
// only costs the exec, never the meaning.
//
// `--initial-spawn` (docs/spec.md, "Spawning") works as it does in braces: lazarus replaces that
// argv word by `--respawn` on every later start, but a Procfile command is one
// shell string, so each unquoted `--initial-spawn` word in it is written "$1"
// and the word itself is passed as the shell's $1:
//   /bin/sh -c 'exec ./srv "$1" -v' NAME --initial-spawn
// Pure.
import { INITIAL_SPAWN } from "../core/argv.ts";
import { nameProblem } from "./names.ts";
import { splitWords } from "./words.ts";

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
  const exec = isOneProgram(command) ? "exec " : "";
  const spots = plainWords(command).filter((w) => w.text === INITIAL_SPAWN);
  if (spots.length === 0) return [SHELL, "-c", `${exec}${command}`];
  // Pieces joined once (not one splice per word: a line of many such words stays linear).
  const parts: string[] = [];
  let at = 0;
  for (const w of spots) {
    parts.push(command.slice(at, w.start), "\"$1\"");
    at = w.end;
  }
  parts.push(command.slice(at));
  return [SHELL, "-c", `${exec}${parts.join("")}`, name, INITIAL_SPAWN];
}

/** Unquoted, these end a simple command, or make it more than one program. */
const OPERATORS = new Set([";", "&", "|", "(", ")", "<", ">", "\n", "`"]);

/**
 * First words that `exec` cannot run, or would run differently: the shell's
 * reserved words, its special builtins, and the builtins that act on the shell
 * itself or exist only inside it (POSIX, dash and bash). Builtins that are also
 * ordinary programs and behave the same as one (echo, printf, test, true,
 * kill, ...) are not listed: `exec echo hi` runs /bin/echo.
 */
export const SHELL_WORDS: ReadonlySet<string> = new Set([
  // reserved words
  "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until", "while",
  "[[", "]]", "function", "select", "time", "coproc",
  // special builtins
  ".", ":", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set", "shift", "times", "trap", "unset",
  // builtins of the shell itself
  "alias", "bg", "cd", "command", "fc", "fg", "getopts", "hash", "jobs", "newgrp", "pwd", "read", "type", "ulimit", "umask",
  "unalias", "wait", "source", "local", "declare", "typeset", "let", "builtin", "enable", "shopt", "pushd", "popd", "dirs",
  "disown", "suspend", "logout", "caller", "compgen", "complete", "compopt", "history", "mapfile", "readarray", "bind", "help",
]);

/**
 * Whether `command` is one simple command that `exec` runs as it is: no
 * unquoted operator (`&& || ; | & ( ) < >`, a newline, a backquote), no
 * leading `NAME=value`, and a first word that is known and is not one of
 * SHELL_WORDS (nor an option). Whatever this cannot tell for sure (`$` in the
 * first word, `$(` in double quotes, an unterminated quote) counts as not.
 */
export function isOneProgram(command: string): boolean {
  let quote: "'" | '"' | null = null;
  /** Where the first word began and ended (-1: not yet), and whether a word is being read. */
  let start = -1;
  let end = -1;
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      continue;
    }
    if (quote === '"') {
      if (c === "\\") i++;
      else if (c === '"') quote = null;
      else if (c === "`" || (c === "$" && command[i + 1] === "(")) return false;
      continue;
    }
    if (c === " " || c === "\t") {
      if (inWord && end < 0) end = i;
      inWord = false;
      continue;
    }
    if (c === "#" && !inWord) break; // a comment, to the end of the line
    if (OPERATORS.has(c)) return false;
    if (start < 0) start = i;
    inWord = true;
    if (c === "\\") i++;
    else if (c === "'" || c === '"') quote = c;
  }
  if (quote !== null || start < 0) return false;
  const first = command.slice(start, end < 0 ? command.length : end);
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first)) return false;
  // The first word as the shell will see it, when that needs no expansion.
  const words = splitWords(first);
  if (!words.ok || words.words.length !== 1) return false;
  const program = words.words[0] as string;
  return program !== "" && !program.startsWith("-") && !SHELL_WORDS.has(program);
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

/**
 * The quote a Procfile command leaves open (`web: ./srv "x`), which the shell refuses (a
 * Procfile line is one line): said at load with the line, rather than as a server that
 * dies of its shell's syntax error and is buried. Only when nothing in the command can nest
 * quotes (`$(…)`, a backquote, `${…}`), so that it is never a false alarm; after an unquoted
 * `#` that begins a word the rest is a comment.
 */
export function unterminatedQuote(command: string): "'" | '"' | null {
  if (/\$\(|\$\{|`/.test(command)) return null;
  let quote: "'" | '"' | null = null;
  let wordStart = true;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      continue;
    }
    if (quote === '"') {
      if (c === "\\") i++;
      else if (c === '"') quote = null;
      continue;
    }
    if (c === "\\") {
      i++;
      wordStart = false;
      continue;
    }
    if (c === "#" && wordStart) return null;
    if (c === "'" || c === '"') {
      quote = c;
      wordStart = false;
      continue;
    }
    wordStart = c === " " || c === "\t" || ";&|()<>".includes(c);
  }
  return quote;
}

export function parseProcfile(text: string, file: string): ProcfileResult {
  const servers: ProcfileServer[] = [];
  /** Each name's line: a duplicate is found at once however many servers there are. */
  const seen = new Map<string, number>();
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
    const open = unterminatedQuote(command);
    if (open !== null) return fail(file, line, `${name}: unterminated ${open} quote: ${SHELL} would refuse the command.`);
    const twin = seen.get(name);
    if (twin !== undefined) return fail(file, line, `duplicate server name ${JSON.stringify(name)} (also on line ${twin}).`);
    seen.set(name, line);
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
