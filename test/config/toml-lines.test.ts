// Where a TOML error is (issue 20, item 3): a syntax error's line and column
// come from the parser in one linear pass (toml.ts), not from re-parsing
// every prefix (quadratic: 26 s for 5,000 lines); a key's line from one pass
// over the statements (toml-lines.ts). Timings across sizes: bench/bad-input.ts.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseConfig } from "../../src/config/config.ts";
import { parseToml } from "../../src/config/toml.ts";
import { keyLine, statements } from "../../src/config/toml-lines.ts";
import { budget } from "../properties/budget.ts";

/** A config file of `n` lines (servers with several keys, comments, inline tables) whose last line is `last`. */
function bigConfig(n: number, last: string): string {
  const lines: string[] = ["interval = 1", "# many servers"];
  for (let k = 0; lines.length < n - 1; k++) {
    lines.push(`[servers.s${k}]`, `cmd = ["sleep", "${k}"]`, `env = { K = "${k}" }  # a comment`, "stop_timeout = 3");
  }
  lines.length = n - 1;
  lines.push(last);
  return `${lines.join("\n")}\n`;
}

describe("a syntax error's line and column", () => {
  test("a 5,000-line file with an error on its last line: line 5000", () => {
    expect(parseConfig(bigConfig(5000, "alarm ="), "big.toml")).toEqual({ ok: false, error: "big.toml:5000:8: invalid TOML: invalid value (at the end of the line)." });
    expect(parseConfig(bigConfig(5000, "alarm = 1 2"), "big.toml")).toEqual({
      ok: false, error: "big.toml:5000:11: invalid TOML: each key-value declaration must be followed by an end-of-line (at \"2\").",
    });
  });

  test("100,000 lines (2 MB): the error on the last line, and one before it wins", () => {
    const text = bigConfig(100_000, "[servers.s0]");
    const r = parseToml(text);
    expect(r.ok ? null : [r.line, r.column]).toEqual([100_000, 2]);
    const early = text.replace("stop_timeout = 3\n", "stop_timeout = \n");
    const e = parseToml(early);
    expect(e.ok ? null : e.line).toBe(6);
  });

  test("the line and column point at what the message is about, on any line of a generated file", () => {
    fc.assert(fc.property(fc.integer({ min: 3, max: 400 }), fc.constantFrom("x =", "x = 1 2", "= 1", "x = \"open", "x = [1,,]", "[servers.s0]", "x = 1979-13-45"), (n, bad) => {
      const text = bigConfig(n, bad);
      const r = parseToml(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.line).toBe(n);
    }), budget(100));
  });

  test("keys nested deeper than 32 levels are refused before they are built (memory), at their line", () => {
    const deep = `[servers.a]\ncmd = "x"\nenv.${Array(40).fill("k").join(".")} = 1\n`;
    expect(parseConfig(deep, "f.toml")).toEqual({ ok: false, error: "f.toml:3: invalid TOML: a key nested 43 levels deep (at most 32; lazarus's keys go 4 deep)." });
    expect(parseConfig(`[${Array(33).fill("t").join(".")}]\n`, "f.toml")).toEqual({ ok: false, error: "f.toml:1: invalid TOML: a key nested 33 levels deep (at most 32; lazarus's keys go 4 deep)." });
  });

  test("the message is one line whatever the text holds (control characters and newlines are escaped)", () => {
    fc.assert(fc.property(fc.string({ maxLength: 40, unit: "binary" }), (junk) => {
      const r = parseConfig(`a = 1\n${junk}\n`, "f.toml");
      if (!r.ok) expect(r.error).not.toMatch(/[\n\r\u0000-\u001f\u007f]/);
    }), budget(300));
  });
});

describe("statements: one pass that cuts the text where each statement ends", () => {
  test("multi-line strings and arrays, comments, a quoted '#'", () => {
    const text = "# c\na = 1\nb = [\n  1, # x ]\n  2,\n]\n\nc = \"\"\"\n[x]\n\"\"\"\n[t] # ok\nd = 'x#'\n# end\n";
    const cut = statements(text).map((s) => [s.firstLine, s.line, s.lastLine, text.slice(s.start, s.to).trimEnd()]);
    expect(cut).toEqual([
      [1, 2, 2, "a = 1"],
      [3, 3, 6, "b = [\n  1, # x ]\n  2,\n]"],
      [7, 8, 10, "c = \"\"\"\n[x]\n\"\"\""],
      [11, 11, 11, "[t] # ok"],
      [12, 12, 12, "d = 'x#'"],
      [13, 14, 14, ""],
    ]);
  });

  test("property: statements cover the text, in order, whatever it is", () => {
    fc.assert(fc.property(
      fc.array(fc.constantFrom("a", " ", "=", "\n", "[", "]", "{", "}", "\"", "'", "#", "\\", "\"\"\"", "'''", "\r"), { maxLength: 80 }),
      (chars) => {
        const text = chars.join("");
        const st = statements(text);
        let at = 0;
        for (const s of st) {
          expect(s.from).toBe(at);
          expect(s.to).toBeGreaterThan(s.from);
          at = s.to;
        }
        expect(at).toBe(text.length);
      },
    ), budget(500));
  });

  test("keyLine on a key of a big file: its line", () => {
    const text = bigConfig(20_000, "[servers.last]\nnope = 1");
    expect(keyLine(text, ["servers", "last", "nope"])).toBe(20_001);
  });
});
