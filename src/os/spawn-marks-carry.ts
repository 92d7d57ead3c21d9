// The spawn marks (spawn-marks.ts) handed to the new image of a re-exec, in
// NOTIFY_MARKS_ENV next to the notify socket's fd (NOTIFY_ENV). One line:
//
//   lazarus-marks/1 NONCE LAST LAST_SENT READ LEFT PID:MARK PID:MARK ...
//
// the old image's nonce, the last sequence number it gave, the last marker it
// sent, the last marker its reader thread read before it stopped, how many
// entries were left out, and each pid (or group) whose spawn's marker was not
// read yet → that marker, oldest first. An entry at or before READ is left out:
// every datagram still queued was read after that marker, so it cannot have
// been sent before such a spawn. The new image's reader starts stamped READ,
// takes the markers of NONCE still queued as its own, and its spawns number on
// from LAST: datagrams queued before the exec are judged as the old image
// would have judged them, and so are those of spawns made while the socket was
// stopped for the exec (their markers were sent all the same).
//
// Bounded: at most MAX_CARRIED entries (the newest; LEFT says how many more,
// and the new image says so), about 20 bytes each. Anything malformed is
// refused whole with a one-line reason: the new image then starts afresh, as
// with no carry (a datagram sent before one of the old image's last spawns is
// taken by its pid alone). Pure.
import { after, type MarksStart } from "./spawn-marks.ts";

/** At most this many entries go across (a few normally: spawns whose marker was still queued at the exec). */
export const MAX_CARRIED = 1024;
/** The largest pid Linux hands out (PID_MAX_LIMIT on 64-bit). */
const PID_MAX = 4_194_304;
const VERSION = "lazarus-marks/1";
/** Longer than any text formatMarks makes: refused before it is split. */
const MAX_TEXT = VERSION.length + 6 * 12 + MAX_CARRIED * 20;

/** What a re-exec hands over of the spawn marks. */
export interface MarksCarry extends MarksStart {
  /** The old image's marker nonce (never 0). */
  readonly nonce: number;
  /** The last marker its reader thread read before the exec (0: none). */
  readonly read: number;
  /** Entries that were not carried (beyond MAX_CARRIED). */
  readonly left: number;
}

/** What to carry of a table whose reader stopped having read marker `read`: the entries after it, the newest MAX_CARRIED. */
export function marksCarry(nonce: number, read: number, table: { readonly lastNumber: number; readonly lastSent: number; entriesAfter(read: number): [number, number][] }): MarksCarry {
  const all = table.entriesAfter(read);
  const left = Math.max(0, all.length - MAX_CARRIED);
  return { nonce, read, last: table.lastNumber, lastSent: table.lastSent, left, marks: left > 0 ? all.slice(left) : all };
}

export function formatMarks(c: MarksCarry): string {
  const head = `${VERSION} ${c.nonce} ${c.last} ${c.lastSent} ${c.read} ${c.left}`;
  return c.marks.length === 0 ? head : `${head} ${c.marks.map(([pid, mark]) => `${pid}:${mark}`).join(" ")}`;
}

/** The carry in `text`, or a one-line reason it cannot be used (it is then not used at all). */
export function parseMarks(text: string): MarksCarry | string {
  if (text.length > MAX_TEXT) return `longer than ${MAX_TEXT} characters`;
  const words = text.split(" ");
  if (words[0] !== VERSION) return `does not start with ${VERSION}: ${JSON.stringify(text.slice(0, 20))}`;
  if (words.length < 6) return "too few fields";
  const [nonce, last, lastSent, read] = words.slice(1, 5).map(int32);
  const left = /^[0-9]{1,9}$/.test(words[5] as string) ? Number(words[5]) : null;
  if (nonce === undefined || nonce === null || nonce === 0) return `bad nonce ${JSON.stringify(words[1])}`;
  if (last === undefined || last === null) return `bad last sequence number ${JSON.stringify(words[2])}`;
  if (lastSent === undefined || lastSent === null || after(lastSent, last)) return `bad last marker sent ${JSON.stringify(words[3])}`;
  if (read === undefined || read === null || after(read, last)) return `bad last marker read ${JSON.stringify(words[4])}`;
  if (left === null) return `bad count of entries left out ${JSON.stringify(words[5])}`;
  const entries = words.slice(6);
  if (entries.length > MAX_CARRIED) return `more than ${MAX_CARRIED} entries`;
  const marks: [number, number][] = [];
  const seen = new Set<number>();
  for (const e of entries) {
    const m = /^([0-9]{1,7}):(-?[0-9]{1,10})$/.exec(e);
    const pid = m === null ? null : Number(m[1]);
    const mark = m === null ? null : int32(m[2] as string);
    if (pid === null || pid < 1 || pid > PID_MAX || mark === null) return `bad entry ${JSON.stringify(e.slice(0, 30))}`;
    // Only markers sent after the last one read, and none after the last one numbered.
    if (!after(mark, read) || after(mark, last)) return `entry ${e} is out of range (read ${read}, last ${last})`;
    if (seen.has(pid)) return `pid ${pid} twice`;
    seen.add(pid);
    marks.push([pid, mark]);
  }
  return { nonce, last, lastSent, read, left, marks };
}

/** A decimal 32-bit signed integer, or null. */
function int32(word: string): number | null {
  if (!/^-?[0-9]{1,10}$/.test(word)) return null;
  const n = Number(word);
  return (n | 0) === n ? n : null;
}
