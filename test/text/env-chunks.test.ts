import { describe, expect, test } from "bun:test";
import { childEnvironment } from "../../src/shell/boot.ts";
import { CHUNK_UNITS, chunkedEnv, isChunkOf, joinedEnv } from "../../src/text/env-chunks.ts";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

describe("a value too big for one environment variable goes in pieces", () => {
  test("a small value is one variable; a big one NAME, NAME_2, …, each under the kernel's 128 KiB, and joined back whole", () => {
    expect(chunkedEnv("X", "abc")).toEqual({ X: "abc" });
    expect(chunkedEnv("X", "")).toEqual({ X: "" });
    const big = "é".repeat(CHUNK_UNITS * 2 + 5) + "😀".repeat(CHUNK_UNITS); // 2-byte and 4-byte characters
    const env = chunkedEnv("LAZARUS_HANDOVER", big);
    expect(Object.keys(env)).toEqual(["LAZARUS_HANDOVER", "LAZARUS_HANDOVER_2", "LAZARUS_HANDOVER_3", "LAZARUS_HANDOVER_4", "LAZARUS_HANDOVER_5"]);
    for (const [k, v] of Object.entries(env)) expect(bytes(`${k}=${v}`) + 1).toBeLessThan(128 * 1024);
    // never cut inside a surrogate pair: every piece is whole text
    for (const v of Object.values(env)) expect(Buffer.from(v, "utf8").toString("utf8")).toBe(v);
    expect(joinedEnv({ ...env, OTHER: "x" }, "LAZARUS_HANDOVER")).toBe(big);
    expect(joinedEnv({}, "LAZARUS_HANDOVER")).toBeUndefined();
  });

  test("the pieces are lazarus's own: no server sees them", () => {
    expect(isChunkOf("LAZARUS_SOURCES_2", ["LAZARUS_SOURCES"])).toBe(true);
    expect(isChunkOf("LAZARUS_SOURCES_X", ["LAZARUS_SOURCES"])).toBe(false);
    expect(isChunkOf("LAZARUS_SOURCES_02", ["LAZARUS_SOURCES"])).toBe(false);
    const env = { ...chunkedEnv("LAZARUS_SOURCES", "s".repeat(CHUNK_UNITS * 3)), ...chunkedEnv("LAZARUS_HANDOVER", "h".repeat(CHUNK_UNITS + 1)), PATH: "/bin", LAZARUS_SOURCES_X: "kept" };
    expect(childEnvironment(env)).toEqual({ PATH: "/bin", LAZARUS_SOURCES_X: "kept" });
  });
});
