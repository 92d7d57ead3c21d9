// Server names: what a name may be, wherever it comes from (a config table
// key, a Procfile line, or derived from a command in braces), and the names
// given to servers in braces. Names appear in log lines, output prefixes and
// control commands (`ctl stop web`), so they are one visible word: no
// whitespace, no control characters (C0, DEL, C1), no invisible or reordering
// ones (zero-width characters, bidirectional overrides and isolates: two names
// that look alike, or a name that shows as another), and never all digits
// (which would read as a server's index). A refused name is printed escaped
// (\u202e). Pure.
import { printable, UNPRINTABLE } from "../text/bytes.ts";

/** null when `name` is a valid server name, else why it is not. */
export function nameProblem(name: string): string | null {
  if (name === "") return "a server name cannot be empty";
  const shown = `"${printable(name).replaceAll("\"", "\\\"")}"`;
  if (/\s/.test(name)) return `invalid server name ${shown}: no whitespace allowed`;
  if (new RegExp(UNPRINTABLE.source, "u").test(name)) return `invalid server name ${shown}: no control, invisible or bidirectional characters allowed`;
  if (/^\d+$/.test(name)) return `invalid server name ${shown}: it cannot be all digits`;
  return null;
}

/**
 * Names for servers given in braces: the base name of the command, with a
 * suffix where two servers share one ("sleep", "sleep-2"). Names already taken
 * by servers of a config file or a Procfile (`reserved`) are avoided too.
 */
export function serverNames(argvs: readonly (readonly string[])[], reserved: Iterable<string> = []): string[] {
  const bases = argvs.map((argv) => baseName(argv[0] ?? "server"));
  const taken = new Set<string>(reserved);
  const seen = new Map<string, number>();
  return bases.map((base) => {
    let n = seen.get(base) ?? 0;
    let name: string;
    do {
      n++;
      name = n === 1 ? base : `${base}-${n}`;
    } while (taken.has(name));
    seen.set(base, n);
    taken.add(name);
    return name;
  });
}

function baseName(word: string): string {
  const parts = word.split("/").filter((p) => p !== "");
  const last = parts[parts.length - 1] ?? "";
  const clean = last.replace(/[^A-Za-z0-9_.@+-]/g, "_");
  return clean === "" || /^\d+$/.test(clean) ? `server${clean}` : clean;
}
