// lazarus's own command line as bytes. Bun decodes argv lossily (a byte that
// is not UTF-8 becomes U+FFFD), so the words are read from /proc/self/cmdline
// and decoded with surrogate escapes (bytes.ts): a server's arguments reach
// posix_spawn, and a re-exec, byte for byte.
import { readFileSync } from "node:fs";
import { decodeBytes } from "../text/bytes.ts";

/**
 * The words after the program (what `process.argv.slice(2)` holds), each
 * exactly as the bytes it was given, in surrogate-escaped strings. The
 * words of /proc/self/cmdline are matched against Bun's own: should they not
 * agree (no /proc, or a runtime that rewrote its command line), Bun's words
 * are used as they are.
 */
export function commandLineWords(argv: readonly string[] = process.argv, cmdline: () => Uint8Array = readCmdline): string[] {
  const decoded = argv.slice(2);
  let raw: Uint8Array;
  try {
    raw = cmdline();
  } catch {
    return decoded;
  }
  // The common case: the whole command line is UTF-8 and its words are Bun's: Bun's strings
  // are the words then (no second copy of every word kept, nor a view and two strings made
  // per word: a command line of 1000 servers in braces has 7000).
  if (agrees(raw, decoded)) return decoded;
  const words = splitNul(raw);
  if (words.length < decoded.length) return decoded;
  const ours = words.slice(words.length - decoded.length);
  const lossy = new TextDecoder();
  for (let i = 0; i < ours.length; i++) {
    if (lossy.decode(ours[i]) !== decoded[i]) return decoded;
  }
  return ours.map(decodeBytes);
}

const STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Whether `raw` is valid UTF-8 whose last words (NUL-terminated, as splitNul splits them) are exactly `decoded`. */
function agrees(raw: Uint8Array, decoded: readonly string[]): boolean {
  if (raw.length === 0) return false;
  let text: string;
  try {
    text = STRICT.decode(raw);
  } catch {
    return false;
  }
  const words = text.split("\0");
  if (text.endsWith("\0")) words.pop();
  if (words.length < decoded.length) return false;
  const skip = words.length - decoded.length;
  for (let i = 0; i < decoded.length; i++) if (words[skip + i] !== decoded[i]) return false;
  return true;
}

function readCmdline(): Uint8Array {
  return readFileSync("/proc/self/cmdline");
}

/** NUL-terminated words (the last NUL ends the last word). */
function splitNul(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      out.push(bytes.subarray(from, i));
      from = i + 1;
    }
  }
  if (from < bytes.length) out.push(bytes.subarray(from));
  return out;
}
