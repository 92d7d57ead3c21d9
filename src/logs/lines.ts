// Lines of a log file as bytes: counting them, cutting a buffer at a line end,
// the optional timestamp in front of each line, reading a line's time back,
// merging several servers' lines by time, and the file name of a server's log.
// Pure (no I/O, no clock: the caller passes the time).
//
// Decisions:
// - Bytes, not strings: a server may print anything, and a log keeps it as it
//   was printed. Only the timestamp (ASCII) is ever decoded.
// - The timestamp is ISO 8601 in UTC with milliseconds and a space after it
//   ("2026-01-02T03:04:05.678Z line"): fixed width, sorts as text, read by
//   every tool, and it is what lazarus's own JSON log uses ("time").
// - Merging by time (`ctl logs` of every server): a line's time is its own
//   timestamp, or a JSON line's leading "time" field (lazarus's event log);
//   a line without either takes the time of the line before it in the same
//   file (a continuation line, a stack trace: it stays after the line it
//   follows), and lines before any timestamp sort first. Each server's own
//   order is always kept (a k-way merge of the streams, not a sort), so a
//   clock stepped back never reorders one server's lines; equal times go in
//   the order the streams were given. Without log_timestamps the merge can
//   only put one server's lines after another's: timestamps are what make a
//   merged view meaningful, and the docs say so.

export const NEWLINE = 0x0a;

/** How many lines `buf` holds: its newlines, plus one for an unterminated last line. */
export function countLines(buf: Uint8Array): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i >= 0; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return buf.length > 0 && buf[buf.length - 1] !== NEWLINE ? n + 1 : n;
}

/** The length of the longest run of whole lines at the start of `buf` that fits in `max` bytes (0 if the first line does not fit). */
export function wholeLinesWithin(buf: Uint8Array, max: number): number {
  if (buf.length <= max && (buf.length === 0 || buf[buf.length - 1] === NEWLINE)) return buf.length;
  if (max <= 0) return 0;
  return buf.lastIndexOf(NEWLINE, Math.min(max, buf.length) - 1) + 1;
}

/** The text put in front of a line written at `wallMs` (ms since the epoch): "2026-01-02T03:04:05.678Z ". */
export function stampText(wallMs: number): string {
  return `${new Date(wallMs).toISOString()} `;
}

/** `buf` (whole lines, each ending with a newline) with `stamp` in front of every line: a new buffer. */
export function stampLines(buf: Uint8Array, stamp: Uint8Array): Uint8Array {
  return joinLines([buf], stamp);
}

/**
 * `parts` joined into one new buffer (always a copy), with a newline added if
 * the last line has none, and `stamp` (when given) in front of every line; a
 * line may run across parts. One pass, one allocation (Buffer.copy, no
 * per-line views): this runs for every batch of every server's output.
 */
export function joinLines(parts: readonly Uint8Array[], stamp: Uint8Array | null): Uint8Array {
  let length = 0;
  let lines = 0;
  let lastByte = NEWLINE;
  for (const p of parts) {
    length += p.length;
    if (p.length > 0) lastByte = p[p.length - 1] as number;
    if (stamp !== null) for (let i = p.indexOf(NEWLINE); i >= 0; i = p.indexOf(NEWLINE, i + 1)) lines++;
  }
  const open = length > 0 && lastByte !== NEWLINE;
  if (open) lines++;
  const out = Buffer.allocUnsafe(length + (open ? 1 : 0) + (stamp === null ? 0 : lines * stamp.length));
  let at = 0;
  if (stamp === null) {
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
  } else {
    const st = asBuffer(stamp);
    let lineStart = true;
    for (const p of parts) {
      const src = asBuffer(p);
      let start = 0;
      while (start < src.length) {
        if (lineStart) at += st.copy(out, at);
        const nl = src.indexOf(NEWLINE, start);
        const end = nl < 0 ? src.length : nl + 1;
        at += src.copy(out, at, start, end);
        lineStart = nl >= 0;
        start = end;
      }
    }
  }
  if (open) out[at++] = NEWLINE;
  return out;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.length);
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)) /;
const JSON_TIME = /^\{[^\n]{0,80}?"time":"(\d{4}-\d\d-\d\dT[^"]{8,30})"/;

/** The time (ms since the epoch) a line says it was written: a leading ISO timestamp, or a JSON line's "time"; else null. */
export function lineTime(line: Uint8Array): number | null {
  const head = Buffer.from(line.buffer, line.byteOffset, Math.min(line.length, 160)).toString("latin1");
  const m = STAMP.exec(head) ?? JSON_TIME.exec(head);
  if (m === null) return null;
  const t = Date.parse(m[1] ?? "");
  return Number.isNaN(t) ? null : t;
}

/** One line of a merge: which stream it came from, and the line. */
export interface MergedLine {
  readonly stream: number;
  readonly line: Uint8Array;
}

/** The lines of several streams (each in its own order) merged by time, as described at the top of this file. */
export function mergeByTime(streams: readonly (readonly Uint8Array[])[]): MergedLine[] {
  const keys = streams.map((lines) => {
    let last = -Infinity;
    return lines.map((l) => (last = lineTime(l) ?? last));
  });
  const heads = streams.map(() => 0);
  const out: MergedLine[] = [];
  for (;;) {
    let best = -1;
    let bestKey = Infinity;
    for (let s = 0; s < streams.length; s++) {
      const k = keys[s]?.[heads[s] ?? 0];
      if (k !== undefined && (best < 0 || k < bestKey)) {
        best = s;
        bestKey = k;
      }
    }
    if (best < 0) return out;
    const i = heads[best] ?? 0;
    out.push({ stream: best, line: streams[best]?.[i] as Uint8Array });
    heads[best] = i + 1;
  }
}

/**
 * The file name of a server's log: NAME.log, with every byte outside
 * [A-Za-z0-9._@+-] (and a leading dot) written as %XX, so that any server
 * name gives one plain file in the log directory and two names never share
 * one ("a/b" is "a%2Fb.log", ".." is "%2E..log").
 */
export function logFileName(name: string): string {
  const bytes = Buffer.from(name, "utf8");
  let out = "";
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._@+-]/.test(c) && !(i === 0 && c === ".") ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  });
  return `${out}.log`;
}
