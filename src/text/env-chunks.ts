// What a re-exec hands across in its environment (the handover, the files'
// texts, the output readers and log files of every server) can be larger than Linux takes in one variable: MAX_ARG_STRLEN, 128 KiB
// for "NAME=value" (10,000 servers make a handover of about 600 KiB; a config
// file of 200 KiB is 200 KiB of text). Such a value goes in pieces: NAME, then
// NAME_2, NAME_3, … each well under the limit; all of them together are bounded
// by the kernel's limit for an exec's arguments and environment (a quarter of the
// stack limit: 2 MiB with the usual 8 MiB), which a preflight's E2BIG names.
// Pure.

/** UTF-16 code units per piece: at most 3 UTF-8 bytes each, so a piece stays under 96 KiB (the limit is 128 KiB). */
export const CHUNK_UNITS = 32 * 1024;

/** `value` as NAME, NAME_2, NAME_3, … (just NAME when it fits), never cut inside a surrogate pair. */
export function chunkedEnv(name: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  let k = 1;
  for (let at = 0; at < value.length || k === 1; k++) {
    let end = Math.min(value.length, at + CHUNK_UNITS);
    // (a high surrogate at the cut goes with its low one into the next piece)
    if (end < value.length && isHighSurrogate(value.charCodeAt(end - 1))) end--;
    out[k === 1 ? name : `${name}_${k}`] = value.slice(at, end);
    at = end;
  }
  return out;
}

/** The value chunkedEnv split (NAME, NAME_2, … as long as they follow), or undefined when NAME is not set. */
export function joinedEnv(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const first = env[name];
  if (first === undefined) return undefined;
  let value = first;
  for (let k = 2; ; k++) {
    const next = env[`${name}_${k}`];
    if (next === undefined) return value;
    value += next;
  }
}

/** Is `key` NAME or one of its pieces (NAME_2, NAME_3, …) for one of `names`? */
export function isChunkOf(key: string, names: readonly string[]): boolean {
  for (const name of names) {
    if (key === name) return true;
    if (key.startsWith(`${name}_`) && /^[1-9]\d*$/.test(key.slice(name.length + 1))) return true;
  }
  return false;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
