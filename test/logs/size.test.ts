// parseSize: what an operator may write for log_max_size, and one-line errors for the rest.
import { describe, expect, test } from "bun:test";
import { formatSize, parseSize } from "../../src/logs/size.ts";

const bytes = (x: unknown) => {
  const r = parseSize(x);
  return r.ok ? r.bytes : r.error;
};

describe("parseSize", () => {
  test("units: binary (KiB, MiB, GiB, TiB, and the bare K M G T), decimal (KB, MB, GB, TB), bytes", () => {
    expect(bytes("10MiB")).toBe(10 * 1024 * 1024);
    expect(bytes("512KiB")).toBe(512 * 1024);
    expect(bytes("1GB")).toBe(1e9);
    expect(bytes("1GiB")).toBe(2 ** 30);
    expect(bytes("2TiB")).toBe(2 * 2 ** 40);
    expect(bytes("3kb")).toBe(3000);
    expect(bytes("4 M")).toBe(4 * 2 ** 20);
    expect(bytes("7k")).toBe(7 * 1024);
    expect(bytes(" 100B ")).toBe(100);
    expect(bytes("1048576")).toBe(1048576);
    expect(bytes(1048576)).toBe(1048576);
    expect(bytes(0)).toBe(0);
    expect(bytes("0")).toBe(0);
    expect(bytes("1.5MiB")).toBe(1.5 * 2 ** 20);
    expect(bytes("0.1KB")).toBe(100);
    expect(bytes("1.0001KiB")).toBe(1024); // rounded down to whole bytes
  });

  test("bad input: one line naming the problem and showing what is accepted", () => {
    for (const [x, why] of [
      ["10 MB/s", "not a size"],
      ["", "not a size"],
      ["-1", "not a size"],
      ["ten MiB", "not a size"],
      ["10XB", 'unknown unit "XB"'],
      ["1.5", "a fraction of a byte"],
      [-5, "not a whole number of bytes"],
      [1.5, "not a whole number of bytes"],
      [Number.NaN, "not a whole number of bytes"],
      [null, "not a string or a number"],
      [true, "not a string or a number"],
      ["99999999999TiB", "too large"],
    ] as const) {
      const r = parseSize(x);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error).toContain(why);
      expect(r.error).toStartWith(`bad size ${JSON.stringify(x)}: `);
      expect(r.error).toContain('e.g. "10MiB"');
      expect(r.error).not.toContain("\n");
    }
  });

  test("formatSize reads back as the same size", () => {
    for (const n of [0, 1, 100, 1024, 1536, 10 * 2 ** 20, 256 * 1024, 3 * 2 ** 30]) {
      const text = formatSize(n);
      expect(bytes(text.replace(" ", ""))).toBe(n);
    }
    expect(formatSize(256 * 1024)).toBe("256 KiB");
    expect(formatSize(10 * 2 ** 20)).toBe("10 MiB");
  });
});
