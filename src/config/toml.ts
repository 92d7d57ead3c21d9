// Parsing TOML: the one place that knows which parser lazarus uses. Pure.
//
// smol-toml, not the TOML parser built into Bun: Bun 1.4.5's parser takes time quadratic in
// the number of keys of a table (measured: 16,000 keys 0.6 s, 64,000 keys 22 s;
// 16,000 tables or dotted keys 2 to 4 s), so a config file within the 1 MiB
// limit could keep lazarus busy for about a minute before it says anything,
// and it reports no line for a syntax error. smol-toml is linear (a 4 MB file
// of 256,000 keys in 0.4 s), limits nesting (no stack overflow), reports the
// line and column of an error, and is as compliant (toml-test: 209 of 210
// valid files, 478 of 499 invalid ones refused). bench/bad-input.ts measures both.
import { parse, TomlError } from "smol-toml";
import { deepestKey } from "./toml-lines.ts";

/**
 * How deep keys and values may nest. lazarus's deepest key is 4 levels
 * (servers.NAME.env.KEY); a limit well above it keeps a hostile file (a key of
 * 500,000 dotted parts, an array in an array in ...) from costing memory out
 * of proportion to its size.
 */
export const MAX_DEPTH = 32;

export type TomlResult =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly line: number | null; readonly column: number | null; readonly message: string };

export function parseToml(text: string): TomlResult {
  const deepest = deepestKey(text);
  if (deepest !== null && deepest.path.length > MAX_DEPTH) {
    return { ok: false, line: deepest.line, column: null, message: `a key nested ${deepest.path.length} levels deep (at most ${MAX_DEPTH}; lazarus's keys go 4 deep)` };
  }
  try {
    return { ok: true, data: parse(text, { maxDepth: MAX_DEPTH }) };
  } catch (e) {
    if (e instanceof TomlError) {
      let what = (e.message.split("\n", 1)[0] ?? "").replace(/^Invalid TOML document: /, "").replace(/(\. aborting)?\.$/, "");
      const where = found(text, e.line, e.column);
      // A basic string that reaches the end of its line is unterminated (it is the newline that is refused).
      if (what === "control characters are not allowed in strings" && where === "at the end of the line") what = "unterminated string (newlines must be escaped in basic strings)";
      return { ok: false, line: e.line, column: e.column, message: `${what} (${where})` };
    }
    return { ok: false, line: null, column: null, message: e instanceof Error ? e.message : String(e) };
  }
}

/** What the text holds at a 1-based line and column, for a message: "found 'x = 1'", "at the end of the line". */
function found(text: string, line: number, column: number): string {
  let at = 0;
  for (let l = 1; l < line && at >= 0; l++) {
    const nl = text.indexOf("\n", at);
    at = nl < 0 ? -1 : nl + 1;
  }
  if (at < 0) return "at the end of the file";
  const pos = at + column - 1;
  const eol = text.indexOf("\n", pos);
  const rest = text.slice(pos, eol < 0 ? text.length : eol).replace(/\r$/, "");
  if (rest === "") return eol < 0 ? "at the end of the file" : "at the end of the line";
  const shown = rest.length > 24 ? `${rest.slice(0, 24)}...` : rest;
  return `at ${JSON.stringify(shown)}`;
}
