// cmd = "..." is split into words as a POSIX shell splits them, and never run
// through one. The property at the end checks the splitter against /bin/sh.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { joinWords, splitWords } from "../../src/config/words.ts";
import { propertySeed } from "../helpers/seed.ts";

const seed = propertySeed("test/config/words.test.ts");
const words = (s: string) => {
  const r = splitWords(s);
  if (!r.ok) throw new Error(`unexpected error: ${r.error}`);
  return r.words;
};
const error = (s: string) => {
  const r = splitWords(s);
  if (r.ok) throw new Error(`expected an error for ${JSON.stringify(s)}, got ${JSON.stringify(r.words)}`);
  return r.error;
};

describe("splitting", () => {
  test.each([
    ["python3 worker.py --queue jobs", ["python3", "worker.py", "--queue", "jobs"]],
    ["  a \t b\n c  ", ["a", "b", "c"]],
    ["", []],
    ["   ", []],
    ["'a b' c", ["a b", "c"]],
    ["'it'\\''s'", ["it's"]],
    ["''", [""]],
    ["a '' b", ["a", "", "b"]],
    ["a''b", ["ab"]],
    ["'$HOME | x'", ["$HOME | x"]],
    ['"a b"', ["a b"]],
    ['""', [""]],
    ['"a\\"b"', ['a"b']],
    ['"a\\\\b"', ["a\\b"]],
    ['"a\\nb"', ["a\\nb"]],
    ['"\\$x \\`y\\`"', ["$x `y`"]],
    ['"line\\\ncontinued"', ["linecontinued"]],
    ["a\\ b", ["a b"]],
    ["\\'x\\\"", ["'x\""]],
    ["a\\\\", ["a\\"]],
    ["a\\\nb", ["ab"]],
    ['--name="John Smith" -x', ["--name=John Smith", "-x"]],
    ["a'b'\"c\"d", ["abcd"]],
    ["*.js ~/x [a] ?", ["*.js", "~/x", "[a]", "?"]],
    ["a#b c#", ["a#b", "c#"]],
    ["'#' \\#", ["#", "#"]],
    ["'|' \\& \";\" '<>' \\( \\) '$' \\`", ["|", "&", ";", "<>", "(", ")", "$", "`"]],
    ["{ x }", ["{", "x", "}"]],
  ])("%p → %p", (text, expected) => {
    expect(words(text)).toEqual(expected);
  });
});

describe("errors", () => {
  test.each([
    ["'abc", "unterminated single quote"],
    ['"abc', "unterminated double quote"],
    ['"abc\\', "unterminated double quote"],
    ["abc\\", "a backslash at the end escapes nothing"],
  ])("%p: %p", (text, message) => {
    expect(error(text)).toBe(message);
  });

  test.each([
    ["a | b", "'|'"], ["a && b", "'&'"], ["a &", "'&'"], ["a; b", "';'"], ["a > f", "'>'"], ["a <f", "'<'"],
    ["(a)", "'('"], ["a)", "')'"], ["echo $HOME", "'$'"], ["$(x)", "'$'"], ["`x`", "'`'"],
  ])("%p needs a shell (%s)", (text, what) => {
    const e = error(text);
    expect(e).toStartWith(`${what} would need a shell`);
    expect(e).toContain('use ["sh", "-c", "..."]');
  });

  test("expansions inside double quotes need a shell too", () => {
    expect(error('"$HOME"')).toStartWith("'$' inside double quotes would need a shell");
    expect(error('"`id`"')).toStartWith("'`' inside double quotes would need a shell");
  });

  test("a word starting with # would be a comment", () => {
    expect(error("server # the web one")).toStartWith("'#' (a comment) would need a shell");
  });
});

describe("properties", () => {
  test("joinWords quotes any words so that splitWords gives them back", () => {
    const word = fc.string({ unit: "binary", maxLength: 12 }).filter((w) => !w.includes("\0"));
    fc.assert(fc.property(fc.array(word, { maxLength: 6 }), (ws) => {
      expect(words(joinWords(ws))).toEqual(ws);
    }), { seed, numRuns: 500 });
  });

  test("whatever it accepts, it splits exactly as /bin/sh does", () => {
    // Texts over an alphabet rich in quotes and backslashes; globs, tilde and
    // newlines are left out (sh would expand or separate, lazarus does not).
    const alphabet = fc.constantFrom("a", "b", " ", "\t", "'", '"', "\\", "=", "-", ".", "/", "$", "#", "|", "é");
    const text = fc.array(alphabet, { maxLength: 16 }).map((cs) => cs.join(""));
    let compared = 0;
    fc.assert(fc.property(text, (t) => {
      const mine = splitWords(t);
      if (!mine.ok) return;
      compared++;
      const sh = Bun.spawnSync(["/bin/sh", "-c", `printf '%s\\0' X ${t}`]);
      expect(sh.exitCode).toBe(0);
      const theirs = sh.stdout.toString("utf8").split("\0").slice(1, -1);
      expect(mine.words).toEqual(theirs);
    }), { seed, numRuns: 300 });
    expect(compared).toBeGreaterThan(30);
  });
});
