// What a server's name may be, wherever it comes from (a config table key, a
// Procfile line, or derived from a command in braces). Names appear in log
// lines, output prefixes and control commands (`ctl stop web`), so they are
// one visible word: no whitespace, no control characters (C0, DEL, C1), no
// invisible or reordering ones (zero-width characters, bidirectional
// overrides and isolates: two names that look alike, or a name that shows
// as another), and never all digits (which would read as a server's index).
// A refused name is printed escaped (\u202e). Pure.
import { printable, UNPRINTABLE } from "../os/bytes.ts";

/** null when `name` is a valid server name, else why it is not. */
export function nameProblem(name: string): string | null {
  if (name === "") return "a server name cannot be empty";
  const shown = `"${printable(name).replaceAll("\"", "\\\"")}"`;
  if (/\s/.test(name)) return `invalid server name ${shown}: no whitespace allowed`;
  if (new RegExp(UNPRINTABLE.source, "u").test(name)) return `invalid server name ${shown}: no control, invisible or bidirectional characters allowed`;
  if (/^\d+$/.test(name)) return `invalid server name ${shown}: it cannot be all digits`;
  return null;
}
