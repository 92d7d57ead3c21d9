// BunPort hands the lines of one turn to the sink as one offer: dropped, they count as the lines they are.
import { expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { LOG_CAP, Sink } from "../../src/os/sink.ts";

test("an offer of several lines that is dropped counts each line", () => {
  const fd = openSync("/dev/null", "w");
  closeSync(fd);
  const sink = new Sink(fd); // closed: every offer is dropped
  sink.offer(Buffer.from("one\ntwo\nthree\n"));
  sink.offer(Buffer.from("four\n"));
  expect(sink.pendingDrops.log).toBe(4);
});

test("an offer of several lines over the cap, with nothing of the log waiting, is taken whole (none dropped)", () => {
  // (With the log waiting, the whole lines that fit are kept and each line of the rest counts: sink.test.ts.)
  const fd = openSync("/dev/null", "w");
  try {
    const sink = new Sink(fd);
    sink.offer(Buffer.from(`${"x".repeat(LOG_CAP)}\ny\n`));
    expect(sink.pendingDrops.log).toBe(0);
    expect(sink.written).toBe(LOG_CAP + 3);
  } finally {
    closeSync(fd);
  }
});
