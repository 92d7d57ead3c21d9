// Reading the values of a config file's keys (lazarus.toml): each reader takes
// a value and the key path it was written at, and returns what it means or
// throws an Invalid naming the key and the problem (config.ts turns it into one
// line with the file and the line). Pure.
import type { Ms } from "../core/types.ts";
import { secondsToMs } from "./settings.ts";
import { splitWords } from "./words.ts";

/** A problem found while validating: the key path it is about, and what is wrong. */
export class Invalid {
  /**
   * `path`: the key it is about ([] for the file as a whole); `message`: what is
   * wrong, a sentence. `verb`: the message goes on from the key as a verb
   * ("servers.web.depends_on makes a cycle: …") instead of after a colon.
   */
  constructor(readonly path: readonly string[], readonly message: string, readonly verb = false) {}
}

export function command(v: unknown, at: readonly string[]): string[] {
  let argv: string[];
  if (typeof v === "string") {
    const split = splitWords(v);
    if (!split.ok) throw new Invalid(at, `${split.error}.`);
    argv = split.words;
  } else if (Array.isArray(v)) {
    argv = v.map((w, i) => {
      if (typeof w !== "string") throw new Invalid(at, `expected an array of strings, but element ${i} is ${kind(w)}.`);
      return w;
    });
  } else {
    throw new Invalid(at, `expected a command (an array of strings, or a string), got ${kind(v)}.`);
  }
  if (argv.length === 0) throw new Invalid(at, "empty command.");
  if (argv[0] === "") throw new Invalid(at, "empty command: the program name is an empty string.");
  const nul = argv.findIndex((w) => w.includes("\0"));
  if (nul >= 0) throw new Invalid(at, `word ${nul} contains a NUL character, which no program can receive.`);
  return argv;
}

export function seconds(v: unknown, at: readonly string[], max: number): Ms {
  if (typeof v !== "number") throw new Invalid(at, `expected a number of seconds from 0 to ${max}, got ${kind(v)}.`);
  const ms = secondsToMs(v, max);
  // One rule with the command line, where a sign is refused: no negative number, not even -0.
  if (Object.is(v, -0)) throw new Invalid(at, `-0 is out of range (seconds from 0 to ${max}, without a sign).`);
  if (ms === null) throw new Invalid(at, `${v} is out of range (seconds from 0 to ${max}).`);
  return ms;
}

export function boolean(v: unknown, at: readonly string[]): boolean {
  if (typeof v !== "boolean") throw new Invalid(at, `expected true or false, got ${kind(v)}.`);
  return v;
}

export function path(v: unknown, at: readonly string[], what: string): string {
  if (typeof v !== "string") throw new Invalid(at, `expected ${what}, got ${kind(v)}.`);
  if (v === "") throw new Invalid(at, `expected ${what}, got an empty string.`);
  if (v.includes("\0")) throw new Invalid(at, "contains a NUL character.");
  return v;
}

export function oneOf<T extends string>(v: unknown, at: readonly string[], allowed: readonly T[]): T {
  const quoted = allowed.map((a) => JSON.stringify(a));
  const list = quoted.length <= 2 ? quoted.join(" or ") : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  if (typeof v !== "string") throw new Invalid(at, `expected ${list}, got ${kind(v)}.`);
  if (!(allowed as readonly string[]).includes(v)) throw new Invalid(at, `expected ${list}, got ${JSON.stringify(v)}.`);
  return v as T;
}

export function table(v: unknown, at: readonly string[], what = "a table"): Record<string, unknown> {
  if (!isTable(v)) throw new Invalid(at, `expected ${what}, got ${kind(v)}.`);
  return v;
}

export function isTable(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

export function unknownKeys(t: Record<string, unknown>, at: readonly string[], known: readonly string[]): void {
  for (const k of Object.keys(t)) {
    if (known.includes(k)) continue;
    const close = known.find((x) => distance(x, k) <= 2 || x.replaceAll("_", "") === k.replaceAll(/[-_]/g, "").toLowerCase());
    const hint = close !== undefined ? ` (did you mean '${close}'?)` : "";
    throw new Invalid([...at, k], `unknown key${hint}; expected one of: ${known.join(", ")}.`);
  }
}

/** What a TOML value is, for messages: "a string", "an array", "a date-time", ... */
export function kind(v: unknown): string {
  if (typeof v === "string") return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
  if (typeof v === "number") return Number.isInteger(v) ? `an integer (${v})` : `a number (${v})`;
  if (typeof v === "boolean") return `a boolean (${v})`;
  if (Array.isArray(v)) return "an array";
  if (isTable(v)) return "a table";
  if (v === undefined || v === null) return "nothing";
  return "a date or time"; // the TOML parser gives objects of its own for dates and times
}

/** Levenshtein distance, for "did you mean" hints. */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}
