// What a server's name may be, wherever it comes from (a config table key, a
// Procfile line, or derived from a command in braces). Names appear in log
// lines, output prefixes and control commands (`ctl stop web`), so they are
// one word, and never all digits (which would read as a server's index). Pure.

/** null when `name` is a valid server name, else why it is not. */
export function nameProblem(name: string): string | null {
  if (name === "") return "a server name cannot be empty";
  if (/\s/.test(name)) return `invalid server name ${JSON.stringify(name)}: no whitespace allowed`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `invalid server name ${JSON.stringify(name)}: no control characters allowed`;
  if (/^\d+$/.test(name)) return `invalid server name ${JSON.stringify(name)}: it cannot be all digits`;
  return null;
}
