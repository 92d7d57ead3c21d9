// The bytes of a config file, Procfile or .env file as text. These files are
// text by definition: UTF-8, with or without a byte-order mark. A file in
// another encoding is named as such (a UTF-16 file, found by its byte-order
// mark or its NUL bytes, would otherwise be reported as a strange character
// at its first byte), and bytes that are not UTF-8 are reported at their line.
// Pure.

export type Text = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string };

const STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const MARKS: readonly (readonly [readonly number[], string])[] = [
  [[0x00, 0x00, 0xfe, 0xff], "UTF-32 (big-endian)"],
  [[0xff, 0xfe, 0x00, 0x00], "UTF-32 (little-endian)"],
  [[0xfe, 0xff], "UTF-16 (big-endian)"],
  [[0xff, 0xfe], "UTF-16 (little-endian)"],
];

/** `name` is the file as the user wrote it (already printable). */
export function decodeText(bytes: Uint8Array, name: string): Text {
  for (const [mark, encoding] of MARKS) {
    if (mark.every((b, i) => bytes[i] === b)) return { ok: false, error: notUtf8(name, `it is ${encoding} text (it begins with a byte-order mark)`, encoding) };
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(bom);
  const nul = body.indexOf(0);
  if (nul >= 0) {
    // ASCII text in UTF-16 without a mark: every other byte is NUL.
    const other = body.length >= 2 && (body[0] === 0 || body[1] === 0);
    if (other) return { ok: false, error: notUtf8(name, "it looks like UTF-16 text (every other byte is NUL)", "UTF-16") };
    return { ok: false, error: `${name}:${lineOf(body, nul)}: a NUL byte: this is not a text file.` };
  }
  try {
    return { ok: true, text: STRICT.decode(body) };
  } catch {
    const at = firstInvalid(body);
    return { ok: false, error: `${name}:${lineOf(body, at)}: not UTF-8 text (the byte 0x${(body[at] ?? 0).toString(16).padStart(2, "0")}); lazarus reads UTF-8.` };
  }
}

function notUtf8(name: string, what: string, encoding: string): string {
  return `${name}: ${what}; lazarus reads UTF-8: convert it (iconv -f ${encoding.replace(/ .*/, "")} -t UTF-8).`;
}

function lineOf(bytes: Uint8Array, at: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < at; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/** The offset of the first byte that is not part of valid UTF-8. */
function firstInvalid(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0) return i;
    if (len > 1) {
      const b1 = bytes[i + 1] ?? 0;
      const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      if (b1 < lo || b1 > hi) return i;
      for (let k = 2; k < len; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    }
    i += len;
  }
  return bytes.length;
}
