// isTerminal (libc isatty), which the sinks use instead of node:tty's isatty.
import { expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { isTerminal } from "../../src/os/libc.ts";

test("a pseudo-terminal is a terminal; /dev/null, a file and a closed fd are not", () => {
  const pty = openSync("/dev/ptmx", "r+");
  const nul = openSync("/dev/null", "w");
  const file = openSync(import.meta.path, "r");
  try {
    expect(isTerminal(pty)).toBe(true);
    expect(isTerminal(nul)).toBe(false);
    expect(isTerminal(file)).toBe(false);
  } finally {
    closeSync(pty);
    closeSync(nul);
    closeSync(file);
  }
  expect(isTerminal(nul)).toBe(false); // closed now (EBADF)
  expect(isTerminal(-1)).toBe(false);
});
