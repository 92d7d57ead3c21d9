// Signal numbers and names (src/core/signals.ts): every name Linux has, the
// real-time range at both ends, the boundaries of what parses, and which ends
// are clean (docs/spec.md, "When a server's process ends").
import { describe, expect, test } from "bun:test";
import { isCleanSignal, parseSignal, SIGRTMAX, SIGRTMIN, signalName } from "../../src/core/signals.ts";

describe("signalName", () => {
  test.each([
    [1, "SIGHUP"], [2, "SIGINT"], [9, "SIGKILL"], [15, "SIGTERM"], [31, "SIGSYS"],
    [34, "SIGRTMIN"], [35, "SIGRTMIN+1"], [36, "SIGRTMIN+2"], [64, "SIGRTMIN+30"], [0, "SIG0"], [32, "SIG32"], [65, "SIG65"],
  ])("%p is %p", (n, name) => {
    expect(signalName(n)).toBe(name);
  });
});

describe("parseSignal", () => {
  test.each([
    ["TERM", 15], ["SIGTERM", 15], ["term", 15], [" 15 ", 15], ["1", 1], ["64", 64], ["SIGIOT", 6], ["POLL", 29], ["cld", 17],
    ["RTMIN", 34], ["SIGRTMIN+2", 36], ["SIGRTMIN+30", 64], ["SIGRTMAX", 64], ["SIGRTMAX-1", 63], ["SIGRTMAX-30", 34],
  ])("%p is %p", (text, n) => {
    expect(parseSignal(text)).toBe(n);
  });

  test.each(["0", "32", "33", "65", "SIGRTMIN+31", "SIGRTMAX-31", "SIGRTMAX+1", "SIGRTMIN-1", "", "bogus", "SIG", "-9", "9.5"])("%p is no signal", (text) => {
    expect(parseSignal(text)).toBeNull();
  });

  test("every signal's name parses back to it", () => {
    for (let n = 1; n <= SIGRTMAX; n++) {
      if (n > 31 && n < SIGRTMIN) continue;
      expect(parseSignal(signalName(n))).toBe(n);
      expect(parseSignal(String(n))).toBe(n);
    }
  });
});

test("only SIGTERM and SIGINT are clean ends", () => {
  const clean = [];
  for (let n = 1; n <= SIGRTMAX; n++) if (isCleanSignal(n)) clean.push(n);
  expect(clean).toEqual([2, 15]);
});
