// Line numbers for errors in a valid TOML file (an unknown key, a value out of
// range): the TOML parser says where a syntax error is (toml.ts), but not where
// each key was written, so that is found here, conservatively: when a line
// cannot be told for sure, none is given (an error without a line is better
// than one with a wrong line). Pure, and linear in the size of the text,
// whatever the text: a few MB of hostile input cannot make it slow.
//
// It rests on `statements`: one pass over the text that cuts it into TOML
// statements (a `[table]` header, or a `key = value` that may span lines in a
// multi-line string or array), knowing strings, comments and brackets.

/** A statement of a TOML text: from the end of the one before (blank and comment lines included) to its own end. */
export interface Statement {
  /** Offsets into the text: [from, to); `to` is after its newline (or the end of the text). */
  readonly from: number;
  readonly to: number;
  /** The 1-based line of its first non-blank character, and of its first and last lines (the blank and comment lines before it included). */
  readonly line: number;
  readonly firstLine: number;
  readonly lastLine: number;
  /** Where its own text starts (the first non-blank character), and whether it is a `[header]`. */
  readonly start: number;
  readonly header: boolean;
}

/**
 * The statements of a TOML text, in one pass. Trailing blank and comment lines
 * make a last statement of their own (`start` = `to`), so that the statements
 * cover the whole text. The text need not be valid: the cut is where a parser
 * of valid TOML would end each statement (an unterminated single-line string
 * ends at its line, an unclosed bracket runs on to the end).
 */
export function statements(text: string): Statement[] {
  const out: Statement[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const from = i;
    const firstLine = line;
    // Blank and comment lines before the statement.
    let start = -1;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0d) {
        i++;
      } else if (c === 0x0a) {
        i++;
        line++;
      } else if (c === 0x23 /* # */) {
        i = lineEnd(text, i);
      } else {
        start = i;
        break;
      }
    }
    if (start < 0) {
      out.push({ from, to: n, line, firstLine, lastLine: line, start: n, header: false });
      break;
    }
    const startLine = line;
    const header = text.charCodeAt(start) === 0x5b; /* [ */
    if (header) {
      // A header is one line (a quoted key in it may hold '#' or ']').
      i = skipLine(text, start, true);
    } else {
      let depth = 0;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
          const end = stringEnd(text, i);
          for (let k = i; k < end; k++) if (text.charCodeAt(k) === 0x0a) line++;
          i = end;
        } else if (c === 0x23) {
          i = lineEnd(text, i);
        } else if (c === 0x5b || c === 0x7b) {
          depth++;
          i++;
        } else if (c === 0x5d || c === 0x7d) {
          if (depth > 0) depth--;
          i++;
        } else if (c === 0x0a) {
          i++;
          if (depth === 0) break;
          line++;
        } else {
          i++;
        }
      }
    }
    const to = i;
    const lastLine = line;
    if (to > 0 && text.charCodeAt(to - 1) === 0x0a) line++;
    out.push({ from, to, line: startLine, firstLine, lastLine, start, header });
  }
  return out;
}

/** The index of the newline ending the line at i (or the end of the text). */
function lineEnd(text: string, i: number): number {
  const nl = text.indexOf("\n", i);
  return nl < 0 ? text.length : nl;
}

/** Past the end of the line at i (its newline included), skipping quoted strings when `quotes`. */
function skipLine(text: string, i: number, quotes: boolean): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) return i + 1;
    if (quotes && (c === 0x22 || c === 0x27)) {
      const end = stringEnd(text, i, true);
      i = end;
    } else {
      i++;
    }
  }
  return n;
}

/**
 * Past the end of the string opening at i: "basic" (with escapes), 'literal',
 * """multi-line basic""" or '''multi-line literal'''. A single-line string
 * ends at its line's end if unterminated (the newline is not consumed).
 */
function stringEnd(text: string, i: number, singleLine = false): number {
  const n = text.length;
  const q = text.charCodeAt(i);
  const basic = q === 0x22;
  if (!singleLine && text.charCodeAt(i + 1) === q && text.charCodeAt(i + 2) === q) {
    let k = i + 3;
    while (k < n) {
      const c = text.charCodeAt(k);
      if (basic && c === 0x5c /* \ */) {
        k += 2;
      } else if (c === q && text.charCodeAt(k + 1) === q && text.charCodeAt(k + 2) === q) {
        k += 3;
        // Up to two more quotes belong to the content: """a"""" ends after the fourth.
        for (let extra = 0; extra < 2 && text.charCodeAt(k) === q; extra++) k++;
        return k;
      } else {
        k++;
      }
    }
    return n;
  }
  let k = i + 1;
  while (k < n) {
    const c = text.charCodeAt(k);
    if (c === 0x0a) return k;
    if (basic && c === 0x5c) {
      k += text.charCodeAt(k + 1) === 0x0a ? 1 : 2;
    } else if (c === q) {
      return k + 1;
    } else {
      k++;
    }
  }
  return n;
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

/** The most deeply nested key or table header written in the text (`[a.b]` then `c.d = 1` is 4 deep), or null when there is none. */
export function deepestKey(text: string): Definition | null {
  let deepest: Definition | null = null;
  for (const d of definitions(text)) if (deepest === null || d.path.length > deepest.path.length) deepest = d;
  return deepest;
}

/** Every header and key line of the text, with the full key path it defines. */
function definitions(text: string): Definition[] {
  const out: Definition[] = [];
  let table: string[] = [];
  for (const s of statements(text)) {
    if (s.start >= s.to) continue;
    if (s.header) {
      let i = s.start + 1;
      if (text.charCodeAt(i) === 0x5b) i++;
      const key = dottedKey(text, i, s.to);
      if (key === null) continue;
      if (text.charCodeAt(skipBlanks(text, key.end, s.to)) !== 0x5d /* ] */) continue;
      table = key.parts;
      out.push({ path: table, line: s.line });
      continue;
    }
    const key = dottedKey(text, s.start, s.to);
    if (key !== null && text.charCodeAt(skipBlanks(text, key.end, s.to)) === 0x3d /* = */) out.push({ path: [...table, ...key.parts], line: s.line });
  }
  return out;
}

function skipBlanks(text: string, i: number, to: number): number {
  while (i < to && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
  return i;
}

const BARE = /[A-Za-z0-9_-]+/y;
const BASIC = /"((?:[^"\\\n]|\\.)*)"/y;

/** A dotted key at i (bare, "basic" or 'literal' parts, dots and blanks between), and where it ends. */
function dottedKey(text: string, i: number, to: number): { parts: string[]; end: number } | null {
  const parts: string[] = [];
  for (;;) {
    i = skipBlanks(text, i, to);
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      BASIC.lastIndex = i;
      const m = BASIC.exec(text);
      if (m === null || BASIC.lastIndex > to) return null;
      try {
        parts.push(JSON.parse(`"${m[1] as string}"`) as string);
      } catch {
        parts.push(m[1] as string);
      }
      i = BASIC.lastIndex;
    } else if (c === 0x27) {
      let end = i + 1;
      while (end < to && text.charCodeAt(end) !== 0x27 && text.charCodeAt(end) !== 0x0a) end++;
      if (end >= to || text.charCodeAt(end) !== 0x27) return null;
      parts.push(text.slice(i + 1, end));
      i = end + 1;
    } else {
      BARE.lastIndex = i;
      const m = BARE.exec(text);
      if (m === null || BARE.lastIndex > to) return null;
      parts.push(m[0]);
      i = BARE.lastIndex;
    }
    i = skipBlanks(text, i, to);
    if (text.charCodeAt(i) !== 0x2e /* . */) return { parts, end: i };
    i++;
  }
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function startsWith(a: readonly string[], prefix: readonly string[]): boolean {
  return a.length >= prefix.length && prefix.every((x, i) => x === a[i]);
}
