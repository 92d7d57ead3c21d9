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

/**
 * The environment lazarus was started with, as the kernel holds it
 * (/proc/self/environ), each value byte for byte (surrogate escapes, bytes.ts).
 * Not Bun's process.env: Bun adds to it at start-up what no one gave lazarus
 * (the `.env`, `.env.local`, `.env.NODE_ENV` files of the working directory,
 * and under `bun run` some npm_* variables), and every server would inherit
 * them (docs/spec.md: "A child's environment is lazarus's own as it was given"). Without /proc, process.env as it is.
 */
export function startEnvironment(env: Readonly<Record<string, string | undefined>> = process.env, environ: () => Uint8Array = readEnviron): Record<string, string | undefined> {
  let raw: Uint8Array;
  try {
    raw = environ();
  } catch {
    return { ...env };
  }
  const out: Record<string, string | undefined> = {};
  for (const entry of splitNul(raw)) {
    const eq = entry.indexOf(0x3d);
    // An entry with no '=' (or an empty name) is nothing execve's callers can read: left out, as getenv would.
    if (eq <= 0) continue;
    const name = decodeBytes(entry.subarray(0, eq));
    // The first of two entries of one name is the one getenv (and Bun) reads.
    if (!Object.hasOwn(out, name)) out[name] = decodeBytes(entry.subarray(eq + 1));
  }
  return out;
}

function readEnviron(): Uint8Array {
  return readFileSync("/proc/self/environ");
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
