// Reading --http-token-file from the disk.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTokenFile } from "../../src/os/token-file.ts";

const dir = mkdtempSync(join(tmpdir(), "lazarus-token-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a good file gives its token; a missing, a directory, a huge or a bad one gets one line", () => {
  const good = join(dir, "good");
  writeFileSync(good, "abcdefghijklmnop0123456789\n", { mode: 0o400 });
  expect(readTokenFile(good)).toEqual({ ok: true, token: "abcdefghijklmnop0123456789" });
  const huge = join(dir, "huge");
  writeFileSync(huge, "a".repeat(100_000));
  const bad = join(dir, "bad");
  writeFileSync(bad, "short\n");
  const cases: [string, RegExp][] = [
    [join(dir, "missing"), /cannot open it \(ENOENT\)/],
    [dir, /not a regular file/],
    [huge, /100000 bytes; a token file holds one token of at most 1024 characters/],
    [bad, /needs at least 16/],
  ];
  for (const [path, why] of cases) {
    const r = readTokenFile(path);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toStartWith(`--http-token-file=${path}: `);
      expect(r.error).toMatch(why);
      expect(r.error).not.toContain("\n");
    }
  }
});
