// The Procfile (foreman's format): one `NAME: COMMAND` per line; blank lines
// and `#` comments are skipped. Procfile commands are written for a shell
// (`$PORT`, `&&`, `cd x && ...`), so each runs as `/bin/sh -c 'exec COMMAND'`:
// the one place where lazarus uses a shell. The `exec` makes the server itself
// the supervised process whenever the command is a single program, so its exit
// status and its signals are its own, not the shell's. Pure.
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

/** argv of a Procfile command. */
export function shellArgv(command: string): string[] {
  return [SHELL, "-c", `exec ${command}`];
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
    servers.push({ name, command, argv: shellArgv(command), line });
  }
  return { ok: true, servers };
}

function fail(file: string, line: number, message: string): ProcfileResult {
  return { ok: false, error: `${file}:${line}: ${message}` };
}

function shorten(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}
