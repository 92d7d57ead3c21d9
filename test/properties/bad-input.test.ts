// Issue 20's property: any input to the config parsers and to the
// command-line parser ends in a valid result or exactly one error line,
// never an exception. (That it does so in time linear in its size, with
// memory a small multiple of it, is measured across sizes by
// bench/bad-input.ts: no timing belongs in a test.)
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseCommandLine } from "../../src/cli/parse.ts";
import type { Options } from "../../src/config/settings.ts";
import { parseConfig } from "../../src/config/config.ts";
import { parseEnvFile } from "../../src/config/dotenv.ts";
import { assemble } from "../../src/config/plan.ts";
import { parseProcfile } from "../../src/config/procfile.ts";
import { decodeText } from "../../src/config/text.ts";
import { printable } from "../../src/text/bytes.ts";
import { budget } from "./budget.ts";

/**
 * One line, as it is printed: every error goes out as `lazarus: ${printable(message)}`
 * (src/main.ts, ctl, replay), so a word or a file name in it cannot break the line.
 */
function oneLine(message: string): void {
  expect(message.length).toBeGreaterThan(0);
  expect(printable(message)).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
}

/** The text parsers, as the shell runs them on a file's bytes: decoded, then parsed. */
function everyTextParser(bytes: Uint8Array): void {
  const t = decodeText(bytes, "f");
  if (!t.ok) return oneLine(t.error);
  for (const r of [parseConfig(t.text, "f.toml"), parseProcfile(t.text, "Procfile"), parseEnvFile(t.text, ".env")]) {
    if (!r.ok) oneLine(r.error);
  }
  const options: Options = {
    settings: { intervalMs: 5000, stopTimeoutMs: 10_000, alarmMs: 0 }, reexec: false, control: null, logFormat: "text",
    config: "f.toml", procfile: "Procfile", envFile: ".env", output: null, http: null, httpTokenFile: null,
    logDir: null, logMaxBytes: null, logKeep: null, eventLog: null, formation: null, given: [],
  };
  const plan = assemble(options, [], { config: { file: "f.toml", text: t.text }, procfile: { file: "Procfile", text: t.text }, envFile: { file: ".env", text: t.text } }, "/srv");
  if (!plan.ok) oneLine(plan.error);
}

/** Pieces that TOML files, Procfiles and .env files are made of, valid and not. */
const PIECES = [
  "[servers.web]", "[servers.\"a b\"]", "[[servers]]", "[servers.w\u202e]", "[", "]", "[[", "]]", "{", "}", "cmd", "cwd", "env", "interval", "stop_signal",
  "stop_timeout", "autostart", "output", "alarm", "log_format", "control", "servers", " = ", "=", "\"x\"", "'y'", "\"\"\"", "'''", "\"a\\u0000b\"",
  "[\"sleep\", \"1\"]", "[\"\"]", "[]", "{ A = \"1\" }", "1", "-0.0", "61", "1e400", "nan", "true", "\"SIGINT\"", "1979-05-27", ",", ".", "#", "\n", "\n",
  "\r\n", " ", "\t", "\\", "\"", "'", "web: ./srv", "x: sh -c 'a && b'", "--initial-spawn", "export K=v", "K=\"multi\nline\"", "$", "|", "\u0000",
  "\u007f", "\u0085", "é", "😀", "\ufeff",
];
const tomlish = fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PIECES) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), { maxLength: 120 })
  .map((parts) => new TextEncoder().encode(parts.join("")));

/** Words of a command line, options and braces among them. */
const WORDS = [
  "{", "{", "}", "}", "--interval=1", "--interval=-0", "--interval=", "--interval", "--alarm=99", "--stop-timeout=1", "--config=x.toml", "--procfile=P",
  "--env-file=.env", "--control=none", "--control=", "--log-format=json", "--output=prefix", "--output=x", "--re-exec", "--help", "-h", "--version",
  "--", "--=x", "-v", "-", "x", "sleep", "1", "", " ", "a\nb", "\udcff", "\u202e",
];
const commandLine = fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: "binary" }) }), { maxLength: 40 });

describe("any input ends in a valid result or one error line", () => {
  test("random bytes, through decoding and every text parser", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => everyTextParser(bytes)), budget(1500));
  });

  test("TOML-, Procfile- and .env-looking text", () => {
    fc.assert(fc.property(tomlish, (bytes) => everyTextParser(bytes)), budget(1500));
  });

  test("command lines", () => {
    fc.assert(fc.property(commandLine, fc.boolean(), (args, lazarusToml) => {
      const p = parseCommandLine(args, { defaultConfig: lazarusToml ? "lazarus.toml" : null });
      expect(["run", "help", "version", "error"]).toContain(p.kind);
      if (p.kind === "error") oneLine(p.message);
    }), budget(3000));
  });

  test("a few MB at once: TOML-looking text and random bytes of 3 MB each", () => {
    fc.assert(fc.property(tomlish, fc.uint8Array({ minLength: 1, maxLength: 4096 }), (piece, noise) => {
      const times = Math.ceil((3 * 1024 * 1024) / Math.max(1, piece.length));
      const big = new Uint8Array(piece.length * times);
      for (let k = 0; k < times; k++) big.set(piece, k * piece.length);
      everyTextParser(big);
      const random = new Uint8Array(3 * 1024 * 1024);
      for (let k = 0; k < random.length; k += noise.length) random.set(noise.subarray(0, Math.min(noise.length, random.length - k)), k);
      everyTextParser(random);
    }), budget(4));
  }, 120_000);
});
