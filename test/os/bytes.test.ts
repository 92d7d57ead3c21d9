// Words as bytes (issue 20, item 7): the surrogateescape codec and the
// command line read from /proc/self/cmdline.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { commandLineWords, startEnvironment } from "../../src/os/argv.ts";
import { byteLength, decodeBytes, encodeBytes, printable } from "../../src/text/bytes.ts";
import { budget } from "../properties/budget.ts";

/** Bytes that look like UTF-8 (and often are not): lead bytes, continuations, ASCII, anything. */
const utf8ish = fc.array(fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0x80, max: 0xbf }),
  fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x41, 0x00),
), { maxLength: 64 }).map((a) => Uint8Array.from(a));

describe("the surrogateescape codec", () => {
  test("property: any byte sequence round-trips", () => {
    fc.assert(fc.property(fc.oneof(utf8ish, fc.uint8Array({ maxLength: 64 })), (bytes) => {
      const s = decodeBytes(bytes);
      expect([...encodeBytes(s)]).toEqual([...bytes]);
      expect(byteLength(s)).toBe(bytes.length);
    }), budget(3000));
  });

  test("property: valid UTF-8 decodes to the text it encodes, unchanged; any text encodes to its UTF-8", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (text) => {
      const utf8 = new TextEncoder().encode(text);
      expect(decodeBytes(utf8)).toBe(text);
      expect([...encodeBytes(text)]).toEqual([...utf8]);
    }), budget(2000));
  });

  test("property: the characters that are not escapes are those the WHATWG decoder finds (it puts U+FFFD where we keep the bytes)", () => {
    fc.assert(fc.property(utf8ish, (bytes) => {
      const s = decodeBytes(bytes);
      const lossy = new TextDecoder().decode(bytes);
      expect(s.replace(/[\udc80-\udcff]/g, "").replace(/\ufffd/g, "")).toBe(lossy.replace(/\ufffd/g, ""));
      // and the only lone surrogates are escapes
      expect([...s].every((c) => { const u = c.codePointAt(0) as number; return u < 0xd800 || u > 0xdfff || (u >= 0xdc80 && u <= 0xdcff); })).toBe(true);
    }), budget(2000));
  });

  test("examples: A\\xffB, a cut character, an encoded surrogate, an overlong NUL, a character beyond U+10FFFF", () => {
    expect(decodeBytes(Uint8Array.of(0x41, 0xff, 0x42))).toBe("A\udcffB");
    expect(decodeBytes(Uint8Array.of(0xe2, 0x82))).toBe("\udce2\udc82");
    expect(decodeBytes(Uint8Array.of(0xed, 0xa0, 0x80))).toBe("\udced\udca0\udc80");
    expect(decodeBytes(Uint8Array.of(0xc0, 0x80))).toBe("\udcc0\udc80");
    expect(decodeBytes(Uint8Array.of(0xf4, 0x90, 0x80, 0x80))).toBe("\udcf4\udc90\udc80\udc80");
    expect(decodeBytes(Uint8Array.of(0xf0, 0x9f, 0x98, 0x80))).toBe("😀");
    expect([...encodeBytes("A\udcffB")]).toEqual([0x41, 0xff, 0x42]);
    // Lone surrogates that no byte stands for are what UTF-8 makes of them: U+FFFD.
    expect([...encodeBytes("\ud800x\udc10")]).toEqual([0xef, 0xbf, 0xbd, 0x78, 0xef, 0xbf, 0xbd]);
  });
});

describe("printable: one readable line", () => {
  test.each([
    ["A\udcffB", "A\\xffB"],
    ["a\nb\tc\u0001", "a\\nb\\tc\\u0001"],
    ["del\u007f c1\u0085", "del\\u007f c1\\u0085"],
    ["evil\u202etxt.exe", "evil\\u202etxt.exe"],
    ["zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"],
    ["café 😀 日本", "café 😀 日本"],
  ])("%p → %p", (text, shown) => {
    expect(printable(text)).toBe(shown);
  });
});

describe("commandLineWords: the words after the program, as bytes", () => {
  const nul = (...words: (string | number[])[]) => Uint8Array.from(words.flatMap((w) => [...(typeof w === "string" ? new TextEncoder().encode(w) : w), 0]));

  test("the words of /proc/self/cmdline that Bun decoded lossily, with their bytes kept", () => {
    const argv = ["/usr/bin/bun", "/app/src/main.ts", "{", "A\ufffdB", "}"];
    expect(commandLineWords(argv, () => nul("bun", "run", "src/main.ts", "{", [0x41, 0xff, 0x42], "}"))).toEqual(["{", "A\udcffB", "}"]);
  });

  test("empty words, and words that look like options", () => {
    const argv = ["bun", "main.ts", "", "--", "-x"];
    expect(commandLineWords(argv, () => nul("bun", "main.ts", "", "--", "-x"))).toEqual(["", "--", "-x"]);
  });

  test("when /proc disagrees with Bun's words (or cannot be read), Bun's words are used", () => {
    const argv = ["bun", "main.ts", "a", "b"];
    expect(commandLineWords(argv, () => nul("bun", "main.ts", "a", "c"))).toEqual(["a", "b"]);
    expect(commandLineWords(argv, () => { throw new Error("no /proc"); })).toEqual(["a", "b"]);
    expect(commandLineWords(argv, () => nul("b"))).toEqual(["a", "b"]);
  });

  test("this test process: the same words as process.argv (all UTF-8 here)", () => {
    expect(commandLineWords()).toEqual(process.argv.slice(2));
  });
});

describe("startEnvironment: the environment lazarus was given, as bytes, not what Bun added", () => {
  const nul = (...entries: (string | number[])[]) => Uint8Array.from(entries.flatMap((w) => [...(typeof w === "string" ? new TextEncoder().encode(w) : w), 0]));

  test("the kernel's entries only: what Bun loaded from a .env file is not among them", () => {
    const bunEnv = { PATH: "/bin", FOO_FROM_DOTENV: "surprise", npm_command: "run-script" };
    expect(startEnvironment(bunEnv, () => nul("PATH=/bin", "HOME=/root"))).toEqual({ PATH: "/bin", HOME: "/root" });
  });

  test("values byte for byte, an empty value, '=' inside a value; entries with no name are left out; the first of two names wins", () => {
    const env = startEnvironment({}, () => nul(["B".charCodeAt(0), 0x3d, 0x41, 0xff], "EMPTY=", "EQ=a=b", "NOEQUALS", "=x", "DUP=1", "DUP=2"));
    expect(env).toEqual({ B: "A\udcff", EMPTY: "", EQ: "a=b", DUP: "1" });
  });

  test("without /proc: process.env as it is (a copy)", () => {
    const bunEnv = { PATH: "/bin" };
    const env = startEnvironment(bunEnv, () => { throw new Error("ENOENT"); });
    expect(env).toEqual(bunEnv);
    expect(env).not.toBe(bunEnv);
  });
});
