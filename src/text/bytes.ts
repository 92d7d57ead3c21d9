// Words as bytes, carried in JavaScript strings ("surrogateescape", as Python
// does for file names and argv). A command-line word is a string of bytes,
// not necessarily UTF-8 (`$'A\xffB'`); Bun decodes argv lossily (0xFF becomes
// U+FFFD), so lazarus reads its own command line as bytes (argv.ts) and decodes
// it here: valid UTF-8 becomes the characters it encodes, and every byte that
// is not part of valid UTF-8 becomes a lone surrogate U+DC80+byte (0x80-0xFF;
// bytes below 0x80 are always valid). No valid UTF-8 decodes to a surrogate, so
// the escapes are unambiguous, and every string-based layer (parsing, the JSON
// handover and log, the control protocol) carries them unchanged. Where a C
// string is made (libc.ts, for posix_spawn and execve), `encodeBytes` turns
// them back into the original bytes: any byte sequence round-trips.
// `printable` shows such words in a log line readably (\xff). Pure.

const ESCAPE_BASE = 0xdc00;

/** Bytes → string: UTF-8, with every byte that is not part of valid UTF-8 as U+DC80+byte. */
export function decodeBytes(bytes: Uint8Array): string {
  try {
    return STRICT.decode(bytes); // the common case: valid UTF-8, unchanged
  } catch {
    // below: byte by byte
  }
  const units: number[] = [];
  let out = "";
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    let cp = -1;
    let len = 1;
    if (b < 0x80) {
      cp = b;
    } else if (b >= 0xc2 && b <= 0xdf) {
      const b1 = bytes[i + 1] ?? 0;
      if ((b1 & 0xc0) === 0x80) {
        cp = ((b & 0x1f) << 6) | (b1 & 0x3f);
        len = 2;
      }
    } else if (b >= 0xe0 && b <= 0xef) {
      const b1 = bytes[i + 1] ?? 0;
      const b2 = bytes[i + 2] ?? 0;
      // No overlong forms (E0 needs A0-BF) and no surrogates (ED needs 80-9F).
      const lo = b === 0xe0 ? 0xa0 : 0x80;
      const hi = b === 0xed ? 0x9f : 0xbf;
      if (b1 >= lo && b1 <= hi && (b2 & 0xc0) === 0x80) {
        cp = ((b & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
        len = 3;
      }
    } else if (b >= 0xf0 && b <= 0xf4) {
      const b1 = bytes[i + 1] ?? 0;
      const b2 = bytes[i + 2] ?? 0;
      const b3 = bytes[i + 3] ?? 0;
      // No overlong forms (F0 needs 90-BF) and nothing over U+10FFFF (F4 needs 80-8F).
      const lo = b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xf4 ? 0x8f : 0xbf;
      if (b1 >= lo && b1 <= hi && (b2 & 0xc0) === 0x80 && (b3 & 0xc0) === 0x80) {
        cp = ((b & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
        len = 4;
      }
    }
    if (cp < 0) {
      units.push(ESCAPE_BASE + b);
    } else if (cp >= 0x10000) {
      units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      units.push(cp);
    }
    i += len;
    if (units.length >= 8192) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

const STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();

/** Whether `s` holds a lone surrogate (an escaped byte, or another that UTF-8 cannot carry). */
function hasLoneSurrogate(s: string): boolean {
  return !s.isWellFormed();
}

/** String → bytes: UTF-8, with every lone U+DC80-U+DCFF back as the byte it stands for (other lone surrogates as U+FFFD). */
export function encodeBytes(s: string): Uint8Array {
  if (!hasLoneSurrogate(s)) return ENCODER.encode(s);
  const out = new Uint8Array(s.length * 3);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    } else if (cp >= 0xdc80 && cp <= 0xdcff) {
      out[o++] = cp - ESCAPE_BASE;
      continue;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      cp = 0xfffd;
    }
    if (cp < 0x80) {
      out[o++] = cp;
    } else if (cp < 0x800) {
      out[o++] = 0xc0 | (cp >> 6);
      out[o++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[o++] = 0xe0 | (cp >> 12);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    } else {
      out[o++] = 0xf0 | (cp >> 18);
      out[o++] = 0x80 | ((cp >> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    }
  }
  return out.subarray(0, o);
}

/** The length of `encodeBytes(s)`. */
export function byteLength(s: string): number {
  return hasLoneSurrogate(s) ? encodeBytes(s).length : Buffer.byteLength(s, "utf8");
}

/**
 * Characters that must not reach a terminal or a log line as they are: C0
 * controls and DEL (a newline would start a forged line), C1 controls (some
 * terminals act on them), bidirectional overrides and isolates (they reorder
 * what is shown: "evil\u202Etxt.exe"), zero-width characters and the BOM
 * (invisible: two names that look the same), line and paragraph separators,
 * and lone surrogates (escaped bytes, shown as \xFF). With the u flag a
 * surrogate pair is one code point: only lone surrogates match \ud800-\udfff.
 */
// eslint-disable-next-line no-control-regex
export const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2028\u2029\u2066-\u2069\ufeff\ud800-\udfff]/gu;

const SHORT: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

/** `s` with every UNPRINTABLE character escaped (\n, \t, \u0001, \u202e, \xff for an escaped byte): one readable line. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => {
    const short = SHORT[c];
    if (short !== undefined) return short;
    const u = c.charCodeAt(0);
    if (u >= 0xdc80 && u <= 0xdcff) return `\\x${(u - ESCAPE_BASE).toString(16).padStart(2, "0")}`;
    return `\\u${u.toString(16).padStart(4, "0")}`;
  });
}

/** `s` between double quotes, printable (an escaped byte as \xff), its quotes escaped: a name in an error line. */
export function quoted(s: string): string {
  return `"${printable(s).replaceAll("\"", "\\\"")}"`;
}

/** A path for node:fs: the string itself, or its bytes when it holds escaped bytes (which a string path would turn into U+FFFD). */
export function fsPath(s: string): string | Buffer {
  return hasLoneSurrogate(s) ? Buffer.from(encodeBytes(s)) : s;
}
