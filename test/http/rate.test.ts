// The token bucket that bounds the request rate.
import { expect, test } from "bun:test";
import { TokenBucket } from "../../src/http/rate.ts";

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
