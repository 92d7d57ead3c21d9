// The token bucket that bounds the request rate.
import { expect, test } from "bun:test";
import { TokenBucket, WorkBudget } from "../../src/http/rate.ts";

test("token bucket: a burst, then the sustained rate", () => {
  const b = new TokenBucket(2, 3);
  expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
  expect(b.retryAfter()).toBe(1);
  expect(b.take(499)).toBe(false);
  expect(b.take(500)).toBe(true);
  expect(b.take(10_000)).toBe(true);
  expect([b.take(10_000), b.take(10_000), b.take(10_000)]).toEqual([true, true, false]); // refilled to the burst, no more
  expect(b.take(5_000)).toBe(false); // time going backwards gives nothing
});

test("work budget: requests are let in while time is left, each charged what it took after it; a debt is paid back at the sustained rate", () => {
  const w = new WorkBudget(100, 250);
  expect(w.allows(0)).toBe(true);
  w.charge(0, 300); // one costly answer may overdraw
  expect(w.allows(0)).toBe(false);
  expect(w.retryAfter()).toBe(1);
  expect(w.allows(499)).toBe(false); // 50 ms owed, 49.9 paid back
  expect(w.allows(501)).toBe(true);
  w.charge(501, 1000);
  expect(w.retryAfter()).toBe(10);
  expect(w.allows(100_000)).toBe(true);
  w.charge(100_000, 250); // refilled to the burst, no more
  expect(w.allows(100_000)).toBe(false);
  expect(w.allows(50_000)).toBe(false); // time going backwards gives nothing
  w.charge(100_000, -5); // a clock that went back charges nothing
  expect(w.allows(100_000)).toBe(false);
});
