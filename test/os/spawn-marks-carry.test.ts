// The spawn marks handed to the new image of a re-exec (src/os/spawn-marks-carry.ts):
// what goes across, the text it travels as, and every way that text can be refused.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { SpawnMarks } from "../../src/os/spawn-marks.ts";
import { formatMarks, MAX_CARRIED, type MarksCarry, marksCarry, parseMarks } from "../../src/os/spawn-marks-carry.ts";
import { budget } from "../properties/budget.ts";

/** A table with `pids` spawned in order, one marker each (sent), the reader having read up to `read`. */
function table(pids: readonly number[]): { t: SpawnMarks; marks: number[] } {
  const t = new SpawnMarks();
  const marks = pids.map((pid) => {
    const m = t.next();
    t.sent(m);
    t.spawned(pid, m, 0);
    return m;
  });
  return { t, marks };
}

describe("what goes across", () => {
  test("only the spawns whose marker was not read yet, oldest first, with the numbers to go on from", () => {
    const { t, marks } = table([100, 200, 300, 400]);
    const c = marksCarry(77, marks[1] as number, t);
    expect(c).toEqual({ nonce: 77, read: 2, last: 4, lastSent: 4, left: 0, marks: [[300, 3], [400, 4]] });
    expect(formatMarks(c)).toBe("lazarus-marks/1 77 4 4 2 0 300:3 400:4");
    expect(parseMarks(formatMarks(c))).toEqual(c);
    // Nothing left to carry: the numbers still go.
    expect(formatMarks(marksCarry(77, 4, t))).toBe("lazarus-marks/1 77 4 4 4 0");
    expect(parseMarks("lazarus-marks/1 77 4 4 4 0")).toEqual({ nonce: 77, read: 4, last: 4, lastSent: 4, left: 0, marks: [] });
  });

  test("the new image's table judges what is still queued as the old one did, and numbers on", () => {
    const { t, marks } = table([100, 200, 300]);
    t.next(); // a marker that could not be sent: its number is used up, the last sent stays 3
    const c = parseMarks(formatMarks(marksCarry(5, marks[0] as number, t))) as MarksCarry;
    const again = new SpawnMarks(c);
    for (const stamp of [1, 2, 3, 4]) {
      for (const pid of [100, 200, 300, 7]) expect(again.sentBefore(stamp, pid, pid)).toBe(t.sentBefore(stamp, pid, pid));
      expect(again.sentBefore(stamp, 7, 300)).toBe(t.sentBefore(stamp, 7, 300));
    }
    expect(again.lastSent).toBe(3);
    expect(again.next()).toBe(5);
  });

  test("bounded: beyond MAX_CARRIED the newest go, and how many did not is carried", () => {
    const pids = Array.from({ length: MAX_CARRIED + 10 }, (_, i) => 1000 + i);
    const { t } = table(pids);
    const c = marksCarry(1, 0, t);
    expect(c.left).toBe(10);
    expect(c.marks.length).toBe(MAX_CARRIED);
    expect(c.marks[0]).toEqual([1010, 11]);
    expect(c.marks.at(-1)).toEqual([1000 + MAX_CARRIED + 9, MAX_CARRIED + 10]);
    const text = formatMarks(c);
    expect(text.length).toBeLessThan(24 * 1024); // an environment variable may hold 128 KiB
    expect(parseMarks(text)).toEqual(c);
  });

  test("sequence numbers that wrap around 2^32 go across and still compare", () => {
    const t = new SpawnMarks({ last: 0x7ffffffe, lastSent: 0x7ffffffe, marks: [] });
    const a = t.next();
    t.sent(a);
    t.spawned(10, a, 0x7ffffffe);
    const b = t.next();
    t.sent(b);
    t.spawned(11, b, 0x7ffffffe);
    expect([a, b]).toEqual([0x7fffffff, -0x80000000]);
    const c = parseMarks(formatMarks(marksCarry(3, 0x7ffffffe, t))) as MarksCarry;
    expect(c.marks).toEqual([[10, a], [11, b]]);
    const again = new SpawnMarks(c);
    expect(again.sentBefore(0x7ffffffe, 10, null)).toBe(true);
    expect(again.sentBefore(a, 11, null)).toBe(true);
    expect(again.sentBefore(b, 11, null)).toBe(false);
    expect(again.next()).toBe(-0x7fffffff);
  });

  test("property: after any spawns and reads, the carried table judges every datagram still to come as the old one would", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("spawn" as const), pid: fc.integer({ min: 1, max: 40 }), sent: fc.boolean() }),
      fc.record({ kind: fc.constant("read" as const), back: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.array(op, { maxLength: 120 }), (base, ops) => {
      const t = new SpawnMarks({ last: base, lastSent: base, marks: [] });
      let read = base;
      const sent: number[] = [];
      for (const o of ops) {
        if (o.kind === "spawn") {
          // As markSpawn: a marker sent, or (not sent) the last one that was.
          const m = t.next();
          if (o.sent) {
            t.sent(m);
            sent.push(m);
          }
          if (t.lastSent !== 0) t.spawned(o.pid, t.lastSent, read);
        } else if (sent.length > o.back) {
          // The reader reads on, up to a marker sent (never back).
          const m = sent[sent.length - 1 - o.back] as number;
          if (((m - read) | 0) > 0) read = m;
        }
      }
      const text = formatMarks(marksCarry(9, read, t));
      const c = parseMarks(text);
      if (typeof c === "string") throw new Error(`${c}: ${text}`);
      const again = new SpawnMarks(c);
      expect(again.lastNumber).toBe(t.lastNumber);
      expect(again.lastSent).toBe(t.lastSent);
      // Every stamp a datagram still queued can have: from `read` on, up to the last marker sent.
      for (const stamp of [read, ...sent.filter((m) => ((m - read) | 0) > 0)]) {
        for (let pid = 1; pid <= 41; pid++) {
          for (const pgid of [null, pid, (pid % 40) + 1]) expect(again.sentBefore(stamp, pid, pgid)).toBe(t.sentBefore(stamp, pid, pgid));
        }
      }
    }), budget(200));
  });
});

describe("refused whole, with the reason (the new image then starts afresh)", () => {
  const good = "lazarus-marks/1 77 4 4 2 0 300:3 400:4";
  const cases: [text: string, why: string][] = [
    ["", "does not start with lazarus-marks/1"],
    ["lazarus-marks/2 77 4 4 2 0", "does not start with lazarus-marks/1"],
    ["lazarus-marks/1 77 4 4 2", "too few fields"],
    ["lazarus-marks/1 0 4 4 2 0", "bad nonce"],
    ["lazarus-marks/1 x 4 4 2 0", "bad nonce"],
    ["lazarus-marks/1 77 2147483648 4 2 0", "bad last sequence number"],
    ["lazarus-marks/1 77 4 5 2 0", "bad last marker sent"],
    ["lazarus-marks/1 77 4 4 5 0", "bad last marker read"],
    ["lazarus-marks/1 77 4 4 2 -1", "bad count of entries left out"],
    ["lazarus-marks/1 77 4 4 2 0 300:3 300:4", "pid 300 twice"],
    ["lazarus-marks/1 77 4 4 2 0 0:3", "bad entry"],
    ["lazarus-marks/1 77 4 4 2 0 4194305:3", "bad entry"],
    ["lazarus-marks/1 77 4 4 2 0 300", "bad entry"],
    ["lazarus-marks/1 77 4 4 2 0 300:3 ", "bad entry"],
    ["lazarus-marks/1 77 4 4 2 0 300:1.5", "bad entry"],
    ["lazarus-marks/1 77 4 4 2 0 300:2", "out of range"],
    ["lazarus-marks/1 77 4 4 2 0 300:5", "out of range"],
    [`lazarus-marks/1 77 4 4 2 0 ${"1:3 ".repeat(MAX_CARRIED * 6)}`, "longer than"],
    [`lazarus-marks/1 9 ${MAX_CARRIED + 1} 1 0 0 ${Array.from({ length: MAX_CARRIED + 1 }, (_, i) => `${i + 1}:${i + 1}`).join(" ")}`, "more than 1024 entries"],
    [`${good}\n`, "bad entry"],
  ];
  // (the reason first: some texts are long)
  test.each(cases.map(([text, why], i) => [`${i}: ${why}`, text, why] as const))("%s", (_, text, why) => {
    const r = parseMarks(text);
    expect(typeof r).toBe("string");
    expect(r as string).toContain(why);
    expect(r as string).not.toContain("\n");
  });

  test("the good one it was made from passes", () => {
    expect(typeof parseMarks(good)).toBe("object");
  });
});
