// Line numbers for configuration errors. Bun's TOML parser reports neither the
// line of a syntax error nor where a key was written, so both are found here,
// conservatively: when a line cannot be told for sure, none is given (an error
// without a line is better than one with a wrong line). Pure.

/**
 * The line of a TOML syntax error: the first prefix of the text (in whole
 * lines) that fails to parse with the same message as the whole text. A
 * missing value, a bad key or a redefinition fails exactly at its line; an
 * unclosed array or string fails at the line where it was opened.
 */
export function syntaxErrorLine(text: string, message: string, parse: (text: string) => unknown): number | null {
  const lines = text.split("\n");
  if (lines.length > 5000) return null; // quadratic; config files are small
  for (let k = 1; k <= lines.length; k++) {
    try {
      parse(`${lines.slice(0, k).join("\n")}\n`);
    } catch (e) {
      if (e instanceof Error && e.message === message) return k;
    }
  }
  return null;
}

/**
 * The line where the key at `path` (e.g. ["servers", "web", "interval"]) is
 * written: its own `key = ...` line or `[table]` header; failing that, the
 * nearest enclosing key's (an entry of an inline table is reported at the
 * line of that table). null when nothing matches.
 */
export function keyLine(text: string, path: readonly string[]): number | null {
  const defined = definitions(text);
  for (let len = path.length; len > 0; len--) {
    const want = path.slice(0, len);
    const exact = defined.find((d) => sameKey(d.path, want));
    if (exact !== undefined) return exact.line;
    const within = defined.find((d) => startsWith(d.path, want));
    if (within !== undefined) return within.line;
  }
  return null;
}

interface Definition {
  readonly path: readonly string[];
  readonly line: number;
}

/** Every header and key line of the text, with the full key path it defines. */
function definitions(text: string): Definition[] {
  const out: Definition[] = [];
  let table: string[] = [];
  /** Inside a multi-line string opened with this delimiter. */
  let open: '"""' | "'''" | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (open !== null) {
      if (count(raw, open) % 2 === 1) open = null;
      return;
    }
    const header = /^\s*\[\[?\s*(.*?)\s*\]\]?\s*(#.*)?$/.exec(raw);
    if (header) {
      const key = dottedKey(header[1] as string);
      if (key !== null && key.rest.trim() === "") {
        table = key.parts;
        out.push({ path: table, line });
      }
      return;
    }
    const key = dottedKey(raw);
    if (key !== null && /^\s*=/.test(key.rest)) {
      out.push({ path: [...table, ...key.parts], line });
      const value = key.rest.replace(/^\s*=\s*/, "");
      for (const delim of ['"""', "'''"] as const) {
        if (value.startsWith(delim) && count(value, delim) % 2 === 1) open = delim;
      }
    }
  });
  return out;
}

/** A dotted key at the start of `s` (bare, "basic" or 'literal' parts), and what follows it. */
function dottedKey(s: string): { parts: string[]; rest: string } | null {
  const parts: string[] = [];
  let i = 0;
  const skip = () => { while (s[i] === " " || s[i] === "\t") i++; };
  for (;;) {
    skip();
    const c = s[i];
    if (c === '"') {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(s.slice(i));
      if (!m) return null;
      try {
        parts.push(JSON.parse(`"${m[1] as string}"`) as string);
      } catch {
        parts.push(m[1] as string);
      }
      i += m[0].length;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return null;
      parts.push(s.slice(i + 1, end));
      i = end + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(s.slice(i));
      if (!m) return null;
      parts.push(m[0]);
      i += m[0].length;
    }
    skip();
    if (s[i] !== ".") return { parts, rest: s.slice(i) };
    i++;
  }
}

function count(s: string, sub: string): number {
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function startsWith(a: readonly string[], prefix: readonly string[]): boolean {
  return a.length >= prefix.length && prefix.every((x, i) => x === a[i]);
}
