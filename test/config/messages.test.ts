// Messages that must not mislead (issue 20, item 8), at the level of each parser.
import { describe, expect, test } from "bun:test";
import { parseCommandLine } from "../../src/cli/parse.ts";
import { parseConfig } from "../../src/config/config.ts";
import { nameProblem } from "../../src/config/names.ts";
import { parseProcfile } from "../../src/config/procfile.ts";
import { decodeText } from "../../src/config/text.ts";
import { tooBigReason } from "../../src/os/too-big.ts";

const bytes = (...b: number[]) => Uint8Array.from(b);
const utf16le = (s: string) => Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0), 0]));

describe("files are UTF-8 text; other encodings are called what they are", () => {
  test.each([
    [bytes(0xff, 0xfe, ...utf16le("a = 1\n")), "f.toml: it is UTF-16 (little-endian) text (it begins with a byte-order mark); lazarus reads UTF-8: convert it (iconv -f UTF-16 -t UTF-8)."],
    [bytes(0xfe, 0xff, 0, 0x61), "f.toml: it is UTF-16 (big-endian) text (it begins with a byte-order mark); lazarus reads UTF-8: convert it (iconv -f UTF-16 -t UTF-8)."],
    [bytes(0xff, 0xfe, 0, 0, 0x61, 0, 0, 0), "f.toml: it is UTF-32 (little-endian) text (it begins with a byte-order mark); lazarus reads UTF-8: convert it (iconv -f UTF-32 -t UTF-8)."],
    [utf16le("a = 1\n"), "f.toml: it looks like UTF-16 text (every other byte is NUL); lazarus reads UTF-8: convert it (iconv -f UTF-16 -t UTF-8)."],
    [bytes(0x61, 0x0a, 0x62, 0x0a, 0x63, 0xff, 0x0a), "f.toml:3: not UTF-8 text (the byte 0xff); lazarus reads UTF-8."],
    [bytes(0x61, 0x0a, 0xed, 0xa0, 0x80), "f.toml:2: not UTF-8 text (the byte 0xed); lazarus reads UTF-8."],
    [bytes(0x61, 0x3d, 0x31, 0x0a, 0x62, 0x00), "f.toml:2: a NUL byte: this is not a text file."],
  ])("%p", (input, message) => {
    expect(decodeText(input, "f.toml")).toEqual({ ok: false, error: message });
  });

  test("UTF-8, with or without its byte-order mark, is read as it is (the mark dropped)", () => {
    expect(decodeText(bytes(0xef, 0xbb, 0xbf, 0x61, 0xc3, 0xa9), "f")).toEqual({ ok: true, text: "aé" });
    expect(decodeText(new TextEncoder().encode("web: ./srv — ok 😀\n"), "f")).toEqual({ ok: true, text: "web: ./srv — ok 😀\n" });
  });
});

describe("server names: one visible word, printed escaped when refused", () => {
  test.each([
    ["a\u007fb", "invalid server name \"a\\u007fb\": no control, invisible or bidirectional characters allowed"],
    ["a\u0085b", "invalid server name \"a\\u0085b\": no control, invisible or bidirectional characters allowed"],
    ["a\u0090b", "invalid server name \"a\\u0090b\": no control, invisible or bidirectional characters allowed"],
    ["evil\u202etxt", "invalid server name \"evil\\u202etxt\": no control, invisible or bidirectional characters allowed"],
    ["we\u200bb", "invalid server name \"we\\u200bb\": no control, invisible or bidirectional characters allowed"],
    ["\u2066web", "invalid server name \"\\u2066web\": no control, invisible or bidirectional characters allowed"],
    ["a\u0001b", "invalid server name \"a\\u0001b\": no control, invisible or bidirectional characters allowed"],
    ["a\"b\u0007", "invalid server name \"a\\\"b\\u0007\": no control, invisible or bidirectional characters allowed"],
  ])("%p", (name, message) => {
    expect(nameProblem(name)).toBe(message);
  });

  test("visible names in any script are fine", () => {
    for (const name of ["web", "wörker", "日本", "api-v2.1", "a@b+c"]) expect(nameProblem(name)).toBeNull();
  });

  test("in a config file and a Procfile", () => {
    expect(parseConfig("[servers.\"a\\u007fb\"]\ncmd = \"x\"\n", "f.toml")).toEqual({
      ok: false, error: "f.toml:1: servers.\"a\u007fb\": invalid server name \"a\\u007fb\": no control, invisible or bidirectional characters allowed.",
    });
    expect(parseProcfile("web\u202e: ./srv\n", "Procfile")).toEqual({
      ok: false, error: "Procfile:1: invalid server name \"web\\u202e\": no control, invisible or bidirectional characters allowed.",
    });
  });
});

describe("the command line: hints only where they apply, a repeated option refused", () => {
  const error = (...args: string[]) => {
    const p = parseCommandLine([...args, "{", "x", "}"]);
    return p.kind === "error" ? p.message : `not an error: ${p.kind}`;
  };

  test.each([
    [["--"], "Unrecognised option: -- (options come before the first '{', as --NAME=VALUE; a server's words go between braces)."],
    [["--=x"], "Unrecognised option: --=x (options are written --NAME=VALUE)."],
    [["-v"], "Unrecognised option: -v (options are written --NAME=VALUE)."],
    [["-"], "Unrecognised option: - (options are written --NAME=VALUE)."],
    // mds-respawn's text where the hint fits
    [["--interval"], "Unrecognised option: --interval, did you forget '='?"],
    [["--intervall=3"], "Unrecognised option: --intervall=3, did you forget '='?"],
    // repeated
    [["--interval=1", "--interval=7"], "Repeated option: --interval=7 (--interval was given already)."],
    [["--config=a.toml", "--config=b.toml"], "Repeated option: --config=b.toml (--config was given already)."],
    [["--control=none", "--alarm=1", "--control=x.sock"], "Repeated option: --control=x.sock (--control was given already)."],
  ])("%p", (args, message) => {
    expect(error(...args)).toBe(message);
  });

  test("each option once is fine, --re-exec too", () => {
    const p = parseCommandLine(["--interval=1", "--alarm=2", "--re-exec", "{", "x", "--interval=3", "--interval=4", "}"]);
    expect(p.kind).toBe("run");
  });
});

describe("negative zero: refused on the command line and in TOML alike", () => {
  test("--interval=-0 and interval = -0.0", () => {
    expect(parseCommandLine(["--interval=-0", "{", "x", "}"])).toEqual({ kind: "error", message: "Invalid value for --interval: -0 (seconds from 0 to 60)." });
    expect(parseConfig("interval = -0.0\n", "f.toml")).toEqual({ ok: false, error: "f.toml:1: interval: -0 is out of range (seconds from 0 to 60, without a sign)." });
    expect(parseConfig("[servers.a]\ncmd = \"x\"\nstop_timeout = -0\n", "f.toml")).toEqual({ ok: true, config: { settings: {}, servers: [{ name: "a", argv: ["x"], env: {}, stopTimeoutMs: 0 }] } });
    expect(parseConfig("interval = 0.0\n", "f.toml").ok).toBe(true);
  });
});

describe("E2BIG: which part is too big", () => {
  test("one variable over the kernel's 128 KiB for one string: named, with the environment's size", () => {
    expect(tooBigReason(["srv"], { PATH: "/bin", BIG: "x".repeat(1_000_000) })).toBe(
      "E2BIG: the environment is too big: the variable BIG holds 977 KiB, over the kernel's limit of 128 KiB for one variable (2 variables, 977 KiB in all)",
    );
  });

  test("many variables, none too big alone: the total, and the largest", () => {
    const env = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`V${i}`, "y".repeat(100_000 + i)]));
    expect(tooBigReason(["srv"], env)).toBe("E2BIG: the environment is too big: 40 variables, 3908 KiB in all, the largest V39 with 98 KiB (and 1 KiB of arguments)");
  });

  test("an argument over 128 KiB, or arguments bigger than the environment", () => {
    expect(tooBigReason(["srv", "z".repeat(200_000)], { A: "1" })).toBe("E2BIG: argument 1 holds 196 KiB, over the kernel's limit of 128 KiB for one argument");
    expect(tooBigReason(["srv", ...Array(30).fill("z".repeat(100_000))], { A: "1" })).toBe("E2BIG: the arguments are too big: 31 arguments, 2930 KiB in all (and 1 KiB of environment)");
  });
});
